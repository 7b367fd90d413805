"""Claims with a lease (`billpay.store.claims`): held in the claiming transaction, renewed only by
their holder, done once; past its lease and not done, a claim is taken over by one claimant
however many try (on one engine, and on PostgreSQL by replicas with engines of their own),
never while its lease runs nor once done, and at most `MAX_ATTEMPTS` times."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from billpay.store import claims
from billpay.store.claims import MAX_ATTEMPTS, Claimant
from billpay.store.db import Database
from testkit.payables import on_postgres

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
DEAD = Claimant("host-a:101:dead01", LEASE)
LIVE = Claimant("host-b:202:live02", LEASE)


async def hold(db: Database, claimant: Claimant = DEAD, subject: str = "7@2026-11-23") -> None:
    async with db.write() as s:
        claims.hold(s, claimant, "digest", subject, NOW)


async def test_a_claim_past_its_lease_is_taken_over_once(bot_db: Database) -> None:
    await hold(bot_db)
    later = NOW + LEASE

    (taken,) = await claims.take_over_expired(bot_db, LIVE, ["digest"], later)
    again = await claims.take_over_expired(bot_db, Claimant("host-c:303:other3"), ["digest"], later)

    assert (taken.subject, taken.holder, taken.attempts) == ("7@2026-11-23", LIVE.holder, 2)
    assert (taken.claimed_at, taken.lease_until) == (later, later + LEASE)
    assert again == []


async def test_a_claim_of_another_kind_is_left_to_its_own_takeover(bot_db: Database) -> None:
    await hold(bot_db)
    assert await claims.take_over_expired(bot_db, LIVE, ["remind"], NOW + LEASE * 2) == []


async def test_a_claim_whose_lease_runs_is_never_taken(bot_db: Database) -> None:
    await hold(bot_db)
    almost = NOW + LEASE - timedelta(seconds=1)
    assert await claims.take_over_expired(bot_db, LIVE, ["digest"], almost) == []
    # Renewed by its holder just before the work, the lease runs again from then.
    assert await claims.keep(bot_db, DEAD, "digest", "7@2026-11-23", almost)
    assert await claims.take_over_expired(bot_db, LIVE, ["digest"], NOW + LEASE) == []


async def test_a_done_claim_is_never_taken(bot_db: Database) -> None:
    await hold(bot_db)
    await claims.done(bot_db, "digest", "7@2026-11-23", NOW + timedelta(seconds=3))

    assert await claims.take_over_expired(bot_db, LIVE, ["digest"], NOW + LEASE * 10) == []
    assert await claims.overdue(bot_db, NOW + LEASE * 10) == []
    found = await claims.get(bot_db, "digest", "7@2026-11-23")
    assert found is not None and found[1] == NOW + timedelta(seconds=3)


async def test_the_holder_that_lost_its_claim_can_no_longer_keep_it(bot_db: Database) -> None:
    await hold(bot_db)
    await claims.take_over_expired(bot_db, LIVE, ["digest"], NOW + LEASE)

    assert not await claims.keep(bot_db, DEAD, "digest", "7@2026-11-23", NOW + LEASE)
    assert await claims.keep(bot_db, LIVE, "digest", "7@2026-11-23", NOW + LEASE)


async def test_a_subject_is_claimed_once(bot_db: Database) -> None:
    await hold(bot_db)
    with pytest.raises(IntegrityError):
        await hold(bot_db, LIVE)


async def test_a_claim_is_held_at_most_max_attempts_times_then_stays_overdue(
    bot_db: Database,
) -> None:
    await hold(bot_db)
    moment = NOW
    for attempt in range(2, MAX_ATTEMPTS + 1):
        moment += LEASE
        (taken,) = await claims.take_over_expired(bot_db, LIVE, ["digest"], moment)
        assert taken.attempts == attempt

    moment += LEASE
    assert await claims.take_over_expired(bot_db, LIVE, ["digest"], moment) == []
    (left,) = await claims.overdue(bot_db, moment)
    assert (left.kind, left.subject, left.attempts) == ("digest", "7@2026-11-23", MAX_ATTEMPTS)


async def test_many_claimants_racing_on_one_engine_take_a_claim_over_once(
    bot_db: Database,
) -> None:
    await hold(bot_db)
    claimants = [Claimant(f"host:{n}:racer{n}", LEASE) for n in range(6)]

    won = await asyncio.gather(
        *(claims.take_over_expired(bot_db, c, ["digest"], NOW + LEASE) for c in claimants)
    )

    assert sum(len(taken) for taken in won) == 1


@pytest.mark.slow
@pytest.mark.skipif(not on_postgres(), reason="row contention across engines needs PostgreSQL")
async def test_on_postgresql_replicas_racing_with_their_own_engines_take_over_once(
    bot_database_url: str,
) -> None:
    replicas = [Database(bot_database_url) for _ in range(4)]
    try:
        for n in range(10):
            async with replicas[0].write() as s:
                claims.hold(s, DEAD, "remind", f"{n}@2026-11-23T09:00:00Z", NOW)
        racers = [Claimant(f"host:{n}:racer{n}", LEASE) for n in range(len(replicas))]

        won = await asyncio.gather(
            *(
                claims.take_over_expired(db, racer, ["remind"], NOW + LEASE)
                for db, racer in zip(replicas, racers, strict=True)
                for _ in range(2)
            )
        )

        subjects = [taken.subject for batch in won for taken in batch]
        assert sorted(subjects) == sorted(f"{n}@2026-11-23T09:00:00Z" for n in range(10))
    finally:
        for replica in replicas:
            await replica.dispose()
