"""Separation of duties end to end over HTTP, on whichever database the suite runs on: whoever
creates a bill from Slack, or is named as asking for it, never approves it; a second approval
comes from someone else; under the default policy one person cannot take a bill from creation
to payment; `/billpay status` states the policy in one line."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseState
from billpay.slack.blocks.ids import Action, SupplierInput
from billpay.store.models import AuditEvent, BillOrigin
from testkit.bot import Bot, bill_ids
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, sandbox_payments
from tests.slack.handlers.suppliers.steps import _bill_options, _choose_supplier, _new_bill_form
from tests.slack.handlers.test_bills_flow import _pay_modal
from tests.slack.handlers.test_pay_button import _click_pay


async def _create_bill(bot: Bot, amount: str, *, requested_by: str | None = None) -> dict[str, Any]:
    """Ana creates a bill with the new bill form; returns its card."""
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "north", "Northridge Office Supplies")
    inputs: dict[str, Any] = {"line_amount:0": amount, "line_account:0": account}
    if requested_by:
        inputs[SupplierInput.BILL_REQUESTER] = requested_by
    posted = len(bot.slack.calls_to("chat.postMessage"))
    await bot.submit(view, inputs, user=ANA)
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    return bot.slack.message(CHANNEL, call.response["ts"])


async def _click_approve(bot: Bot, card: dict[str, Any], bill_id: str, user: str) -> str:
    """Approve as `user`, who is told something only they see: its words."""
    before = len(bot.slack.responses)
    await bot.click(card, Action.APPROVE, bill_id, user=user)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


async def _denials(bot: Bot, bill_id: str) -> list[dict[str, Any]]:
    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "permission_denied", AuditEvent.bill_id == bill_id
            )
        )
        return [{"actor": r.actor, **r.details} for r in rows]


async def test_whoever_creates_a_bill_cannot_approve_it(linked_bot: Bot) -> None:
    bot = linked_bot
    card = await _create_bill(bot, "480.00")
    (bill_id,) = bill_ids(card)

    answer = await _click_approve(bot, card, bill_id, ANA)

    assert answer == "You created this bill, so someone else must approve it. Nothing was changed."
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert await _denials(bot, bill_id) == [
        {"actor": ANA, "attempted": "approve", "reason": "brought the bill in"}
    ]
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "Approved by <@U0BEN>")


async def test_the_person_named_as_asking_for_a_bill_cannot_approve_it(linked_bot: Bot) -> None:
    bot = linked_bot
    card = await _create_bill(bot, "120.00", requested_by=BEN)
    (bill_id,) = bill_ids(card)
    async with bot.services.db.read() as s:
        origin = await s.scalar(select(BillOrigin).where(BillOrigin.bill_id == bill_id))
    assert origin is not None and (origin.created_by, origin.requested_by) == (ANA, BEN)

    answer = await _click_approve(bot, card, bill_id, BEN)

    assert answer == (
        "This bill was created at your request, so someone else must approve it. "
        "Nothing was changed."
    )
    assert await bot.case_state(bill_id) == CaseState.PENDING
    await bot.click(card, Action.APPROVE, bill_id, user=EVE)
    await bot.wait_for_card(card["ts"], bill_id, "Approved by <@U0EVE>")


@pytest.mark.bot(dual_approval_threshold="1000")
async def test_a_second_approval_by_the_first_approver_does_not_count(linked_bot: Bot) -> None:
    bot = linked_bot
    card = await _create_bill(bot, "4000.00")
    (bill_id,) = bill_ids(card)
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "<@U0BEN>")

    answer = await _click_approve(bot, card, bill_id, BEN)

    assert answer == (
        "You have already approved this bill; it needs 1 more approval from someone else."
    )
    assert await bot.case_state(bill_id) == CaseState.PENDING
    await bot.click(card, Action.APPROVE, bill_id, user=EVE)
    await bot.wait_for_card(card["ts"], bill_id, "<@U0EVE>")
    assert await bot.case_state(bill_id) == CaseState.APPROVED


async def test_under_the_default_policy_nobody_takes_a_bill_from_creation_to_payment(
    linked_bot: Bot,
) -> None:
    """A fresh link, nothing configured: anyone in the channel approves and pays, but never
    the same person for both, and never the bill's creator as its approver."""
    bot = linked_bot
    card = await _create_bill(bot, "480.00")
    (bill_id,) = bill_ids(card)

    assert "someone else must approve" in await _click_approve(bot, card, bill_id, ANA)
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "Approved by <@U0BEN>")
    answer = await _click_pay(bot, card, bill_id, BEN)
    assert answer == (
        "You approved this bill, and this channel's policy asks someone else to pay it. "
        "Nothing was changed."
    )
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    view = await _pay_modal(bot, card, bill_id, SAM)
    ack = await bot.submit(view, user=SAM)
    assert ack["response_action"] == "update"
    await bot.wait_for_card(card["ts"], bill_id, "Paid £")
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


async def test_status_says_how_many_people_paying_a_bill_takes(linked_bot: Bot) -> None:
    bot = linked_bot
    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=EVE)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "2 people needed to pay any bill: one approves, another pays." in answer["text"]
    assert "Whoever creates a bill here, or asks for it, never approves it." in answer["text"]


@pytest.mark.bot(approver_may_pay=True, dual_approval_threshold="1000")
async def test_status_warns_when_one_person_can_approve_and_pay(linked_bot: Bot) -> None:
    bot = linked_bot
    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=EVE)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert (
        ":warning: One person can approve and pay a bill alone here; 2 above £1,000.00."
        in (answer["text"])
    )
