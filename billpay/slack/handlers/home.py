"""The App Home tab: the channels linked to a company, drawn each time a person opens it.
Events come with whatever fields Slack chose to send: the listener reads them with `.get` and
ignores an event it can't place."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.services import Services
from billpay.slack.blocks.home import home_view
from billpay.slack.boundary import Listeners
from billpay.slack.envelope import slack_id
from billpay.slack.people import LazyPerson


def register(on: Listeners, services: Services) -> None:

    @on.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        team_id, user_id = slack_id(body.get("team_id")), slack_id(event.get("user"))
        if event.get("tab", "home") != "home" or team_id is None or user_id is None:
            return
        links = await services.links.links_of_team(team_id)
        locale = (await person).locale
        await client.views_publish(user_id=user_id, view=home_view(links, locale=locale))
