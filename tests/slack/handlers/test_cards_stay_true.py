"""End to end over HTTP: `/bills` messages stay true after a change. Their summary line is
recomputed (counts, totals with the base currency first, overdue, as of when), a bill shown in
several messages is updated in each (the oldest are retired as out of date, and lose their
buttons), a click on a card drawn before the bill changed does nothing, and rejected bills leave
the default listing until an approver reopens them."""

from __future__ import annotations

import json
from copy import deepcopy
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from billpay.core.money import format_money
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.slack.blocks.ids import Action, Block
from billpay.slack.publisher import MAX_LIVE_MESSAGES, MAX_RETIRED_UPDATES
from billpay.store.models import AuditEvent, CaseState
from testkit.bot import Bot, bill_ids, card_actions, card_text
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, TODAY
from tests.mirror.conftest import told_of_changes


def summary_of(message: dict[str, Any]) -> str:
    """The summary line and the context under it (page, "as of")."""
    blocks = message["blocks"]
    return " | ".join(
        json.dumps(block, ensure_ascii=False)
        for block in blocks
        if block.get("block_id") in (Block.SUMMARY, Block.PAGE, Block.EMPTY, Block.OUT_OF_DATE)
    )


async def _bill(bot: Bot, message: dict[str, Any], currency: str = "GBP") -> tuple[str, Decimal]:
    demo = bot.sandbox.demo
    for bill_id in bill_ids(message):
        bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
        if bill.currency == currency and bill.status == "Open":
            return bill_id, bill.outstanding_amount
    raise AssertionError(f"no open {currency} bill on the first page")


async def _gbp_due(bot: Bot, message: dict[str, Any]) -> Decimal:
    """The GBP total the summary line states."""
    text = summary_of(message)
    amounts = [
        part.split(" due")[0].strip()
        for part in text.split(" · ")
        if part.strip().startswith("£") and " due" in part
    ]
    (amount,) = amounts
    return Decimal(amount.lstrip("£").replace(",", ""))


async def _paid_elsewhere(bot: Bot, bill_id: str, amount: Decimal) -> None:
    demo = bot.sandbox.demo
    await bot.services.payables.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill_id,
        BillPaymentPrototype(
            amount=amount,
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=demo.bank_accounts["GBP"]),
        ),
    )


async def _modal(bot: Bot, message: dict[str, Any], action: str, bill_id: str, user: str) -> Any:
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, action, bill_id, user=user)
    return await bot.modal(opened)


async def _pay(bot: Bot, message: dict[str, Any], bill_id: str, amount: str | None = None) -> None:
    view = await _modal(bot, message, Action.PAY, bill_id, SAM)
    ack = await bot.submit(view, {"pay_amount": amount} if amount else None, user=SAM)
    assert ack["response_action"] == "update", ack


async def _click_as_seen(
    bot: Bot, seen: dict[str, Any], action_id: str, bill_id: str, *, user: str
) -> None:
    """A click on a button as `seen` showed it: a person whose Slack had not redrawn the
    message yet (Slack sends the button's value as it was drawn)."""
    (button,) = [
        {**element, "block_id": block["block_id"]}
        for block in seen["blocks"]
        if block.get("block_id") == f"card_actions:{bill_id}"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]
    response = await bot.send(bot.requests.block_action(button, message=seen, user_id=user))
    assert response.status_code == 200, response.text


async def _audit(bot: Bot, action: str) -> list[AuditEvent]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ---------------------------------------------------------------- the summary line


async def test_the_summary_line_is_recomputed_when_a_card_on_the_message_changes(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"tz": "Europe/Paris"}
    message = await bot.bills(user=BEN)
    before = summary_of(message)
    assert "25 outstanding bills · 7 overdue · £" in before
    # The company's base currency first, then the others; the time in the reader's zone.
    assert before.index("£") < before.index("€")
    assert f"as of {TODAY.day} Nov {TODAY.year}, 11:00" in before
    total = await _gbp_due(bot, message)
    bill_id, due = await _bill(bot, message)

    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    assert "25 outstanding bills · 7 overdue" in summary_of(message)
    await _pay(bot, message, bill_id, "100.00")
    message = await bot.wait_for_card(message["ts"], bill_id, "£100.00 paid")
    assert await _gbp_due(bot, message) == total - Decimal("100.00")
    assert "25 outstanding bills" in summary_of(message)

    await _pay(bot, message, bill_id)
    message = await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    assert "24 outstanding bills" in summary_of(message)
    assert await _gbp_due(bot, message) == total - due
    assert "24 outstanding bills" in message["text"]  # the notification text too


