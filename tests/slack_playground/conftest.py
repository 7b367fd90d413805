"""The Slack stand-in's fixtures: `slack`, a `FakeSlack` served for one test (its problems
checked at the end by `fake_slack_session`); `client`, slack_sdk's real `AsyncWebClient` on it
with the bot token; `inbound`, the requests Slack would send the app, signed with `SECRET`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack, SlackRequests
from testkit.slack import fake_slack_session
from tests.slack_playground.payloads import APP_TOKEN, BOT_TOKEN, SECRET


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack_session(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


@pytest.fixture
def inbound(slack: FakeSlack) -> SlackRequests:
    return SlackRequests(SECRET, slack)
