"""A bill paid in several payments: its card shows each of them and who paid it."""

from __future__ import annotations

from decimal import Decimal

from billpay.core.money import format_money
from billpay.slack.blocks.ids import Action
from testkit.bot import Bot, bill_ids, card_text
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
    assert "From Slack: £100.00 by <@U0SAM> on 22 Nov 2026 · £25.50 by <@U0BEN>" in shown
    assert await sandbox_payments(bot.sandbox, bill_id) == 2


async def test_a_bill_partly_paid_in_the_platform_shows_lines_that_add_up(
    linked_bot: Bot,
) -> None:
    """What was paid before the bot (in the platform) and what was paid from Slack are both
    on the card, and together they make the amount shown as paid."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    demo = bot.sandbox.demo
    for bill_id in bill_ids(message):
        bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
        if bill.status == "PartiallyPaid":
            break
    else:
        raise AssertionError("no partly paid bill on the first page")
    earlier = bill.total_amount - bill.amount_due
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    view = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(view, {"pay_amount": "500.00", "pay_rate": "0.86"}, user=SAM)
    paid = format_money(earlier + 500, bill.currency, "en")
    message = await bot.wait_for_card(message["ts"], bill_id, f"{paid} paid")

    shown = card_text(message, bill_id)
    assert "Paid in 1 payment" not in shown
    slack = format_money(Decimal(500), bill.currency, "en")
    assert f"From Slack: {slack} by <@U0SAM> on 22 Nov 2026" in shown
    before = format_money(earlier, bill.currency, "en")
    assert f"{before} paid directly in Codat Sandbox" in shown
