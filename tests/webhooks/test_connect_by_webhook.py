"""`/billpay connect` finished by Codat's webhook: the company authorises the new connection at
its linkUrl, the payables sandbox signs and sends `connection.connected` over HTTP to the
bot's `/webhooks/codat` (the bot on a port, as in production), and the channel's "waiting"
message becomes the linked one at once, without any poll; a repeat of the event changes
nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from billpay.core.errors import NotLinked
from billpay.slack.blocks.ids import Callback, Input
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, running_bot
from testkit.payables import complete_link
from testkit.slack import fake_slack_session
from testkit.webhooks import WEBHOOK_SECRET
from testkit.world import ANA, CHANNEL, TEAM


@pytest.fixture
async def bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        running_bot(sandbox, bot_db, slack, codat_webhook_secret=WEBHOOK_SECRET) as running,
    ):
        sandbox.config.webhook_url = f"{running.url}/webhooks/codat"
        sandbox.config.webhook_secret = WEBHOOK_SECRET
        sandbox.config.webhook_retry_schedule = [timedelta(0), timedelta(milliseconds=50)]
        yield running
        await settled(running)


async def settled(bot: Bot) -> None:
    async with asyncio.timeout(20):
        await bot.sandbox.settle_webhooks()
        assert bot.services.webhooks is not None
        await bot.services.webhooks.settled()
        await bot.services.mirror.settled()


async def test_the_connected_webhook_links_the_waiting_channel(bot: Bot) -> None:
    before = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "connect", user=ANA)
    view = await bot.modal(before)
    assert view["callback_id"] == Callback.CONNECT
    await bot.submit(
        view, {Input.CONNECT_NEW: "Harbour Foods Ltd", Input.CONNECT_PLATFORM: "fbrh"}, user=ANA
    )
    (private,) = await bot.slack.wait_for(
        "chat.postEphemeral", where=lambda c: "authorise FreeAgent" in str(c.args.get("text"))
    )
    link_url = private.args["blocks"][1]["elements"][0]["url"]
    (waiting,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Waiting for FreeAgent" in str(c.args.get("text"))
    )
    with pytest.raises(NotLinked):
        await bot.services.links.link_for(TEAM, CHANNEL)

    await complete_link(httpx.ASGITransport(app=bot.sandbox.app), link_url)
    await settled(bot)

    (update,) = await bot.slack.wait_for(
        "chat.update", where=lambda c: c.args.get("ts") == waiting.response["ts"]
    )
    assert "linked this channel to *Harbour Foods Ltd*" in update.args["text"]
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    assert (link.company_name, link.platform_name) == ("Harbour Foods Ltd", "FreeAgent")
    events = [d for d in bot.sandbox.deliveries if d.event_type == "connection.connected"]
    assert events and events[0].delivered

    # Codat delivers at least once: the same event again links nothing twice, says nothing.
    assert bot.services.webhooks is not None
    await bot.services.connecting.connection_changed(
        link.company_id, link.connection_id, "Linked", None
    )
    updates = [
        c for c in bot.slack.calls_to("chat.update") if c.args.get("ts") == waiting.response["ts"]
    ]
    assert len(updates) == 1
