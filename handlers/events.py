"""Events: the App Home tab, and the app being uninstalled or its tokens revoked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.home import home_view
from bot.services import Services

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    workflow = services.workflow

    @app.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        links = await workflow.links_of_team(body["team_id"])
        await client.views_publish(user_id=event["user"], view=home_view(links))

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    async def removed(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Links and history stay: they are the team's audit trail, and a reinstall resumes.
        await workflow.record_team_event(body["team_id"], event["type"])
        log.warning("Slack sent %s for team %s", event["type"], body["team_id"])
