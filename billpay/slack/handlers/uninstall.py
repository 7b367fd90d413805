"""The app uninstalled from a workspace, or its tokens revoked: noted in the audit trail. Links
and history stay: they are the team's audit trail, and a reinstall resumes."""

from __future__ import annotations

import logging
from typing import Any

from billpay.services import Services
from billpay.slack.boundary import Listeners
from billpay.slack.envelope import slack_id

log = logging.getLogger(__name__)


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
