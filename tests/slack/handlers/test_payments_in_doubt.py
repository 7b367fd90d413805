"""Payments in doubt end to end, through the real app, the fake Slack and a payables sandbox whose
reads lag behind payments (as platforms do): the payer is told "in doubt", never "Nothing was
paid"; the bot settles it in the background with its key and reads of the bill, and tells them
"recorded"; past the replay window it asks a person, and only their word sends it again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action
from testkit.bot import Bot, card_actions, card_text, shows_result
from testkit.world import CHANNEL, NOW, SAM, sandbox_payments
from tests.slack.handlers.test_safety import _approved_pay_modal


def _stop_the_sandbox_clock(bot: Bot) -> datetime:
    """The sandbox's clock, stopped where it stands (after its demo data was written): the
    test moves it with the bot's from here."""
    start = bot.sandbox.clock.now()
    bot.sandbox.clock.set(start)
    return start


async def _looks(bot: Bot, start: datetime, *minutes: int) -> None:
    """Both clocks `minutes` after the payment was sent, and the settler's tick there."""
    scheduler = Scheduler(bot.services)
    for minute in minutes:
        when = NOW + timedelta(minutes=minute)
        bot.services.clock.set(lambda when=when: when)
        bot.sandbox.clock.set(start + timedelta(minutes=minute))
        await scheduler.settle_payments()


def _payables_calls(bot: Bot, since: int) -> dict[str, int]:
    calls = bot.payables_transport.requests[since:]
    return {
        "payment POSTs": sum(1 for r in calls if r.method == "POST"),
        "reads": sum(1 for r in calls if r.method == "GET"),
    }


@pytest.mark.sandbox(payment_read_lag=timedelta(minutes=10))
async def test_a_500_after_the_write_is_in_doubt_then_recorded_by_reads_that_agree(
    linked_bot: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = linked_bot
    start = _stop_the_sandbox_clock(bot)
    message, bill_id, view = await _approved_pay_modal(bot)  # £3,000.00 due
    bot.sandbox.faults.fail_next_payment(bill_id=bill_id, after_write=True)
    before = len(bot.payables_transport.requests)
    await bot.submit(view, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "We don't know yet whether")
    assert "£3,000.00 reached Codat Sandbox" in card_text(message, bill_id)
    assert "Nothing was paid" not in str(bot.slack.calls)
    result = (await bot.slack.wait_for("views.update", where=shows_result))[-1].args["view"]
    assert "We don't know yet whether £3,000.00 reached Codat Sandbox" in str(result)
    assert card_actions(message, bill_id) == [Action.CHECK_PAYMENT, Action.MORE]
    sent = _payables_calls(bot, before)

    await _looks(bot, start, 1, 5)  # the stored 500 again; reads don't show the payment yet
    assert "We don't know yet" in card_text(bot.message(message["ts"]), bill_id)
    await _looks(bot, start, 15, 45)  # the lag has passed: two reads, thirty minutes apart, agree
    message = await bot.wait_for_card(message["ts"], bill_id, "Paid £3,000.00")
    thread = bot.slack.thread(CHANNEL, message["ts"])
    assert "in doubt" not in thread[-1]["text"] and "paid £3,000.00" in thread[-1]["text"]
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    settling = _payables_calls(bot, before)
    with capsys.disabled():
        print(
            f"\none payment in doubt, from the Pay form until settled: sending {sent}, "
            f"in all {settling}"
        )
    assert settling["payment POSTs"] - sent["payment POSTs"] == 4  # one replay per look


@pytest.mark.sandbox(payment_read_lag=timedelta(minutes=100))
@pytest.mark.parametrize(
    ("after_write", "written"), [(True, 1), (False, 0)], ids=["it-landed", "it-never-did"]
)
async def test_past_the_window_a_person_decides_and_only_their_word_sends_it_again(
    linked_bot: Bot, after_write: bool, written: int
) -> None:
    bot = linked_bot
    start = _stop_the_sandbox_clock(bot)
    message, bill_id, view = await _approved_pay_modal(bot)
    bot.sandbox.faults.fail_next_payment(bill_id=bill_id, after_write=after_write)
    await bot.submit(view, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "We don't know yet whether")
    await _looks(bot, start, 1, 5, 15, 45, 80)
    message = await bot.wait_for_card(message["ts"], bill_id, "We still don't know whether")
    assert card_actions(message, bill_id) == [
        Action.PAYMENT_IS_IN_PLATFORM,
        Action.SEND_PAYMENT_AGAIN,
        Action.MORE,
    ]
    told = await bot.slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == SAM)
    assert "We still don't know whether £3,000.00 reached Codat Sandbox" in told[-1].args["text"]
    asked = bot.slack.thread(CHANNEL, message["ts"])[-1]["text"]
    assert "We still don't know" in asked
    await _looks(bot, start, 200, 24 * 60)  # past the window: nothing is sent on its own, ever
    assert await sandbox_payments(bot.sandbox, bill_id) == written
    send_again = next(
        element
        for block in message["blocks"]
        if block.get("block_id") == f"card_actions:{bill_id}"
        for element in block["elements"]
        if element["action_id"] == Action.SEND_PAYMENT_AGAIN
    )
    assert "paid twice" in send_again["confirm"]["text"]["text"]  # the dialog names the risk
    if after_write:
        return  # a person who finds it there says so; nobody sends it again
    await bot.click(message, Action.SEND_PAYMENT_AGAIN, bill_id, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £3,000.00")
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
