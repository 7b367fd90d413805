"""The app uninstalled from a workspace, or its tokens revoked: noted in the audit trail and, with
many workspaces (OAuth), the tokens Slack names deleted from the installation store; with one
(`SLACK_BOT_TOKEN`), the workspace marked gone in the database once the app is uninstalled or
the bot's tokens revoked (`billpay.slack.departures`). Once the workspace has no bot token,
what the bot does on its own there stops: digests, reminders, announcements and App Home
refreshes are skipped, scheduled payments wait (each says so in the audit trail), and those that
came due meanwhile are not sent late when the app is back (`billpay.payments.scheduled`): with
many workspaces, when the workspace installs it again; with one, when a start finds the
configured token answering for the workspace (`billpay.slack.returning`). Links and history
stay: they are the team's audit trail."""

from __future__ import annotations

import logging
from typing import Any

from billpay.services import Services
from billpay.slack.boundary import Listeners
from billpay.slack.envelope import slack_id

log = logging.getLogger(__name__)

UNINSTALLED = "the app was uninstalled from the workspace"


def register(on: Listeners, services: Services) -> None:

    @on.event("app_uninstalled")
    @on.event("tokens_revoked")
    async def removed(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id = slack_id(body.get("team_id"))
        kind = (
            event.get("type")
            if event.get("type") in ("app_uninstalled", "tokens_revoked")
            else None
        )
        if team_id is None or kind is None:
            log.warning("ignored a removal event without a team or type")
            return
        await services.links.record_team_event(team_id, kind)
        log.warning("Slack sent %s for team %s", kind, team_id)
        if kind == "app_uninstalled" and services.publisher is not None:
            await services.publisher.homes.forget(team_id)
        installations = services.installations
        if installations is None:
            await _one_workspace_gone(services, team_id, kind, event)
            return
        if kind == "app_uninstalled":
            await installations.uninstalled(team_id)
            # Slack also revokes the tokens (`tokens_revoked`): the payments wait, said once.
            waiting = await services.scheduled.wait_for_team(team_id, UNINSTALLED)
            log.warning("workspace %s is gone: %d scheduled payments wait", team_id, waiting)
        else:
            tokens = event.get("tokens")
            tokens = tokens if isinstance(tokens, dict) else {}
            users = tokens.get("oauth")
            await installations.revoked(
                team_id,
                users=[u for u in users if isinstance(u, str)] if isinstance(users, list) else [],
                bot=bool(tokens.get("bot")),
            )


async def _one_workspace_gone(
    services: Services, team_id: str, kind: str, event: dict[str, Any]
) -> None:
    """One workspace (`SLACK_BOT_TOKEN`): the configured token is dead once the app is
    uninstalled or the bot's tokens revoked, so the workspace is marked gone and its scheduled
    payments wait, said once whichever event comes first (a start clears the mark when the
    token answers again: `billpay.slack.returning`). User tokens alone change nothing."""
    departures = services.departures
    if departures is None:
        return
    if kind == "tokens_revoked":
        tokens = event.get("tokens")
        bots = tokens.get("bot") if isinstance(tokens, dict) else None
        if not (isinstance(bots, list) and bots):
            return
    if await departures.mark(team_id, kind):
        waiting = await services.scheduled.wait_for_team(team_id, UNINSTALLED)
        log.warning("workspace %s is gone: %d scheduled payments wait", team_id, waiting)
