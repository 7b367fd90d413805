"""Undo on a payment held a few seconds before it is sent: the thread and the person who pressed
it are told which payment was stopped, in words that do not call it scheduled."""

from __future__ import annotations

import pytest

from billpay.slack.blocks.ids import Action
from testkit.bot import Bot, card_actions, card_text
from testkit.world import CHANNEL, SAM, sandbox_payments
from tests.slack.handlers.test_cancel_twice import _press
from tests.slack.handlers.test_safety import _approved_pay_modal


@pytest.mark.bot(payment_hold_seconds=10)
async def test_undo_names_the_payment_it_stopped_and_never_calls_it_scheduled(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, {"pay_amount": "100.00"}, user=SAM)
    held = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    assert Action.CANCEL_PAYMENT in card_actions(held, bill_id)
    (card,) = [b for b in held["blocks"] if b.get("block_id") == f"card:{bill_id}"]
    supplier = card["text"]["text"].split("*")[1]

    answer = await _press(bot, held, Action.CANCEL_PAYMENT, bill_id, SAM)
    assert answer == f"Undone: the payment of £100.00 to {supplier} was not sent.", answer

    await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == message["ts"] and "Undone" in c.args["text"],
    )
    lines = [line["text"] for line in bot.slack.thread(CHANNEL, message["ts"])]
    assert not any("scheduled" in line for line in lines), lines
    (undone,) = [line for line in lines if "Undone" in line]
    assert f"the payment of £100.00 to {supplier}" in undone and "nothing was sent" in undone
    assert undone.endswith("(<@U0SAM>)")
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


@pytest.mark.bot(payment_hold_seconds=10)
async def test_a_held_payment_on_the_card_reads_as_made_by_the_payer_not_paid_to_them(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, {"pay_amount": "100.00"}, user=SAM)
    held = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    shown = card_text(held, bill_id)
    assert "for <@U0SAM>" not in shown  # "Paying £100.00 … for @Sam" reads as paying Sam
    assert "<@U0SAM>'s payment of £100.00 from Business Current goes out in a few seconds" in (
        shown
    )
