"""What keeping App Homes up to date across replicas costs the database
(`billpay.store.home_views`): a change marking a workspace's 200 latest Homes due a redraw (one
transaction), and one Home's redraw claimed, recorded as drawn and its claim done (three short
transactions), beside the one `views.publish` it saves a person from a stale queue.

Run with `python -m bench.home_redraws` (SQLite in a temporary directory) or
`python -m bench.home_redraws --database-url postgresql://postgres@127.0.0.1:5432/bench`
(PostgreSQL, as replicas run).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime

from bench.on_a_database import run_on_a_database
from billpay.config import async_database_url
from billpay.store import claims, home_views
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.home_views import Viewer
from billpay.store.migrate import upgrade

VIEWERS = 200
ROUNDS = 5
REDRAWS_PER_ROUND = 40
TEAM = "T0BENCH"
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


async def measure(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    db = Database(async_database_url(database_url))
    claimant = Claimant.for_this_process()
    try:
        await home_views.forget(db, TEAM)
        for n in range(VIEWERS):
            await home_views.drawn(db, Viewer(TEAM, f"U{n:04}", "en_GB", "UTC"), NOW)
        marks: list[float] = []
        redraws: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            users = await home_views.mark_due(db, TEAM, NOW, VIEWERS)
            marks.append((time.perf_counter() - started) * 1000)
            for user_id in users[:REDRAWS_PER_ROUND]:
                started = time.perf_counter()
                redraw = await home_views.claim(db, claimant, TEAM, user_id, NOW)
                assert redraw is not None
                await home_views.drawn(db, redraw.viewer, NOW)
                await claims.done(db, home_views.KIND, redraw.subject, NOW)
                redraws.append((time.perf_counter() - started) * 1000)
        await home_views.forget(db, TEAM)
        await claims.forget_done(db, home_views.KIND, datetime.max.replace(tzinfo=UTC))
    finally:
        await db.dispose()
    redraws.sort()
    print(
        f"a change marking {VIEWERS} Homes due: median {statistics.median(marks):.1f} ms; "
        f"a Home's redraw (claim, recorded, done): median {statistics.median(redraws):.1f} ms, "
        f"p90 {redraws[int(len(redraws) * 0.9)]:.1f} ms"
    )


if __name__ == "__main__":
    run_on_a_database(__doc__, measure)
