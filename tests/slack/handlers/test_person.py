"""The person behind a request, as the boundary hands it to listeners: Slack's `users.info` is
asked after the ack, so a slow answer never holds Slack's 3 seconds; the listener then goes on
with the defaults."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from testkit.bot import Bot
from testkit.world import BEN


async def test_a_slow_users_info_never_delays_the_ack(
    linked_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = linked_bot
    asked = AsyncWebClient.users_info
    answered = asyncio.Event()  # Slack answers `users.info` only once the ack was timed

    async def slow_users_info(self: AsyncWebClient, **kwargs: Any) -> Any:
        await answered.wait()
        return await asked(self, **kwargs)

    monkeypatch.setattr(AsyncWebClient, "users_info", slow_users_info)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    started = time.monotonic()
    # BEN's profile is not cached yet; an ack that waited for it would wait for ever.
    await asyncio.wait_for(bot.command("/bills", user=BEN), timeout=5.0)
    assert time.monotonic() - started < 1.0
    answered.set()
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    assert call.ok and "bills" in call.args["text"]
