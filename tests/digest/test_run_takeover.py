"""A day's digest claimed by a replica that died before posting it: a live replica's digest tick
takes the run over once its lease has passed and posts it once, however many replicas tick;
never while the lease runs; recorded as missed, not posted, past the grace window; and a
replica slower than its lease leaves the posting to the one that took the run over.

The replicas run in this process (`testkit.bot.replica_of`): the one that "died" claimed the
run with the real claiming code and was never asked to post it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from billpay.digest import store as digest_store
from billpay.digest.schedule import Subscription
from billpay.runtime.scheduler import Scheduler
from billpay.slack.notices.digests import DigestSender
from billpay.store import claims
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from slack_playground import Call
from testkit.bot import BOT_TOKEN, Bot, in_process_bot, replica_of
from testkit.slack import fake_slack_session
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, TEAM

LEASE = timedelta(minutes=2)
DAY = date(2026, 11, 23)  # a Monday
AT_NINE = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
async def bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    """The bot with the finance channel linked, its digest at 09:00 in London."""
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        in_process_bot(
            sandbox, bot_db, slack, claim_lease_seconds=LEASE.total_seconds()
        ) as running,
    ):
        await running.command("/billpay", CONNECT_DEMO, user=ANA)
        await running.slack.wait_for_responses(count=1)
        await running.services.mirror.settled()  # the company's first read into the mirror
        link = await running.services.links.link_for(TEAM, CHANNEL)
        sub = await digest_store.subscription_for_link(running.services.db, link.id)
        assert sub is not None
        await digest_store.update_subscription(
            running.services.db, sub.id, time_zone="Europe/London"
        )
        yield running


def at(bot: Bot, when: datetime) -> None:
    bot.services.clock.set(lambda: when)


def digests(bot: Bot) -> list[Call]:
    return [
        call
        for call in bot.slack.calls_to("chat.postMessage")
        if call.ok and call.args.get("channel") == CHANNEL and "Bills due" in json.dumps(call.args)
    ]


async def subscription(bot: Bot) -> Subscription:
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    found = await digest_store.subscription_for_link(bot.services.db, link.id)
    assert found is not None
    return found


async def left_by_a_dead_replica(bot: Bot) -> Subscription:
    """The day's run, claimed at 09:00 by a replica that then died."""
    sub = await subscription(bot)
    dead = replica_of(bot, AT_NINE)
    assert await digest_store.claim_run(dead.db, sub.id, DAY, now=AT_NINE, claimant=dead.claimant)
    return sub


async def test_a_run_left_by_a_dead_replica_is_posted_once_after_its_lease(bot: Bot) -> None:
    sub = await left_by_a_dead_replica(bot)

    at(bot, AT_NINE + LEASE - timedelta(seconds=1))  # its lease still runs
    await Scheduler(bot.services).send_due_digests()
    assert digests(bot) == []

    at(bot, AT_NINE + LEASE)
    other = replica_of(bot, AT_NINE + LEASE)
    await asyncio.gather(
        Scheduler(bot.services).send_due_digests(), Scheduler(other).send_due_digests()
    )
    at(bot, AT_NINE + LEASE * 3)
    await Scheduler(bot.services).send_due_digests()

    (digest,) = digests(bot)
    run = await digest_store.get_run(bot.services.db, sub.id, DAY)
    assert run is not None and run.status == "posted"
    assert run.message_ts == digest.response["ts"]
    found = await claims.get(bot.services.db, "digest", digest_store.run_subject(sub.id, DAY))
    assert found is not None
    held, done_at = found
    assert done_at is not None and held.attempts == 2
    assert held.holder in (bot.services.claimant.holder, other.claimant.holder)


async def test_a_run_taken_over_past_the_grace_window_is_recorded_missed(bot: Bot) -> None:
    sub = await left_by_a_dead_replica(bot)

    at(bot, AT_NINE + timedelta(hours=3))
    await Scheduler(bot.services).send_due_digests()

    assert digests(bot) == []
    run = await digest_store.get_run(bot.services.db, sub.id, DAY)
    assert run is not None and run.status == "missed"
    assert await claims.overdue(bot.services.db, AT_NINE + timedelta(days=1)) == []


async def test_a_replica_slower_than_its_lease_leaves_the_run_to_the_one_that_took_it(
    bot: Bot,
) -> None:
    sub = await subscription(bot)
    slow = replica_of(bot, AT_NINE)
    assert await digest_store.claim_run(slow.db, sub.id, DAY, now=AT_NINE, claimant=slow.claimant)
    at(bot, AT_NINE + LEASE)
    await Scheduler(bot.services).send_due_digests()
    assert len(digests(bot)) == 1

    slow.clock.set(lambda: AT_NINE + LEASE + timedelta(seconds=5))
    await DigestSender(slow).send([(sub, DAY)])  # what it was about to do when it stalled

    assert len(digests(bot)) == 1
