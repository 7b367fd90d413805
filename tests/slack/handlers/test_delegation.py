"""Deciding for an approver who is away, end to end over signed HTTP through the Slack fake:
`/billpay away` names a delegate (refusing oneself, days past and someone who can't approve);
the delegate decides only while the approver is away (the dates, or a Slack status saying so
that has not expired); the card says "Approved by @ben for @ana" (or "Rejected by @ben for
@ana") and the audit names both; and
separation of duties still holds, counting both people."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseState
from billpay.slack.blocks.ids import Action
from billpay.store.models import AuditEvent, Delegation
from testkit.bot import Bot, bill_ids
from testkit.world import ANA, BEN, EVE, NOW, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill
from tests.slack.handlers.test_duties import _click_approve, _create_bill
from tests.slack.handlers.test_pay_button import _click_pay

ON_HOLIDAY = {"profile": {"status_emoji": ":palm_tree:", "status_text": "Back on Monday"}}


async def _away(bot: Bot, text: str, user: str) -> str:
    before = len(bot.slack.responses)
    await bot.command("/billpay", f"away {text}".strip(), user=user)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


async def _approved_events(bot: Bot, bill_id: str) -> list[tuple[str, str | None]]:
    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "bill_approved", AuditEvent.bill_id == bill_id
            )
        )
        return [(r.actor, r.details.get("on_behalf_of")) for r in rows]


async def test_mistakes_in_naming_a_delegate_are_refused_with_the_reason(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users["U0BOT"] = {"is_bot": True}
    assert await _away(bot, "<@U0ANA|ana> until 2026-12-24", ANA) == (
        "You can't be your own delegate; name someone else."
    )
    assert await _away(bot, "<@U0BEN|ben> until 2020-01-01", ANA) == (
        "2020-01-01 is in the past; choose today or a later day."
    )
    assert await _away(bot, "<@U0BEN|ben> until 24/12/2026", ANA) == (
        "“24/12/2026” is not a date; write it like 2026-12-24."
    )
    assert (await _away(bot, "<@U0BOT|robot>", ANA)).startswith("<@U0BOT> can't approve bills")
    assert (await _away(bot, "ben", ANA)).startswith("Name who decides for you")
    async with bot.services.db.read() as s:
        assert list(await s.scalars(select(Delegation))) == []

    answer = await _away(bot, "<@U0BEN|ben> until 2026-12-24", ANA)
    assert answer.startswith("<@U0BEN> decides for you from 2026-11-")
    assert await _away(bot, "off", ANA) == "Nobody decides for you any more."
    async with bot.services.db.read() as s:
        events = list(await s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.in_(("delegate_named", "delegate_ended")))))  # fmt: skip
    assert events == ["delegate_named", "delegate_ended"]


@pytest.mark.bot(approvers="U0ANA,U0SAM")
async def test_a_delegate_approves_while_the_approvers_slack_status_says_away(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    await _away(bot, "<@U0BEN|ben>", ANA)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)

    # Ana is at her desk: Ben is nobody here.
    answer = await _click_approve(bot, message, bill_id, BEN)
    assert answer.startswith("Only <@U0ANA> or <@U0SAM> can approve bills in this channel.")
    # A holiday status that has expired says nothing either.
    expired = {"profile": {"status_emoji": ":palm_tree:", "status_expiration": 1}}
    bot.slack.users[ANA] = expired
    assert (await _click_approve(bot, message, bill_id, BEN)).startswith("Only <@U0ANA>")

    bot.slack.users[ANA] = {"profile": {"status_text": "OOO until the 3rd"}}
    await bot.click(message, Action.APPROVE, bill_id, user=BEN)

    card = await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0BEN> for <@U0ANA>")
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    assert await _approved_events(bot, bill_id) == [(BEN, ANA)]
    # Ben may not pay what he approved, nor may Ana, in whose name he did.
    for payer in (BEN, ANA):
        answer = await _click_pay(bot, card, bill_id, payer)
        assert answer.startswith("You approved this bill, and this channel's policy asks"), payer
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


@pytest.mark.bot(approvers="U0ANA,U0SAM", dual_approval_threshold="1")
async def test_an_approver_back_finds_their_approval_given_by_their_delegate(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = ON_HOLIDAY
    await _away(bot, "<@U0BEN|ben>", ANA)
    card = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, card)
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "<@U0BEN> for <@U0ANA>, 1 of 2")
    bot.slack.users[ANA] = {}

    answer = await _click_approve(bot, card, bill_id, ANA)

    assert answer == (
        "<@U0BEN> already approved this bill for you; it needs 1 more approval from someone else."
    )
    await bot.click(card, Action.APPROVE, bill_id, user=SAM)
    card = await bot.wait_for_card(card["ts"], bill_id, "<@U0SAM>, 2 of 2")
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    assert await _approved_events(bot, bill_id) == [(BEN, ANA), (SAM, None)]


@pytest.mark.bot(approvers="U0ANA,U0SAM")
async def test_the_dates_make_an_approver_away_whatever_their_status(linked_bot: Bot) -> None:
    bot = linked_bot
    today = NOW.date().isoformat()
    await _away(bot, f"<@U0EVE|eve> from {today} until 2026-12-24", SAM)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)

    await bot.click(message, Action.APPROVE, bill_id, user=EVE)

    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0EVE> for <@U0SAM>")
    assert await _approved_events(bot, bill_id) == [(EVE, SAM)]


@pytest.mark.bot(approvers="U0ANA,U0SAM")
async def test_a_delegate_does_not_approve_what_they_or_the_approver_brought_in(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[SAM] = ON_HOLIDAY
    bot.slack.users[ANA] = ON_HOLIDAY
    await _away(bot, "<@U0BEN|ben>", SAM)
    card = await _create_bill(bot, "120.00", requested_by=BEN)  # Ana creates it for Ben
    (bill_id,) = bill_ids(card)

    answer = await _click_approve(bot, card, bill_id, BEN)

    assert answer == (
        "This bill was created at your request, so someone else must approve it. "
        "Nothing was changed."
    )
    await _away(bot, "<@U0EVE|eve>", ANA)
    answer = await _click_approve(bot, card, bill_id, EVE)
    assert answer.startswith("<@U0ANA>, for whom you decide while they are away, brought this")
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert await _approved_events(bot, bill_id) == []


@pytest.mark.bot(approvers="U0ANA,U0SAM,U0BEN", dual_approval_threshold="1000")
async def test_a_delegate_gives_no_second_approval_after_their_own(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = ON_HOLIDAY
    await _away(bot, "<@U0BEN|ben>", ANA)
    card = await _create_bill(bot, "4000.00")
    (bill_id,) = bill_ids(card)
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "Approved by <@U0BEN>, 1 of 2")

    answer = await _click_approve(bot, card, bill_id, BEN)

    assert answer.startswith("You have already approved this bill")
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert await _approved_events(bot, bill_id) == [(BEN, None)]


@pytest.mark.bot(approvers="U0ANA,U0SAM", dual_approval_threshold="1")
async def test_a_delegate_for_two_approvers_approves_a_bill_once(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = ON_HOLIDAY
    bot.slack.users[SAM] = {"profile": {"status_text": "En congé jusqu'au 3"}}
    await _away(bot, "<@U0BEN|ben>", ANA)
    await _away(bot, "<@U0BEN|ben>", SAM)
    card = await bot.bills(user=EVE)
    bill_id = await _open_bill(bot, card)
    await bot.click(card, Action.APPROVE, bill_id, user=BEN)
    card = await bot.wait_for_card(card["ts"], bill_id, "<@U0BEN> for <@U0ANA>, 1 of 2")

    answer = await _click_approve(bot, card, bill_id, BEN)

    assert answer.startswith("You have already approved this bill")
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert await _approved_events(bot, bill_id) == [(BEN, ANA)]


@pytest.mark.bot(approvers="U0ANA")
async def test_a_delegate_rejects_for_the_away_approver_and_the_audit_names_both(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    await _away(bot, f"<@U0BEN|ben> until {NOW.date().isoformat()}", ANA)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)

    await bot.click(message, Action.REJECT, bill_id, user=BEN)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    assert await bot.submit(view, {"reject_reason": "Not ours"}, user=BEN) == {}

    await bot.wait_for_card(message["ts"], bill_id, "Rejected by <@U0BEN> for <@U0ANA>: Not ours")
    async with bot.services.db.read() as s:
        (event,) = await s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "bill_rejected", AuditEvent.bill_id == bill_id
            )
        )
    assert (event.actor, event.details["on_behalf_of"]) == (BEN, ANA)
