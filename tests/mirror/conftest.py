"""The mirror's tests: the whole bot over HTTP against the fake Slack and the payables sandbox
(`testkit.bot.in_process_bot`), the channel linked as a person links it, and a way to grow the
demo company to thousands of outstanding bills (written straight into the sandbox's store)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, in_process_bot
from testkit.slack import fake_slack_session
from testkit.world import ANA, CONNECT_DEMO


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
        await running.services.mirror.settled()


async def link(bot: Bot) -> None:
    """Link the channel to the demo company, and wait for the mirror's first fill."""
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()


@pytest.fixture
async def linked_bot(bot: Bot) -> Bot:
    await link(bot)
    return bot


def bill_reads(requests: list[httpx.Request]) -> list[httpx.Request]:
    """The list bills requests among these."""
    return [
        r
        for r in requests
        if r.method == "GET"
        and r.url.path.endswith("/bills")
        and not r.url.path.endswith("/mappingOptions/bills")
    ]


async def told_of_changes(bot: Bot) -> None:
    """What a webhook saying the company's data changed (`read.completed` naming no data type)
    does: the mirror reads the changes, bills and suppliers."""
    demo = bot.sandbox.demo
    assert demo is not None
    bot.services.mirror.data_changed(demo.company_id, None)
    await bot.services.mirror.settled()
