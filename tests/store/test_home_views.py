"""The Homes drawn and the redraws due (`billpay.store.home_views`): a change marks the latest
viewers of its workspace due; a due redraw is claimed by one claimant however many try (on one
engine, and on PostgreSQL by replicas with engines of their own), and a change after the claim
marks it due again; a workspace forgotten has no Home left to draw."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from billpay.store import claims, home_views
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.home_views import Viewer
from testkit.payables import on_postgres

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
TEAM = "T0001"


async def _drawn(db: Database, *users: str, at: datetime = NOW) -> None:
    for user in users:
        await home_views.drawn(db, Viewer(TEAM, user, "fr_FR", "Europe/Paris"), at)


async def test_a_change_marks_the_latest_viewers_due_and_one_claimant_draws_each(
    bot_db: Database,
) -> None:
    await _drawn(bot_db, "U1", at=NOW - timedelta(hours=1))
    await _drawn(bot_db, "U2", "U3")
    assert set(await home_views.mark_due(bot_db, TEAM, NOW, most=2)) == {"U2", "U3"}
    assert await home_views.mark_due(bot_db, "T0OTHER", NOW, most=2) == []

    racers = [Claimant(f"host:{n}:racer{n}", LEASE) for n in range(4)]
    won = await asyncio.gather(
        *(home_views.claim(bot_db, c, TEAM, user, NOW) for c in racers for user in ("U1", "U2"))
    )
    (redraw,) = [w for w in won if w is not None]
    assert redraw.viewer == Viewer(TEAM, "U2", "fr_FR", "Europe/Paris")
    found = await claims.get(bot_db, home_views.KIND, redraw.subject)
    assert found is not None and found[1] is None  # held, not done

    # A change after the claim asks for another redraw, under a claim of its own.
    await home_views.mark_due(bot_db, TEAM, NOW, most=2)
    again = await home_views.claim(bot_db, racers[0], TEAM, "U2", NOW)
    assert again is not None and again.subject != redraw.subject
    assert await home_views.due_before(bot_db, NOW, 10) == [(TEAM, "U3")]
    assert await home_views.viewer_of(bot_db, redraw.subject) == redraw.viewer

    await home_views.forget(bot_db, TEAM)
    assert await home_views.due_before(bot_db, NOW, 10) == []
    assert await home_views.viewer_of(bot_db, redraw.subject) is None


@pytest.mark.slow
@pytest.mark.skipif(not on_postgres(), reason="row contention across engines needs PostgreSQL")
async def test_on_postgresql_replicas_with_their_own_engines_claim_a_redraw_once(
    bot_database_url: str,
) -> None:
    replicas = [Database(bot_database_url) for _ in range(4)]
    try:
        users = [f"U{n}" for n in range(10)]
        await _drawn(replicas[0], *users)
        await home_views.mark_due(replicas[0], TEAM, NOW, most=200)
        racers = [Claimant(f"host:{n}:racer{n}", LEASE) for n in range(len(replicas))]

        won = await asyncio.gather(
            *(
                home_views.claim(db, racer, TEAM, user, NOW)
                for db, racer in zip(replicas, racers, strict=True)
                for user in users
            )
        )

        drawn = sorted(w.viewer.user_id for w in won if w is not None)
        assert drawn == sorted(users)
    finally:
        for replica in replicas:
            await replica.dispose()
