"""Codat's webhooks end to end: the payables sandbox signs and sends them over HTTP to the bot's
`/webhooks/codat` (the bot served on a port, as in production), and what people see changes. A
bill paid in the platform reaches its card through `read.completed`; a connection deauthorised
and linked again turns the cards' Pay into Reconnect and back, told once in the channel however
often the event is delivered; the day's allowance reached keeps its reserve for payments, stops
background syncs and is told once, until `client.rateLimit.reset`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from billpay.payables.budget import PayablesBudgetExhausted
from billpay.slack.blocks.ids import Action
from billpay.slack.notices.quota import QuotaNotices
from billpay.store.db import Database
from billpay.store.models import WebhookDelivery
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, bill_ids, card_actions, card_text, running_bot
from testkit.slack import fake_slack_session
from testkit.webhooks import WEBHOOK_SECRET
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, SAM

PAUSED = "no longer lets Bill Pay record payments for"
BACK = "is back for"


@pytest.fixture
async def bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    """The bot on a port with the channel linked to the demo company, and the sandbox sending
    its webhooks there, signed with the secret the bot was given."""
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        running_bot(
            sandbox,
            bot_db,
            slack,
            codat_webhook_secret=WEBHOOK_SECRET,
            approvers=[ANA],
            payers=[SAM],
        ) as running,
    ):
        sandbox.config.webhook_url = f"{running.url}/webhooks/codat"
        sandbox.config.webhook_secret = WEBHOOK_SECRET
        sandbox.config.webhook_retry_schedule = [timedelta(0), timedelta(milliseconds=50)]
        await running.command("/billpay", CONNECT_DEMO, user=ANA)
        await slack.wait_for_responses(count=1)
        await running.services.mirror.settled()
        yield running
        await settled(running)


async def settled(bot: Bot) -> None:
    """Every event the sandbox owes sent, and the bot done with what it received."""
    async with asyncio.timeout(20):
        await bot.sandbox.settle_webhooks()
        assert bot.services.webhooks is not None
        await bot.services.webhooks.settled()
        await bot.services.mirror.settled()


async def deliveries(bot: Bot, event_type: str) -> list[WebhookDelivery]:
    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_type == event_type)
        )
        return list(rows)


def said(bot: Bot, channel: str, words: str) -> list[str]:
    return [
        str(call.args.get("text"))
        for call in bot.slack.calls_to("chat.postMessage")
        if call.args.get("channel") == channel and words in str(call.args.get("text"))
    ]


async def test_a_bill_paid_in_the_platform_reaches_its_card_through_read_completed(
    bot: Bot,
) -> None:
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    link = await bot.services.links.link_for("T0001", CHANNEL)
    bill = await bot.services.mirror.live_bill(link, bill_id)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)  # the bot now has its case
    await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    assert bill.amount_due is not None
    await bot.sandbox.pay_in_platform(bill_id, bill.amount_due)
    await settled(bot)

    (received,) = await deliveries(bot, "read.completed")
    assert received.outcome == "done"
    card = await bot.wait_for_card(message["ts"], bill_id, "Paid in the accounting platform")
    assert Action.PAY not in card_actions(card, bill_id)
    assert bill_id not in bill_ids(await bot.bills(user=ANA))


@pytest.mark.sandbox(webhook_duplicates=True)
async def test_a_connection_lost_and_relinked_reaches_cards_once_however_often_delivered(
    bot: Bot,
) -> None:
    demo = bot.sandbox.demo
    assert demo is not None
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    card = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    assert Action.PAY in card_actions(card, bill_id)

    await bot.sandbox.deauthorize(demo.company_id, demo.connection_id)
    await settled(bot)
    # Sent twice under one id: recorded and worked once.
    (received,) = await deliveries(bot, "connection.disconnected")
    assert received.outcome == "done"
    assert len(said(bot, CHANNEL, PAUSED)) == 1
    card = await bot.wait_for_card(message["ts"], bill_id, PAUSED)
    assert Action.PAY not in card_actions(card, bill_id)
    assert Action.RECONNECT in card_actions(card, bill_id)

    await bot.sandbox.authorise(demo.company_id, demo.connection_id)
    await settled(bot)
    assert len(said(bot, CHANNEL, BACK)) == 1
    card = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    assert PAUSED not in card_text(card, bill_id)
    assert Action.PAY in card_actions(card, bill_id)


@pytest.mark.sandbox(daily_quota=110)
async def test_the_days_allowance_keeps_its_reserve_for_payments_and_syncs_wait_for_the_reset(
    bot: Bot,
) -> None:
    """A quota of 110 a company: 220 calls today for the account, 200 of them kept for
    payments by the bot. Another app of the same Codat account spends the rest."""
    demo = bot.sandbox.demo
    assert demo is not None
    notices = QuotaNotices(bot.services)  # as the scheduler wires it
    bot.services.budget.on_exhausted = notices.exhausted
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    key = httpx.BasicAuth(bot.sandbox.config.api_key, "")
    async with httpx.AsyncClient(
        transport=bot.sandbox.transport(), base_url="http://sandbox", auth=key
    ) as other_app:
        left = int((await other_app.get("/companies")).headers["X-Rate-Limit-Remaining"])
        for _ in range(left - 195):
            await other_app.get("/companies")

    # Background reads now yield: the first answer tells the bot what is left, and the sync
    # stops there; the next one is refused without calling Codat.
    requests = bot.payables_transport.requests
    before = len(requests)
    with contextlib.suppress(PayablesBudgetExhausted):
        await bot.services.mirror.sync_now(demo.company_id, demo.connection_id)
    assert len(requests) - before <= 1
    before = len(requests)
    with pytest.raises(PayablesBudgetExhausted):
        await bot.services.mirror.sync_now(demo.company_id, demo.connection_id)
    assert len(requests) == before
    # A payment still goes through, on the reserve.
    card = await _pay(bot, message, bill_id)
    assert "Paid " in card_text(card, bill_id)

    async with httpx.AsyncClient(
        transport=bot.sandbox.transport(), base_url="http://sandbox", auth=key
    ) as other_app:
        while (await other_app.get("/companies")).status_code != 429:
            pass
    await settled(bot)
    (reached,) = await deliveries(bot, "client.rateLimit.reached")
    assert reached.outcome == "done"
    assert bot.services.budget.sync_paused()
    assert await bot.services.mirror.sync_due() == 0  # the schedule's syncs wait
    if notices.running:
        await asyncio.wait(notices.running)
    told = [
        call
        for call in bot.slack.calls_to("chat.postMessage")
        if call.args.get("channel") == CHANNEL and "allowance" in str(call.args.get("text"))
    ]
    assert len(told) == 1

    # Midnight UTC: Codat says the allowance is back, and syncs resume.
    bot.sandbox.clock.advance(timedelta(days=1))
    await bot.sandbox.check_quota()
    await settled(bot)
    (reset,) = await deliveries(bot, "client.rateLimit.reset")
    assert reset.outcome == "done"
    assert not bot.services.budget.sync_paused()
    before = len(requests)
    assert await bot.services.mirror.sync_now(demo.company_id, demo.connection_id) is not None
    assert len(requests) > before


async def _pay(bot: Bot, message: dict[str, object], bill_id: str) -> dict[str, object]:
    from tests.slack.handlers.test_bills_flow import _pay_modal

    form = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(form, user=SAM)
    return await bot.wait_for_card(str(message["ts"]), bill_id, "Paid ")
