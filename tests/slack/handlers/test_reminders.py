"""Approvals nobody forgets, end to end through the fake Slack: approvers who have not decided
are reminded in a direct message once per interval, until the bill is decided; bills due
tomorrow or overdue with no decision are escalated in their card's thread once; small bills can
be approved by policy."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action
from billpay.store.models import AuditEvent, CaseState
from testkit.bot import Bot, bill_ids, card_text
from testkit.world import ANA, BEN, CHANNEL, EVE, NOW, SAM
from tests.slack.handlers.test_bills_flow import _open_bill


def _at(bot: Bot, when: datetime) -> None:
    bot.services.clock.set(lambda: when)


def _dms(bot: Bot, user: str, bill_text: str) -> list[str]:
    return [
        str(c.args["text"])
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == user and bill_text in str(c.args.get("text"))
    ]


@pytest.mark.bot(approvers=[ANA, BEN], dual_approval_threshold=0)
async def test_approvers_who_have_not_decided_are_reminded_once_per_interval(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "1 of 2")
    supplier = card_text(message, bill_id).split("*")[1]
    scheduler = Scheduler(bot.services)

    _at(bot, NOW + timedelta(hours=23))  # Monday 09:00: not a day yet
    await scheduler.send_reminders()
    assert _dms(bot, BEN, supplier) == []
    _at(bot, NOW + timedelta(hours=25))
    await scheduler.send_reminders()
    (reminder,) = _dms(bot, BEN, supplier)
    assert "has waited 25 hours for your approval" in reminder and "Open the card" in reminder
    assert _dms(bot, ANA, supplier) == []  # Ana has decided
    _at(bot, NOW + timedelta(hours=30))
    await scheduler.send_reminders()
    assert len(_dms(bot, BEN, supplier)) == 1  # once per interval
    _at(bot, NOW + timedelta(hours=50))
    await scheduler.send_reminders()
    assert len(_dms(bot, BEN, supplier)) == 2

    await bot.click(message, Action.APPROVE, bill_id, user=BEN)  # decided: no more reminders
    await bot.wait_for_card(message["ts"], bill_id, "2 of 2")  # Ben's approval, not Ana's
    _at(bot, NOW + timedelta(hours=75))
    await scheduler.send_reminders()
    assert len(_dms(bot, BEN, supplier)) == 2


@pytest.mark.bot(approvers=[ANA, BEN])
async def test_a_bill_due_soon_with_no_decision_is_escalated_in_its_thread_once(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    scheduler = Scheduler(bot.services)
    await scheduler.send_reminders()
    await scheduler.send_reminders()
    lines = bot.slack.thread(CHANNEL, message["ts"])
    escalations = [m["text"] for m in lines if ":rotating_light:" in m["text"]]
    assert escalations and all("<@U0ANA> <@U0BEN>" in text for text in escalations)
    # The first page shows the overdue bills: one escalation each, however often it runs.
    assert len(escalations) == len(set(escalations))


@pytest.mark.bot(auto_approve_below=500, auto_approve_after_hours=48)
async def test_small_bills_are_approved_by_policy_after_the_wait(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.bills(user=ANA)
    scheduler = Scheduler(bot.services)
    await scheduler.send_reminders()
    async with bot.services.db.read() as s:
        assert not list(
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "approved_by_policy"))
        )
    _at(bot, NOW + timedelta(hours=49))
    await scheduler.send_reminders()
    async with bot.services.db.read() as s:
        approved = list(
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "approved_by_policy"))
        )
    assert approved
    link = await bot.services.links.link_for("T0001", CHANNEL)
    views = await bot.services.cases.case_views(link.id, [e.bill_id for e in approved])
    assert all(v.state == CaseState.APPROVED and v.approvals == ("policy",) for v in views)
    assert all(v.amount_due < 500 for v in views)


@pytest.mark.bot(approvers=[ANA, SAM])
async def test_an_away_approvers_reminders_go_to_their_delegate_asking_slack_once(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"profile": {"status_emoji": ":palm_tree:"}}
    await bot.command("/billpay", "away <@U0BEN|ben>", user=ANA)
    message = await bot.bills(user=EVE)
    pending = bill_ids(message)
    assert len(pending) > 1
    scheduler = Scheduler(bot.services)
    asked_before = _asked_about(bot, ANA)

    _at(bot, NOW + timedelta(hours=25))
    await scheduler.send_reminders()

    for_ana = [
        text
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == BEN and ":bell:" in (text := str(c.args.get("text")))
    ]
    assert len(for_ana) == len(pending)
    assert all("for your approval, standing in for <@U0ANA>." in text for text in for_ana)
    own = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == SAM]
    assert len(own) == len(pending)  # Sam is at work: reminded himself
    assert not [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == ANA]
    # Whether Ana is away is asked of Slack once for the whole tick, not once per bill.
    assert _asked_about(bot, ANA) - asked_before == 1
    # Escalations in the cards' threads name her delegate beside her.
    escalations = [
        m["text"]
        for m in bot.slack.thread(CHANNEL, message["ts"])
        if ":rotating_light:" in m["text"]
    ]
    assert escalations and all("(<@U0BEN> for <@U0ANA>) <@U0SAM>" in t for t in escalations)


def _asked_about(bot: Bot, user: str) -> int:
    return len([c for c in bot.slack.calls_to("users.info") if c.args.get("user") == user])


@pytest.mark.bot(approvers=[ANA, SAM])
@pytest.mark.parametrize(
    ("slack_locale", "saying"),
    [
        ("en-GB", "25 hours for your approval, as yourself and standing in for <@U0ANA>."),
        ("fr-FR", "depuis 25 heures, en votre nom et en remplacement de <@U0ANA>."),
    ],
)
async def test_a_delegate_who_also_approves_gets_one_reminder_per_bill_saying_both(
    linked_bot: Bot, slack_locale: str, saying: str
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"profile": {"status_emoji": ":palm_tree:"}}
    await bot.command("/billpay", "away <@U0SAM|sam>", user=ANA)
    bot.slack.users[SAM] = {"locale": slack_locale}
    message = await bot.bills(user=EVE)
    pending = bill_ids(message)
    scheduler = Scheduler(bot.services)

    _at(bot, NOW + timedelta(hours=25))
    await scheduler.send_reminders()

    to_sam = [
        text
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args["channel"] == SAM and ":bell:" in (text := str(c.args.get("text")))
    ]
    assert len(to_sam) == len(pending)  # one per bill, not one as himself and one for Ana
    assert all(saying in text for text in to_sam)
    assert not [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == ANA]
