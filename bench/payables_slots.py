"""What a company's shared places for payables requests cost each call (`billpay.store.slots`):
taking one (one atomic UPDATE) and giving it back (another), against a bare `SELECT 1` round
trip on the same database, and what 2 replicas x 20 requests at once cost when the ten places are
all wanted (taking, waiting, giving back).

Run with `python -m bench.payables_slots` (SQLite in a temporary directory) or
`python -m bench.payables_slots --database-url postgresql://postgres@127.0.0.1:5432/bench`
(PostgreSQL, as replicas run: SQLite serves one process, which writes no rows for this).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from sqlalchemy import delete, text

from bench.on_a_database import run_on_a_database
from billpay.config import async_database_url
from billpay.payables.budget import CONCURRENT_PER_COMPANY, CallBudget, Priority
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import PayablesSlot
from billpay.store.slots import CallSlots

CALLS = 500
ANSWER_SECONDS = 0.05
COMPANY = "bench-company"


async def _timed(work: object, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await work()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


async def measure(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    database_url = async_database_url(database_url)
    db = Database(database_url)
    other = Database(database_url)
    try:
        async with db.write() as s:
            await s.execute(delete(PayablesSlot).where(PayablesSlot.company_id == COMPANY))
        slots = CallSlots(db, "bench:1:a", capacity=CONCURRENT_PER_COMPANY)

        async def select_one() -> None:
            async with db.read() as s:
                await s.execute(text("SELECT 1"))

        async def take_and_give_back() -> None:
            place = await slots.take(COMPANY, CONCURRENT_PER_COMPANY)
            assert place is not None
            await slots.give_back(place)

        await take_and_give_back()  # the company's rows are added once
        baseline = await _timed(select_one, CALLS)
        costs = await _timed(take_and_give_back, CALLS)

        # Two replicas, 20 requests each at once, each answered in 50 ms (a fast answer).
        budgets = [
            CallBudget(reserve=0, shared=CallSlots(d, f"bench:{n}:b", capacity=10))
            for n, d in ((1, db), (2, other))
        ]

        async def request(budget: CallBudget, priority: Priority) -> None:
            async with budget.call(COMPANY, priority):
                await asyncio.sleep(ANSWER_SECONDS)

        priorities = [Priority.PAYMENT, Priority.DISPLAY, Priority.SYNC]
        started = time.perf_counter()
        await asyncio.gather(*(request(b, priorities[i % 3]) for i in range(20) for b in budgets))
        crowded = time.perf_counter() - started
    finally:
        await db.dispose()
        await other.dispose()

    base = statistics.median(baseline)
    cost = statistics.median(costs)
    p95 = statistics.quantiles(costs, n=20)[-1]
    print(f"database: {db.url.get_backend_name()}")
    print(f"SELECT 1 round trip, median of {CALLS}: {base:.2f} ms")
    print(
        f"take + give back a place, median of {CALLS}: {cost:.2f} ms ({cost / base:.1f}x), "
        f"95th percentile {p95:.2f} ms"
    )
    ideal = 40 / CONCURRENT_PER_COMPANY * ANSWER_SECONDS
    print(
        f"2 replicas x 20 requests of {ANSWER_SECONDS * 1000:.0f} ms, 10 places: "
        f"{crowded * 1000:.0f} ms (at least {ideal * 1000:.0f} ms with no cost)"
    )


if __name__ == "__main__":
    run_on_a_database(__doc__, measure)
