"""Events: the App Home tab, and the app being uninstalled or its tokens revoked. Events come
with whatever fields Slack chose to send: a listener reads them with `.get` and ignores an
event it can't place."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.services import Services
from billpay.slack.blocks.home import home_view
from billpay.slack.blocks.metadata import SlackId
from billpay.slack.boundary import Listeners
from billpay.slack.people import People

log = logging.getLogger(__name__)
_SLACK_ID: TypeAdapter[str] = TypeAdapter(SlackId)


def _id(value: Any) -> str | None:
    try:
        return _SLACK_ID.validate_python(value)
    except ValidationError:
        return None


def register(on: Listeners, services: Services, people: People) -> None:
    workflow = services.workflow

    @on.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team_id, user_id = _id(body.get("team_id")), _id(event.get("user"))
        if event.get("tab", "home") != "home" or team_id is None or user_id is None:
            return
        links = await workflow.links_of_team(team_id)
        person = await people.get(client, team_id, user_id, wait=1.0)
        await client.views_publish(user_id=user_id, view=home_view(links, locale=person.locale))

    @on.event("app_uninstalled")
    @on.event("tokens_revoked")
    async def removed(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id = _id(body.get("team_id"))
        kind = (
            event.get("type")
            if event.get("type") in ("app_uninstalled", "tokens_revoked")
            else None
        )
        if team_id is None or kind is None:
            log.warning("ignored a removal event without a team or type")
            return
        # Links and history stay: they are the team's audit trail, and a reinstall resumes.
        await workflow.record_team_event(team_id, kind)
        log.warning("Slack sent %s for team %s", kind, team_id)
