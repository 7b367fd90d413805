"""Payments the bot sends on its own, end to end through the fake Slack: held for the undo
window then sent (or undone), scheduled payments sent on their date at the channel's local time,
exactly once with two schedulers racing, and not sent when the bill moved meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.payables.client import PayablesClient
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.runtime.scheduler import Scheduler
from billpay.services import Services, build_services
from billpay.slack.blocks.ids import Action, Input
from billpay.slack.blocks.metadata import BillAction
from billpay.slack.blocks.text import day
from billpay.store.db import Database
from billpay.store.models import AuditEvent, CaseState, Payment
from testkit.bot import Bot, card_actions, card_text, shows_result
from testkit.payables import TODAY, on_postgres
from testkit.world import CHANNEL, NOW, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _pay_modal
from tests.slack.handlers.test_pay_form import _block, _change, _preview
from tests.slack.handlers.test_safety import _approved_pay_modal


def _at(bot: Bot, when: datetime) -> None:
    """Move the bot's clock (every part of it reads the same one)."""
    bot.services.clock.set(lambda: when)


async def _actions(bot: Bot, action: str) -> int:
    async with bot.services.db.read() as s:
        return len(list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action))))


@pytest.mark.bot(payment_hold_seconds=10)
async def test_a_payment_is_held_for_the_undo_window_then_sent(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    ack = await bot.submit(view, user=SAM)
    assert ack["response_action"] == "update"
    message = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    assert card_actions(message, bill_id) == [Action.CANCEL_PAYMENT]  # Undo
    result = (await bot.slack.wait_for("views.update", where=shows_result))[-1].args["view"]
    assert "press *Undo* on the card" in str(result)
    scheduler = Scheduler(bot.services)
    await scheduler.send_due_payments()  # still inside the window: nothing goes out
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    _at(bot, NOW + timedelta(seconds=11))
    updates = len(bot.slack.calls_to("views.update"))
    await scheduler.send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    message = await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    assert card_actions(message, bill_id) == []
    (line,) = bot.slack.thread(CHANNEL, message["ts"])
    assert "<@U0SAM> paid £" in line["text"]
    result = (await bot.slack.wait_for("views.update", count=updates + 1))[-1].args["view"]
    assert "recorded in the accounting platform" in str(result)  # the payer's modal, updated
    await scheduler.send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


@pytest.mark.bot(payment_hold_seconds=10)
async def test_undo_within_the_window_sends_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    await bot.click(message, Action.CANCEL_PAYMENT, bill_id, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.slack.wait_for_responses(where=lambda r: "was not sent" in str(r))
    _at(bot, NOW + timedelta(seconds=30))
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    assert await _actions(bot, "payment_undone") == 1
    assert Action.PAY in card_actions(message, bill_id)


@pytest.mark.bot(payment_hold_seconds=10)
async def test_undo_after_the_payment_went_out_says_it_is_too_late(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    _at(bot, NOW + timedelta(seconds=11))
    await Scheduler(bot.services).send_due_payments()
    # The Undo button of the card as the payer still sees it, a moment too late.
    undo = {
        "type": "button",
        "action_id": Action.CANCEL_PAYMENT,
        "value": BillAction(bill_id=bill_id).dump(),
        "block_id": f"card_actions:{bill_id}",
    }
    await bot.send(bot.requests.block_action(undo, message=message, user_id=SAM))
    await bot.slack.wait_for_responses(where=lambda r: "already paid" in str(r))
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


async def test_a_scheduled_payment_goes_out_on_its_date_at_the_local_time(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    date = (TODAY + timedelta(days=2)).isoformat()
    await bot.submit(view, {"pay_date": date}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "scheduled for")
    scheduler = Scheduler(bot.services)
    # 07:59 in London on the day (GMT in November): not yet.
    _at(bot, datetime.fromisoformat(f"{date}T07:59:00+00:00"))
    await scheduler.send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    _at(bot, datetime.fromisoformat(f"{date}T08:00:00+00:00"))
    await asyncio.gather(scheduler.send_due_payments(), Scheduler(bot.services).send_due_payments())
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    assert await _actions(bot, "payment_claimed") == 1


async def test_a_scheduled_payment_whose_bill_was_paid_meanwhile_is_not_sent(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    date = (TODAY + timedelta(days=1)).isoformat()
    await bot.submit(view, {"pay_date": date}, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "scheduled for")
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    await bot.services.payables.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill_id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount - Decimal("1.00"),
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=demo.bank_accounts["GBP"]),
        ),
    )
    _at(bot, datetime.fromisoformat(f"{date}T09:00:00+00:00"))
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 1  # only the one made elsewhere
    (dm,) = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == SAM]
    assert "was not sent: only £1.00 is still due now" in dm.args["text"]
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "was not sent" in str(c.args.get("text"))
    )
    (line,) = [m for m in bot.slack.thread(CHANNEL, message["ts"]) if "not sent" in m["text"]]
    assert "only £1.00 is still due now" in line["text"]
    assert await bot.case_state(bill_id) == CaseState.APPROVED


