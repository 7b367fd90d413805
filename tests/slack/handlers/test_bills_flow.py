"""End to end over HTTP: `/bills`, approve, pay in full and in part, pay in another currency,
reject with a reason, and what people the policy does not allow see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billpay.core.money import format_money
from billpay.slack.blocks.ids import Action
from billpay.store.models import CaseState
from testkit.bot import Bot, bill_ids, card_actions, card_text, shows_result
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, sandbox_payments


async def _open_bill(bot: Bot, message: dict, currency: str = "GBP") -> str:
    demo = bot.sandbox.demo
    for bill_id in bill_ids(message):
        bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
        if bill.currency == currency and bill.status == "Open":
            return bill_id
    raise AssertionError(f"no open {currency} bill on the first page")


async def _pay_modal(bot: Bot, message: dict, bill_id: str, user: str) -> dict:
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.PAY, bill_id, user=user)
    return await bot.modal(opened)


async def test_bills_approve_and_pay_in_full(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    assert "25 outstanding bills · 7 overdue" in message["text"]
    assert len(bill_ids(message)) == 10
    bill_id = await _open_bill(bot, message)

    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    assert card_actions(message, bill_id) == [Action.PAY, Action.REJECT, Action.MORE]

    view = await _pay_modal(bot, message, bill_id, SAM)
    assert view["title"]["text"] == "Pay bill"
    ack = await bot.submit(view, user=SAM)  # the defaults: full amount, today, first account
    assert ack["response_action"] == "update"
    message = await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    assert "from Business Current by <@U0SAM>" in card_text(message, bill_id)
    assert card_actions(message, bill_id) == []
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == message["ts"]
    )
    (line,) = bot.slack.thread(CHANNEL, message["ts"])
    assert "<@U0SAM> paid £" in line["text"] and "paid in full" in line["text"]
    result = (await bot.slack.wait_for("views.update", where=shows_result))[-1].args["view"]
    assert "It is recorded in the accounting platform" in str(result)

    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    assert bill.status == "Paid" and bill.amount_due == 0
    assert await bot.case_state(bill_id) == CaseState.PAID


async def test_a_partial_payment_shows_what_is_still_due(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(view, {"pay_amount": "100.00"}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "£100.00 paid")
    assert "still due" in card_text(message, bill_id)
    assert card_actions(message, bill_id)[0] == Action.PAY  # the rest can be paid later
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    assert bill.status == "PartiallyPaid"


@pytest.mark.parametrize("account", ["EUR", "GBP"])
async def test_a_foreign_currency_bill_needs_its_rate_to_the_base_currency_from_any_account(
    linked_bot: Bot, account: str
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message, "EUR")
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)
    options = next(b for b in view["blocks"] if b.get("block_id") == "pay_account")
    assert options["element"]["initial_option"]["text"]["text"] == "EUR · Euro Account"
    assert [o["text"]["text"][:3] for o in options["element"]["options"]] == ["EUR", "GBP"]
    rate = next(b for b in view["blocks"] if b.get("block_id") == "pay_rate")
    assert rate["label"]["text"] == "Exchange rate (GBP per 1 EUR)"
    chosen = bot.sandbox.demo.bank_accounts[account]

    ack = await bot.submit(view, {"pay_account": chosen, "pay_rate": "abc"}, user=SAM)
    assert ack["response_action"] == "errors" and "pay_rate" in ack["errors"]
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    ack = await bot.submit(view, {"pay_account": chosen, "pay_rate": "0.8612"}, user=SAM)
    assert ack["response_action"] == "update"
    card = await bot.wait_for_card(message["ts"], bill_id, "at 1 EUR = 0.8612 GBP (≈ £")
    (payment,) = await bot.sandbox.payments(bill_id)
    # The rate converts the payment into the company's pounds, whichever account paid it.
    assert Decimal(str(payment["baseAmount"])) == (
        Decimal(str(payment["amount"])) * Decimal("0.8612")
    ).quantize(Decimal("0.01"))
    # The card says what the bank's books will say.
    base = format_money(Decimal(str(payment["baseAmount"])), "GBP")
    assert f"at 1 EUR = 0.8612 GBP (≈ {base})" in card_text(card, bill_id)


async def test_reject_needs_a_reason_and_the_card_keeps_only_reopen(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.REJECT, bill_id, user=BEN)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    assert view["callback_id"] == "reject_bill"
    ack = await bot.submit(view, {"reject_reason": "  "}, user=BEN)
    assert ack["response_action"] == "errors" and "reject_reason" in ack["errors"]
    assert await bot.submit(view, {"reject_reason": "Duplicate of <!here> INV-9"}, user=BEN) == {}
    message = await bot.wait_for_card(message["ts"], bill_id, "Rejected by <@U0BEN>")
    assert "Duplicate of &lt;!here&gt; INV-9" in card_text(message, bill_id)
    assert card_actions(message, bill_id) == [Action.REOPEN]


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_someone_the_policy_does_not_allow_is_told_and_nothing_changes(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    updates = len(bot.slack.calls_to("chat.update"))
    await bot.click(message, Action.APPROVE, bill_id, user=EVE)
    (answer,) = await bot.slack.wait_for_responses(
        count=1, where=lambda r: "can approve" in str(r.get("text"))
    )
    assert "Only <@U0ANA> can approve" in answer["text"]
    assert answer.get("response_type") == "ephemeral"
    assert len(bot.slack.calls_to("chat.update")) == updates
    assert await bot.case_state(bill_id) == CaseState.PENDING

    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.PAY, bill_id, user=ANA)
    await bot.slack.wait_for_responses(count=1, where=lambda r: "can pay" in str(r.get("text")))
    assert len(bot.slack.calls_to("views.open")) == opened  # no modal for them


@pytest.mark.bot(dual_approval_threshold=Decimal(100))
async def test_above_the_threshold_the_same_person_cannot_approve_twice(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>, 1 of 2")
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.slack.wait_for_responses(
        count=1, where=lambda r: "already approved" in str(r.get("text"))
    )
    assert await bot.case_state(bill_id) == CaseState.PENDING
    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    message = await bot.wait_for_card(message["ts"], bill_id, "<@U0ANA>, <@U0BEN>, 2 of 2")
    assert await bot.case_state(bill_id) == CaseState.APPROVED
