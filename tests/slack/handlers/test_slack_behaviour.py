"""How the bot behaves towards Slack and people: each person's locale, Slack's rate limits,
scheduled payments and the app being uninstalled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from billpay.slack.blocks.ids import Action
from billpay.store.models import AuditEvent, CaseState
from testkit.bot import Bot, card_actions, card_text
from testkit.payables import TODAY
from testkit.world import ANA, BEN, CHANNEL, CONNECT_DEMO, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal


async def test_money_and_dates_on_cards_follow_the_channels_language(bot: Bot) -> None:
    # The channel takes the language of who linked it, read from their Slack profile.
    bot.slack.users[BEN] = {"locale": "fr-FR", "tz": "Europe/Paris"}
    await bot.command("/billpay", CONNECT_DEMO, user=BEN)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()
    message = await bot.bills(user=ANA)
    assert "8\u202f875,50\xa0€" in message["text"] and "13\u202f020,49\xa0GBP" in message["text"]
    assert "22 nov. 2026" in str(message["blocks"][1])


async def test_a_rate_limited_update_is_retried_after_slacks_delay(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    bot.slack.rate_limit_next("chat.update", retry_after=1)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    statuses = [c.status for c in bot.slack.calls_to("chat.update")]
    assert statuses == [429, 200]


async def test_a_later_date_schedules_the_payment_and_says_so(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)
    later = (TODAY + timedelta(days=9)).isoformat()
    await bot.submit(view, {"pay_date": later}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "scheduled for 1 Dec 2026")
    assert card_actions(message, bill_id) == [Action.CANCEL_PAYMENT, Action.MORE]
    assert await bot.case_state(bill_id) == CaseState.SCHEDULED
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == message["ts"]
    )
    (line,) = bot.slack.thread(CHANNEL, message["ts"])
    assert "scheduled" in line["text"] and "1 Dec 2026" in line["text"]
    assert "Business Current" in card_text(message, bill_id)

    await bot.click(message, Action.CANCEL_PAYMENT, bill_id, user=SAM)
    await bot.slack.wait_for(  # approved once before scheduling, and again now
        "chat.update", count=2, where=lambda c: "Approved by" in card_text(c.args, bill_id)
    )
    message = bot.message(message["ts"])
    assert card_actions(message, bill_id)[0] == Action.PAY
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    await bot.slack.wait_for(
        "chat.postMessage", count=2, where=lambda c: c.args.get("thread_ts") == message["ts"]
    )
    assert "was cancelled" in bot.slack.thread(CHANNEL, message["ts"])[-1]["text"]


async def test_uninstalling_the_app_is_recorded_in_the_audit_trail(linked_bot: Bot) -> None:
    bot = linked_bot
    response = await bot.send(bot.requests.event({"type": "app_uninstalled"}))
    assert response.status_code == 200
    for _ in range(200):
        async with bot.services.db.read() as s:
            actions_seen = list(await s.scalars(select(AuditEvent.action)))
        if "app_uninstalled" in actions_seen:
            break
        await asyncio.sleep(0.01)  # the event is handled after Slack gets its ack
    assert "app_uninstalled" in actions_seen
