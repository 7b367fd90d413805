"""The `bot` fixture: the whole bot over HTTP against the fake Slack and the payables sandbox,
its web app called in process (`testkit.bot.in_process_bot`): these tests are about what the
bot does with a request, not about its socket.
`@pytest.mark.bot(approvers=[...], dual_approval_threshold=...)` sets the bot's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, in_process_bot
from testkit.slack import fake_slack_session
from tests.bot_fixtures import ANA


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, sandbox: Sandbox, bot_db: Database
) -> AsyncIterator[Bot]:
    marker = request.node.get_closest_marker("bot")
    settings = marker.kwargs if marker else {}
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        in_process_bot(sandbox, bot_db, slack, **settings) as running,
    ):
        yield running


@pytest.fixture
async def linked_bot(bot: Bot) -> Bot:
    """The bot with the finance channel linked to the demo company."""
    await bot.command("/billpay", "connect", user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()  # the company's first read into the mirror
    return bot