# ---------------------------------------------------------------- several messages


async def test_a_bill_shown_in_two_messages_is_updated_in_both(linked_bot: Bot) -> None:
    bot = linked_bot
    first = await bot.bills(user=ANA)
    second = await bot.bills(user=BEN)
    bill_id, _ = await _bill(bot, first)
    assert bill_id in bill_ids(second)

    await bot.click(first, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(first["ts"], bill_id, "Approved by <@U0ANA>")
    second = await bot.wait_for_card(second["ts"], bill_id, "Approved by <@U0ANA>")
    assert card_actions(second, bill_id)[0] == Action.PAY

    # Paid from the newer message: the older one shows it paid, with its totals.
    await _pay(bot, second, bill_id)
    first = await bot.wait_for_card(first["ts"], bill_id, "Paid £")
    assert "24 outstanding bills" in summary_of(first)


async def test_older_messages_are_retired_and_their_clicks_do_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    # As people saw them when posted (the fake keeps each message as it is now).
    messages = [deepcopy(await bot.bills(user=ANA)) for _ in range(MAX_LIVE_MESSAGES + 2)]
    oldest, newest = messages[0], messages[-1]
    bill_id, _ = await _bill(bot, newest)
    updates = len(bot.slack.calls_to("chat.update"))

    await bot.click(newest, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(newest["ts"], bill_id, "Approved by")
    await bot.slack.wait_for(
        "chat.update", where=lambda c: c.args.get("ts") == oldest["ts"] and c.ok
    )
    # One click: the live messages and the retired ones, never one update per listing forever.
    sent = bot.slack.calls_to("chat.update")[updates:]
    assert len(sent) <= MAX_LIVE_MESSAGES + MAX_RETIRED_UPDATES
    for live in messages[-MAX_LIVE_MESSAGES:]:
        assert "Approved by" in card_text(bot.message(live["ts"]), bill_id)
    for old in messages[:-MAX_LIVE_MESSAGES]:
        shown = bot.message(old["ts"])
        assert "Out of date: run `/bills`." in summary_of(shown)
        assert not [b for b in shown["blocks"] if b["type"] == "actions"]

    # The oldest message's buttons as someone still sees them: nothing happens.
    other = next(b for b in bill_ids(oldest) if b != bill_id)
    await _click_as_seen(bot, oldest, Action.APPROVE, other, user=ANA)
    await bot.slack.wait_for_responses(where=lambda r: "Out of date: run `/bills`" in str(r))
    assert await bot.case_state(other) == CaseState.PENDING


async def test_a_click_on_a_card_drawn_before_the_bill_changed_changes_nothing(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id, due = await _bill(bot, message)
    await _paid_elsewhere(bot, bill_id, Decimal("50.00"))  # the card still shows the old figures

    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.slack.wait_for_responses(where=lambda r: "This card was out of date" in str(r))
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert not await _audit(bot, "bill_approved")
    # The card now shows the bill as it is, and its buttons act on that.
    still_due = format_money(due - Decimal("50.00"), "GBP")
    message = await bot.wait_for_card(message["ts"], bill_id, f"{still_due} still due")
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    assert await bot.case_state(bill_id) == CaseState.APPROVED


async def test_a_new_listing_that_finds_a_bill_changed_elsewhere_updates_older_messages(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    first = await bot.bills(user=ANA)
    bill_id, due = await _bill(bot, first)
    await bot.click(first, Action.APPROVE, bill_id, user=ANA)  # so the bot has its case
    first = await bot.wait_for_card(first["ts"], bill_id, "Approved by")
    total = await _gbp_due(bot, first)
    await _paid_elsewhere(bot, bill_id, Decimal("50.00"))
    await told_of_changes(bot)  # the listing reads the mirror

    await bot.bills(user=BEN)

    still_due = format_money(due - Decimal("50.00"), "GBP")
    first = await bot.wait_for_card(first["ts"], bill_id, f"{still_due} still due")
    assert await _gbp_due(bot, first) == total - Decimal("50.00")


# ---------------------------------------------------------------- rejected bills


async def _reject(bot: Bot, message: dict[str, Any], bill_id: str, user: str = BEN) -> Any:
    view = await _modal(bot, message, Action.REJECT, bill_id, user)
    assert await bot.submit(view, {"reject_reason": "Not our order"}, user=user) == {}
    return await bot.wait_for_card(message["ts"], bill_id, "Rejected by")


@pytest.mark.bot(approvers=[ANA, BEN])
async def test_rejected_bills_leave_the_listing_until_an_approver_reopens_them(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    total = await _gbp_due(bot, message)
    bill_id, due = await _bill(bot, message)

    message = await _reject(bot, message, bill_id)
    assert "24 outstanding bills" in summary_of(message)
    assert "rejected bill" not in summary_of(message)  # its card is still here, rejected
    assert await _gbp_due(bot, message) == total - due
    assert card_actions(message, bill_id) == [Action.REOPEN]

    fresh = await bot.bills(user=ANA)
    assert "24 outstanding bills" in summary_of(fresh)
    assert "1 rejected bill not shown" in summary_of(fresh)
    assert bill_id not in bill_ids(fresh)

    rejected = await bot.bills("rejected", user=ANA)
    assert "1 rejected bill" in summary_of(rejected)
    assert bill_ids(rejected) == [bill_id]

    # Only an approver may reopen, and only with a reason.
    await bot.click(rejected, Action.REOPEN, bill_id, user=EVE)
    await bot.slack.wait_for_responses(where=lambda r: "Only approvers can reopen" in str(r))
    view = await _modal(bot, rejected, Action.REOPEN, bill_id, ANA)
    assert view["callback_id"] == "reopen_bill"
    ack = await bot.submit(view, {"reopen_reason": " "}, user=ANA)
    assert ack["response_action"] == "errors" and "reopen_reason" in ack["errors"]
    assert await bot.submit(view, {"reopen_reason": "Corrected invoice came"}, user=ANA) == {}

    rejected = await bot.wait_for_card(rejected["ts"], bill_id, "needs approval")
    assert card_actions(rejected, bill_id)[:2] == [Action.APPROVE, Action.REJECT]
    assert "no rejected bills" in summary_of(rejected)
    message = await bot.wait_for_card(message["ts"], bill_id, "needs approval")
    assert "25 outstanding bills" in summary_of(message)
    assert "rejected bill" not in summary_of(message)
    assert await bot.case_state(bill_id) == CaseState.PENDING
    (event,) = await _audit(bot, "bill_reopened")
    assert event.actor == ANA and event.details["reason"] == "Corrected invoice came"
    assert event.details["rejected_by"] == BEN
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == rejected["ts"]
    )
    (line,) = bot.slack.thread(CHANNEL, rejected["ts"])
    assert "<@U0ANA> reopened " in line["text"]
    assert line["text"].endswith(": Corrected invoice came")

    # Rejected again by the same person: a new round.
    await _reject(bot, rejected, bill_id)
    assert await bot.case_state(bill_id) == CaseState.REJECTED


async def test_rejecting_a_partly_paid_bill_says_how_much_has_gone_out(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id, _ = await _bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await _pay(bot, message, bill_id, "100.00")
    message = await bot.wait_for_card(message["ts"], bill_id, "£100.00 paid")

    view = await _modal(bot, message, Action.REJECT, bill_id, BEN)
    assert "£100.00 has already been paid" in json.dumps(view, ensure_ascii=False)
    clean = next(b for b in bill_ids(message) if b != bill_id)
    view = await _modal(bot, message, Action.REJECT, clean, BEN)
    assert "already been paid" not in json.dumps(view)
