"""With one workspace (`SLACK_BOT_TOKEN`), the app coming back after an uninstall: at start, a
workspace marked gone (`billpay.slack.departures`) is checked with Slack's `auth.test` on the
configured token. When Slack answers for that workspace, the app is back: the scheduled payments
that came due while it was away are called off, not sent late, and shown where they were asked
for, as when a workspace installs the app again through OAuth (`billpay.slack.app`); the mark is
cleared, in the audit trail. When Slack refuses the token, the mark stays and the start says
what to do."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from billpay.services import Services
from billpay.slack.notices.payments import PaymentResults
from billpay.slack.people import People
from billpay.slack.publisher import Publisher

log = logging.getLogger(__name__)

REVOKED = (
    "Slack refused SLACK_BOT_TOKEN for workspace {team} ({error}): the app was uninstalled "
    "there and its token revoked. Reinstall the app in the workspace and set the new "
    "SLACK_BOT_TOKEN; until then the bot sends nothing there and its scheduled payments wait."
)
BACK = (
    "The app is back in workspace {team}: scheduled payments that came due while it was away, "
    "called off (not sent late): {count}."
)


async def come_back(services: Services) -> str | None:
    """Check each workspace marked gone against the configured token; what the start should
    say, or None when no workspace is marked."""
    departures, slack = services.departures, services.slack
    if departures is None or slack is None:
        return None
    away = await departures.away()
    if not away:
        return None
    try:
        answer = await slack.auth_test()
        current = answer.get("team_id")
        error = None
    except SlackApiError as exc:
        current, error = None, str(exc.response.get("error") or exc)
    except Exception as exc:  # Slack unreachable: the mark stays, the next start asks again
        current, error = None, repr(exc)
    said = []
    for team_id in sorted(away):
        if current != team_id:
            log.warning("workspace %s is still gone (%s)", team_id, error or "another workspace")
            said.append(REVOKED.format(team=team_id, error=error or f"it names {current}"))
            continue
        missed = await services.scheduled.call_off_missed(team_id)
        if await departures.clear(team_id):  # else another replica starting at once did
            await services.links.record_team_event(team_id, "app_back")
        results = PaymentResults(services, People(default_locale=services.settings.default_locale))
        for sent in missed:
            await Publisher.quietly(results.show(sent), "show a payment not sent")
        log.warning("workspace %s is back: %d missed payments called off", team_id, len(missed))
        said.append(BACK.format(team=team_id, count=len(missed)))
    return "\n".join(said)
