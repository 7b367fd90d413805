"""App Homes with several replicas on one database: a change handled by one replica redraws the
Home of a person whose Home another replica drew, exactly once however many replicas tick; a
Home left due by a replica that stopped (before claiming its redraw, or after) is drawn once by
a live replica's tick, and not before the replica had its chance.

The replicas are two bots in this process on the same database and the same Slack fake
(`testkit.bot.in_process_bot`), each with its own services, claimant and Home tabs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from billpay.runtime.scheduler import Scheduler
from billpay.slack.app import listeners_settled
from billpay.slack.homes import LEFT_AFTER
from billpay.slack.people import Person
from billpay.store import claims, home_views
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import Bot, bill_ids, in_process_bot, replica_of
from testkit.world import ANA, BEN, NOW, TEAM
from tests.slack.handlers.test_home import _approve, _home, _publishes, _section_after

SETTINGS = {"approvers": [ANA, BEN]}
LEASE = timedelta(seconds=300)


@pytest.fixture
async def other(linked_bot: Bot, sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    """A second replica of `linked_bot`: same database, same Slack."""
    async with in_process_bot(sandbox, bot_db, linked_bot.slack, **SETTINGS) as running:
        yield running


def _quick(*bots: Bot) -> None:
    for bot in bots:
        bot.services.must_publish().homes.delay = 0.05


def _at(when: datetime, *bots: Bot) -> None:
    for bot in bots:
        bot.services.clock.set(lambda: when)


async def _settled() -> None:
    await asyncio.sleep(0.2)
    await listeners_settled()


async def _ticks(*bots: Bot) -> None:
    await asyncio.gather(*(Scheduler(bot.services).redraw_homes() for bot in bots))


@pytest.mark.bot(**SETTINGS)
async def test_a_change_on_one_replica_redraws_a_home_drawn_by_another_once(
    linked_bot: Bot, other: Bot
) -> None:
    first = linked_bot
    _quick(first, other)
    message = await first.bills(user=BEN)
    await _home(other, ANA)  # Ana's Home was drawn by the other replica
    before = _publishes(first, ANA)

    bill_id = bill_ids(message)[0]
    await _approve(first, message, bill_id, BEN)  # handled by the first
    await _settled()
    assert _publishes(first, ANA) == before + 1
    home = first.slack.home_views[ANA]
    assert _section_after(home, "Recent activity")[0].startswith(f"• <@{BEN}> approved ")

    # Both replicas' ticks, now and once a stopped replica's redraws would be taken: none again.
    await _ticks(first, other)
    _at(NOW + LEFT_AFTER + LEASE, first, other)
    await _ticks(first, other)
    await _settled()
    assert _publishes(first, ANA) == before + 1


@pytest.mark.bot(**SETTINGS)
async def test_a_home_left_due_by_a_replica_that_stopped_is_drawn_once_by_a_tick(
    linked_bot: Bot, other: Bot
) -> None:
    first = linked_bot
    await _home(other, ANA)
    await _home(other, BEN)
    before = {user: _publishes(first, user) for user in (ANA, BEN)}

    # A replica marks the workspace's Homes due and stops; another claims Ben's redraw and
    # stops before drawing it.
    dead = replica_of(first, NOW)
    assert set(await home_views.mark_due(first.services.db, TEAM, NOW, 200)) == {ANA, BEN}
    claimed = await home_views.claim(first.services.db, dead.claimant, TEAM, BEN, NOW)
    assert claimed is not None

    await _ticks(first, other)  # too soon: the replica may still be drawing them
    assert {user: _publishes(first, user) for user in (ANA, BEN)} == before

    _at(NOW + max(LEFT_AFTER, LEASE), first, other)
    await _ticks(first, other)
    await _ticks(first, other)
    assert {user: _publishes(first, user) for user in (ANA, BEN)} == {
        user: count + 1 for user, count in before.items()
    }
    found = await claims.get(first.services.db, home_views.KIND, claimed.subject)
    assert found is not None and found[1] is not None  # done


@pytest.mark.bot(**SETTINGS)
async def test_two_replicas_asked_at_once_draw_a_home_once(linked_bot: Bot, other: Bot) -> None:
    first = linked_bot
    _quick(first, other)
    await first.services.must_publish().homes.publish(TEAM, Person(ANA, "en_GB", "UTC"))
    before = _publishes(first, ANA)
    first.services.must_publish().homes.changed(TEAM)
    other.services.must_publish().homes.changed(TEAM)
    await _settled()
    assert _publishes(first, ANA) == before + 1
