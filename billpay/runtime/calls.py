"""Writing the calls counted by the call budget (`billpay.payables.budget`) to the database
(`billpay.store.calls`): the scheduler does it every half minute and at shutdown, and learns in
return what the other replicas counted today and how many companies are linked."""

from __future__ import annotations

from datetime import UTC

from billpay.services import Services
from billpay.store import calls


async def flush_calls(services: Services) -> None:
    budget = services.budget
    now = services.clock()
    tallies = budget.tallies()
    reading = budget.reading()
    quota = (
        calls.Quota(reading.limit, reading.remaining, reading.reset_at, reading.seen_at)
        if reading is not None
        else None
    )
    counted = [
        calls.Counted(t.company_id, t.day, t.payment, t.display, t.sync, t.refused) for t in tallies
    ]
    try:
        await calls.save(services.db, services.claimant.holder, counted, quota, now)
    except BaseException:
        budget.unwritten(tallies)
        raise
    day = now.astimezone(UTC).date()
    budget.learn(
        others_today=await calls.others_today(services.db, services.claimant.holder, day),
        companies=await calls.linked_companies(services.db),
        day=day,
    )