@pytest.fixture
async def second_replica(linked_bot: Bot) -> AsyncIterator[Services]:
    """Another replica of the bot: its own engine on the same database, its own client."""
    bot = linked_bot
    db = Database(str(bot.services.db.url.render_as_string(hide_password=False)))
    payables: PayablesClient = bot.services.payables
    services = build_services(bot.services.settings, db=db, payables=payables, clock=lambda: NOW)
    yield services
    await db.dispose()


@pytest.mark.slow
async def test_two_replicas_send_a_scheduled_payment_once(
    linked_bot: Bot, second_replica: Services
) -> None:
    if not on_postgres():
        pytest.skip("several replicas need PostgreSQL (README)")
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    date = (TODAY + timedelta(days=1)).isoformat()
    await bot.submit(view, {"pay_date": date}, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "scheduled for")
    when = datetime.fromisoformat(f"{date}T08:30:00+00:00")
    _at(bot, when)
    second_replica.clock.set(lambda: when)
    await asyncio.gather(
        Scheduler(bot.services).send_due_payments(),
        Scheduler(second_replica).send_due_payments(),
    )
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    assert await _actions(bot, "payment_claimed") == 1


async def test_a_scheduled_partial_payment_leaves_the_rest_payable(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)  # £3,000.00 due
    date = (TODAY + timedelta(days=2)).isoformat()
    await bot.submit(view, {"pay_amount": "1000", "pay_date": date}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "£2,000.00 more can be paid now")
    assert card_actions(message, bill_id) == [Action.CANCEL_PAYMENT, Action.PAY, Action.MORE]

    rest = await _pay_modal(bot, message, bill_id, SAM)
    amount = next(b for b in rest["blocks"] if b.get("block_id") == "pay_amount")
    assert amount["element"]["initial_value"] == "2,000.00"
    ack = await bot.submit(rest, {"pay_amount": "2500"}, user=SAM)
    assert "more than the £2,000.00 still due" in ack["errors"]["pay_amount"]
    await bot.submit(rest, user=SAM)  # the £2,000.00 now
    message = await bot.wait_for_card(message["ts"], bill_id, "£1,000.00* due of £3,000.00")
    assert "scheduled for" in card_text(message, bill_id)
    assert card_actions(message, bill_id) == [Action.CANCEL_PAYMENT, Action.MORE]
    assert await sandbox_payments(bot.sandbox, bill_id) == 1

    _at(bot, datetime.fromisoformat(f"{date}T08:00:00+00:00"))
    await Scheduler(bot.services).send_due_payments()
    await bot.wait_for_card(message["ts"], bill_id, "Paid £1,000.00")
    assert await sandbox_payments(bot.sandbox, bill_id) == 2
    assert await bot.case_state(bill_id) == CaseState.PAID


