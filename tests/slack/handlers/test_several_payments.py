"""A bill paid in several payments: its card shows each of them and who paid it."""

from __future__ import annotations

from billpay.slack.blocks.ids import Action
from testkit.bot import Bot, card_text
from testkit.world import ANA, BEN, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal


async def test_two_partial_payments_by_two_people_both_show_on_the_card(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    view = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(view, {"pay_amount": "100.00"}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "£100.00 paid")
    view = await _pay_modal(bot, message, bill_id, BEN)
    await bot.submit(view, {"pay_amount": "25.50"}, user=BEN)
    message = await bot.wait_for_card(message["ts"], bill_id, "£125.50 paid")

    shown = card_text(message, bill_id)
    assert "Paid in 2 payments: £100.00 by <@U0SAM> on 22 Nov 2026 · £25.50 by <@U0BEN>" in shown
    assert await sandbox_payments(bot.sandbox, bill_id) == 2
