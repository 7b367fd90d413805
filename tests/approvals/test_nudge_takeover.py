"""Reminders, escalations and approvals by policy claimed by a replica that died before sending
them: a live replica's reminder tick takes each claim over once its lease has passed and sends
it once, however many replicas tick, and never while the lease runs; a reminder whose bill was
decided meanwhile is only marked done.

The replicas run in this process (`testkit.bot.replica_of`): the one that "died" claimed the
nudges with the real claiming code (`Reminders.due_nudges`) and was never asked to send them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from billpay.core.domain import Nudge
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action
from billpay.store import claims
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, bill_ids, card_text, in_process_bot, replica_of
from testkit.slack import fake_slack_session
from testkit.world import ANA, BEN, CHANNEL, CONNECT_DEMO, NOW
from tests.slack.handlers.test_bills_flow import _open_bill

LEASE = timedelta(minutes=2)
APPROVERS = {"approvers": [ANA, BEN], "claim_lease_seconds": LEASE.total_seconds()}


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, sandbox: Sandbox, bot_db: Database
) -> AsyncIterator[Bot]:
    """The bot with the finance channel linked; `@pytest.mark.bot(...)` adds settings."""
    marker = request.node.get_closest_marker("bot")
    settings = {**APPROVERS, **(marker.kwargs if marker else {})}
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        in_process_bot(sandbox, bot_db, slack, **settings) as running,
    ):
        await running.command("/billpay", CONNECT_DEMO, user=ANA)
        await running.slack.wait_for_responses(count=1)
        await running.services.mirror.settled()  # the company's first read into the mirror
        yield running


def at(bot: Bot, when: datetime) -> None:
    bot.services.clock.set(lambda: when)


async def claimed_by_a_dead_replica(bot: Bot, when: datetime) -> list[Nudge]:
    """What a replica claims at `when` before it dies, sending none of it."""
    return await replica_of(bot, when).reminders.due_nudges(when)


async def tick_within_the_lease(bot: Bot, claimed_at: datetime) -> None:
    """A live replica's tick one second before the dead replica's lease ends."""
    at(bot, claimed_at + LEASE - timedelta(seconds=1))
    await Scheduler(bot.services).send_reminders()


async def ticks_after_the_lease(bot: Bot, claimed_at: datetime) -> None:
    """Two live replicas ticking at once when the lease has ended, then one more tick."""
    after = claimed_at + LEASE
    at(bot, after)
    other = replica_of(bot, after)
    await asyncio.gather(
        Scheduler(bot.services).send_reminders(), Scheduler(other).send_reminders()
    )
    await Scheduler(bot.services).send_reminders()


def dms(bot: Bot, user: str, text: str) -> list[str]:
    return [
        str(c.args["text"])
        for c in bot.slack.calls_to("chat.postMessage")
        if c.ok and c.args["channel"] == user and text in str(c.args.get("text"))
    ]


def thread_lines(bot: Bot, ts: str, mark: str) -> list[str]:
    return [m["text"] for m in bot.slack.thread(CHANNEL, ts) if mark in m["text"]]


@pytest.mark.bot(dual_approval_threshold=0)
async def test_a_reminder_left_by_a_dead_replica_is_sent_once_after_its_lease(bot: Bot) -> None:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "1 of 2")
    supplier = card_text(message, bill_id).split("*")[1]
    claimed_at = NOW + timedelta(hours=25)
    claimed = await claimed_by_a_dead_replica(bot, claimed_at)
    assert any(n.kind == "remind" and n.case.bill_id == bill_id for n in claimed)

    await tick_within_the_lease(bot, claimed_at)
    assert dms(bot, BEN, supplier) == []
    await ticks_after_the_lease(bot, claimed_at)

    (reminder,) = dms(bot, BEN, supplier)
    assert "for your approval" in reminder
    assert dms(bot, ANA, supplier) == []  # Ana has decided
    assert await claims.overdue(bot.services.db, claimed_at + LEASE * 10) == []


async def test_an_escalation_left_by_a_dead_replica_is_posted_once_after_its_lease(
    bot: Bot,
) -> None:
    message = await bot.bills(user=ANA)
    claimed = await claimed_by_a_dead_replica(bot, NOW)
    escalated = {n.case.bill_id for n in claimed if n.kind == "escalate"}
    assert escalated

    await tick_within_the_lease(bot, NOW)
    assert thread_lines(bot, message["ts"], ":rotating_light:") == []
    await ticks_after_the_lease(bot, NOW)

    # One line in the card's thread for each escalated bill the message shows.
    lines = thread_lines(bot, message["ts"], ":rotating_light:")
    assert len(lines) == len(set(lines)) == len(escalated & set(bill_ids(message))) > 0
    assert all("<@U0ANA> <@U0BEN>" in line for line in lines)


@pytest.mark.bot(approvers=[], auto_approve_below=500, auto_approve_after_hours=48)
async def test_an_approval_by_policy_left_by_a_dead_replica_is_told_once_after_its_lease(
    bot: Bot,
) -> None:
    message = await bot.bills(user=ANA)
    claimed_at = NOW + timedelta(hours=49)
    claimed = await claimed_by_a_dead_replica(bot, claimed_at)
    approved = [n for n in claimed if n.kind == "approved_by_policy"]
    assert approved

    await tick_within_the_lease(bot, claimed_at)
    assert thread_lines(bot, message["ts"], ":robot_face:") == []
    await ticks_after_the_lease(bot, claimed_at)

    lines = thread_lines(bot, message["ts"], ":robot_face:")
    assert lines and len(lines) == len(set(lines))
    assert all("approved by policy" in line for line in lines)
    assert await claims.overdue(bot.services.db, claimed_at + LEASE * 10) == []


@pytest.mark.bot(dual_approval_threshold=0)
async def test_a_reminder_whose_bill_was_decided_meanwhile_is_not_sent(bot: Bot) -> None:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    supplier = card_text(message, bill_id).split("*")[1]
    claimed_at = NOW + timedelta(hours=25)
    claimed = await claimed_by_a_dead_replica(bot, claimed_at)
    assert any(n.kind == "remind" and n.case.bill_id == bill_id for n in claimed)
    at(bot, claimed_at)
    await bot.click(message, Action.REJECT, bill_id, user=ANA)
    reject = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    assert await bot.submit(reject, {"reject_reason": "Not ours"}, user=ANA) == {}
    await bot.wait_for_card(message["ts"], bill_id, "Rejected by <@U0ANA>")

    await ticks_after_the_lease(bot, claimed_at)

    assert dms(bot, BEN, supplier) == [] and dms(bot, ANA, supplier) == []
    assert await claims.overdue(bot.services.db, claimed_at + LEASE * 10) == []