@pytest.mark.parametrize(
    ("button", "after_write"),
    [(Action.PAYMENT_IS_IN_PLATFORM, True), (Action.SEND_PAYMENT_AGAIN, False)],
    ids=["in-platform", "send-again"],
)
async def test_a_person_settles_a_payment_the_checks_could_not(
    linked_bot: Bot, button: str, after_write: bool
) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    bot.sandbox.faults.fail_next_payment(bill_id=bill_id, after_write=after_write)
    await bot.submit(view, user=SAM)  # £3,000.00, in full: a 500, in doubt
    message = await bot.wait_for_card(message["ts"], bill_id, "We don't know yet whether")
    assert card_actions(message, bill_id) == [Action.CHECK_PAYMENT, Action.MORE]
    # The looks inside the key's window proved nothing (as past them): a person decides.
    async with bot.services.db.write() as s:
        payment = await s.scalar(select(Payment))
        assert payment is not None and payment.status == "in_doubt"
        payment.needs_person, payment.next_check_at = True, None
    await bot.services.must_publish().refresh_message("T0001", CHANNEL, message["ts"])
    message = await bot.wait_for_card(message["ts"], bill_id, "We still don't know whether")
    assert card_actions(message, bill_id) == [
        Action.PAYMENT_IS_IN_PLATFORM,
        Action.SEND_PAYMENT_AGAIN,
        Action.MORE,
    ]
    await bot.click(message, button, bill_id, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    assert await bot.case_state(bill_id) == CaseState.PAID
    assert await sandbox_payments(bot.sandbox, bill_id) == 1  # one payment, either way


async def test_a_later_date_reads_as_scheduled_from_the_form_to_the_card(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    assert "overdue by" in card_text(message, bill_id)  # the first open bill is late
    later = TODAY + timedelta(days=3)
    when = day(later, "en_GB")
    # Picking a later date redraws the line under the amount: it is not paid now.
    view = await _change(bot, view, Input.PAY_DATE, later.isoformat())
    preview = _preview(view)
    assert "Pays" not in preview and f"for {when}" in preview, preview
    assert _block(view, Input.PAY_DATE)["element"]["initial_date"] == later.isoformat()

    ack = await bot.submit(view, {"pay_date": later.isoformat()}, user=SAM)
    progress = str(ack["view"])
    assert "Recording" not in progress and "Scheduling £" in progress, progress
    message = await bot.wait_for_card(message["ts"], bill_id, f"scheduled for {when}")
    # Scheduled is not paid: the card still says the bill is late.
    assert "overdue by" in card_text(message, bill_id)


@pytest.mark.bot(payment_hold_seconds=10)
async def test_a_held_payment_leaves_the_bill_overdue_on_its_card(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    assert "overdue by" in card_text(message, bill_id)


@pytest.mark.bot(payment_hold_seconds=10)
async def test_pay_pressed_twice_on_a_held_payment_says_it_goes_out_now(linked_bot: Bot) -> None:
    """The form submitted again (a double click) while its payment is held: it goes out in a
    few seconds, not on a later date; one payment."""
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    # Both submissions leave before Slack has the first one's answer.
    once, again = (bot.requests.view_submission(view, None, user_id=SAM) for _ in range(2))
    assert (await bot.send(once)).status_code == 200
    message = await bot.wait_for_card(message["ts"], bill_id, "in a few seconds")
    await bot.slack.wait_for("views.update", where=shows_result)
    assert (await bot.send(again)).status_code == 200
    calls = await bot.slack.wait_for("views.update", where=shows_result, count=2)
    said = str(calls[-1].args["view"])
    assert "already scheduled" not in said and "goes out in a few seconds" in said, said
    async with bot.services.db.read() as s:
        assert len(list(await s.scalars(select(Payment)))) == 1


@pytest.mark.bot(payment_hold_seconds=10)
async def test_a_held_payment_sent_before_its_form_answers_never_says_undo_afterwards(
    linked_bot: Bot,
) -> None:
    """Under a slow Slack the card's update is still on its way when the undo window ends
    and the payment goes out: the payer's modal ends on the payment recorded, never on
    "press Undo on the card now"."""
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    card_update = bot.slack.hold("chat.update", where=lambda args: args.get("ts") == message["ts"])
    await bot.submit(view, user=SAM)
    await card_update.wait()
    _at(bot, NOW + timedelta(seconds=11))
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    await bot.slack.wait_for(
        "views.update", where=lambda c: "recorded in the accounting platform" in str(c.args)
    )
    card_update.release()
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    await asyncio.sleep(0.2)  # the form's own answer, were it to come
    last = [c for c in bot.slack.calls_to("views.update") if shows_result(c)][-1]
    assert "press *Undo*" not in str(last.args["view"]), last.args["view"]
