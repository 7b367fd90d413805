"""The `bot` fixture: the whole bot over HTTP against the fake Slack and the payables sandbox,
its web app called in process (`testkit.bot.in_process_bot`): these tests are about what the
bot does with a request, not about its socket. `linked_bot` starts where the finance channel
was linked, from copies of a world built once (`testkit.linked`).
`@pytest.mark.bot(approvers=[...], dual_approval_threshold=...)` sets the bot's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, in_process_bot
from testkit.databases import WorldCopies
from testkit.linked import Linked, link, resume
from testkit.slack import fake_slack_session


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
def starts_linked(request: pytest.FixtureRequest) -> bool:
    """A test that asks for `linked_bot` starts from copies of a world where the channel was
    linked (`testkit.linked`), built once per sandbox configuration and bot settings."""
    return "linked_bot" in request.fixturenames


@pytest.fixture
async def linked_bot(bot: Bot, linked_copies: WorldCopies[Linked] | None) -> Bot:
    """The bot with the finance channel linked to the demo company and its mirror filled: on
    copies of a world where that was done, or, when the test's world cannot be shared
    (`linked_key`), linked here."""
    if linked_copies is not None:
        await resume(bot, linked_copies.state)
    else:
        await link(bot)
    return bot
