"""Digest subscriptions and runs in the bot's database: defaults, idempotent creation, settings
checked before they are stored, pausing, and a day's run claimed exactly once, by concurrent
callers on one engine and (on PostgreSQL) by two replicas with their own engines."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

import pytest

from billpay.digest.schedule import InvalidSchedule
from billpay.digest.store import (
    SubscriptionNotFound,
    active_subscriptions,
    claim_run,
    create_subscription,
    get_run,
    get_subscription,
    pause_subscription,
    record_run,
    resume_subscription,
    update_subscription,
)
from billpay.store.db import Database
from billpay.store.models import CompanyLink
from testkit.payables import on_postgres

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def link(db: Database, channel: str = "C0FIN", *, archived: bool = False) -> int:
    async with db.write() as s:
        row = CompanyLink(
            team_id="T0001",
            channel_id=channel,
            company_id="company-1",
            connection_id="connection-1",
            company_name="Larkspur Design Studio Ltd",
            base_currency="GBP",
            linked_by="U0ANA",
            archived=archived,
        )
        s.add(row)
        await s.flush()
        return row.id


async def test_a_new_subscription_has_the_defaults_and_creating_it_again_changes_nothing(
    bot_db: Database,
) -> None:
    link_id = await link(bot_db)
    sub = await create_subscription(bot_db, link_id, created_by="U0ANA", time_zone="Europe/London")

    assert (sub.local_time, sub.time_zone, sub.weekdays) == (
        time(9, 0),
        "Europe/London",
        (1, 2, 3, 4, 5),
    )
    assert (sub.look_ahead_days, sub.post_when_empty, sub.paused) == (7, False, False)
    assert (sub.channel_id, sub.company_id, sub.base_currency) == ("C0FIN", "company-1", "GBP")
    again = await create_subscription(bot_db, link_id, created_by="U0BEN", time_zone="UTC")
    assert again == sub


async def test_concurrent_creations_make_one_subscription(bot_db: Database) -> None:
    link_id = await link(bot_db)
    subs = await asyncio.gather(
        *(create_subscription(bot_db, link_id, created_by="U0ANA") for _ in range(5))
    )
    assert len({s.id for s in subs}) == 1


async def test_creating_for_a_missing_link_or_in_an_unknown_zone_is_refused(
    bot_db: Database,
) -> None:
    with pytest.raises(SubscriptionNotFound):
        await create_subscription(bot_db, 9999, created_by="U0ANA")
    link_id = await link(bot_db)
    with pytest.raises(InvalidSchedule):
        await create_subscription(bot_db, link_id, created_by="U0ANA", time_zone="Mars/Base")


async def test_settings_are_updated_when_valid(bot_db: Database) -> None:
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    changed = await update_subscription(
        bot_db,
        sub.id,
        local_time="07:30",
        time_zone="America/New_York",
        weekdays=["Mon", "Wed"],
        look_ahead_days=14,
        post_when_empty=True,
    )
    assert (changed.local_time, changed.time_zone, changed.weekdays) == (
        time(7, 30),
        "America/New_York",
        (1, 3),
    )
    assert (changed.look_ahead_days, changed.post_when_empty) == (14, True)
    assert await get_subscription(bot_db, sub.id) == changed


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"local_time": "25:00"}, "HH:MM"),
        ({"time_zone": "Europe/Atlantis"}, "not a time zone"),
        ({"weekdays": []}, "at least one weekday"),
        ({"look_ahead_days": 0}, "1 to 31 days"),
        ({"look_ahead_days": 32}, "1 to 31 days"),
    ],
)
async def test_invalid_settings_are_refused_and_nothing_changes(
    bot_db: Database, change: dict[str, object], words: str
) -> None:
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    with pytest.raises(InvalidSchedule, match=words):
        await update_subscription(bot_db, sub.id, **{"post_when_empty": True, **change})  # type: ignore[arg-type]
    assert await get_subscription(bot_db, sub.id) == sub


async def test_updating_a_missing_subscription_says_so(bot_db: Database) -> None:
    with pytest.raises(SubscriptionNotFound):
        await update_subscription(bot_db, 4242, look_ahead_days=3)


async def test_paused_and_archived_channels_are_not_active(bot_db: Database) -> None:
    first = await create_subscription(bot_db, await link(bot_db, "C01"), created_by="U0ANA")
    second = await create_subscription(bot_db, await link(bot_db, "C02"), created_by="U0ANA")
    await create_subscription(bot_db, await link(bot_db, "C03", archived=True), created_by="U0ANA")

    paused = await pause_subscription(bot_db, first.id, "the bot was removed\nfrom the channel")
    assert paused.paused and paused.paused_reason == "the bot was removed from the channel"
    assert [s.id for s in await active_subscriptions(bot_db)] == [second.id]
    resumed = await resume_subscription(bot_db, first.id)
    assert not resumed.paused and resumed.paused_reason is None
    assert [s.id for s in await active_subscriptions(bot_db)] == [first.id, second.id]


async def test_a_run_is_claimed_once_and_its_outcome_recorded(bot_db: Database) -> None:
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    assert await claim_run(bot_db, sub.id, DAY, now=NOW) is True
    assert await claim_run(bot_db, sub.id, DAY, now=NOW) is False
    assert await claim_run(bot_db, sub.id, date(2026, 11, 24), now=NOW) is True

    await record_run(
        bot_db, sub.id, DAY, "posted", message_ts="1700000000.000100", blocks=23, now=NOW
    )
    run = await get_run(bot_db, sub.id, DAY)
    assert run is not None
    assert (run.status, run.message_ts, run.blocks, run.finished_at) == (
        "posted",
        "1700000000.000100",
        23,
        NOW,
    )
    with pytest.raises(LookupError):
        await record_run(bot_db, sub.id, date(2026, 12, 25), "failed", error="never claimed")
    with pytest.raises(SubscriptionNotFound):
        await claim_run(bot_db, 4242, DAY)


async def test_concurrent_claims_of_one_day_let_exactly_one_through(bot_db: Database) -> None:
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    results = await asyncio.gather(claim_run(bot_db, sub.id, DAY), claim_run(bot_db, sub.id, DAY))
    assert sorted(results) == [False, True]
    many = await asyncio.gather(*(claim_run(bot_db, sub.id, date(2026, 11, 25)) for _ in range(10)))
    assert many.count(True) == 1


@pytest.mark.slow
async def test_two_replicas_with_their_own_engines_claim_a_day_once(
    bot_db: Database, bot_database_url: str
) -> None:
    """Two `Database`s on the same database, as two replicas have: the unique key decides."""
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    replicas = [Database(bot_database_url), Database(bot_database_url)]
    try:
        for day in (DAY, date(2026, 11, 24), date(2026, 11, 25)):
            results = await asyncio.gather(*(claim_run(r, sub.id, day) for r in replicas))
            assert sorted(results) == [False, True], day
    finally:
        for replica in replicas:
            await replica.dispose()


@pytest.mark.slow
@pytest.mark.skipif(not on_postgres(), reason="row contention across engines needs PostgreSQL")
async def test_on_postgresql_many_engines_racing_still_claim_once(
    bot_db: Database, bot_database_url: str
) -> None:
    sub = await create_subscription(bot_db, await link(bot_db), created_by="U0ANA")
    replicas = [Database(bot_database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(claim_run(r, sub.id, DAY) for r in replicas for _ in range(3))
        )
        assert results.count(True) == 1
    finally:
        for replica in replicas:
            await replica.dispose()
