"""A company's places for requests in flight to the payables API, shared by every replica on
one database, so that together they never have more in flight than Codat allows (10 per
company: one more is answered 429).

Each company has `capacity` rows in `payables_slots`, one per place. A request takes a place
with one atomic UPDATE of the lowest free row (holder null, or lease passed) among the first
`within` (a request of lower priority may use fewer places, so some are always left to those of
higher priority), and gives it back with one UPDATE after the answer. On PostgreSQL the row is
picked with `FOR UPDATE SKIP LOCKED`, so replicas taking places at once pick different rows
without waiting on each other, and the table is unlogged (its rows matter only while requests
run), so neither statement waits on a disk flush; SQLite has one writer at a time. Both run on a
bare connection, not an ORM session: about 1.8 ms the pair on PostgreSQL
(`bench/payables_slots.py`). The row's lease bounds how long
a replica that died holding a place keeps it: past `lease_until` the place is free again. A
request is bounded by its timeout, far shorter than the lease, so a live holder never loses its
place; and the holder names the request, so a place given back late (after its lease passed
and another request took it) frees nothing.

Leases compare the replicas' clocks, as claims do (`billpay.store.claims`): keep them in sync.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from billpay.core.clock import utcnow
from billpay.store.db import Database
from billpay.store.models import PayablesSlot

DEFAULT_LEASE = timedelta(seconds=90)


@dataclass(frozen=True)
class Place:
    """A place taken: give it back with `CallSlots.give_back`."""

    company_id: str
    slot: int
    holder: str


class CallSlots:
    """The places of every company, as this process takes and gives them back."""

    def __init__(
        self,
        db: Database,
        holder: str,
        *,
        capacity: int,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`holder` names this process (`Claimant.holder`); `clock` is the wall clock the
        leases are read against (not a test's frozen one: a lease is real time)."""
        self.db = db
        self.holder = holder
        self.capacity = capacity
        self.lease = lease
        self.clock = clock
        self._numbers = itertools.count(1)
        self._ready: set[str] = set()

    async def take(self, company_id: str, within: int) -> Place | None:
        """A free place among the company's first `within`, taken; None when all are held."""
        if company_id not in self._ready:
            await self._add_rows(company_id)
            self._ready.add(company_id)
        holder = f"{self.holder}#{next(self._numbers)}"
        now = self.clock()
        free = (
            select(PayablesSlot.slot)
            .where(
                PayablesSlot.company_id == company_id,
                PayablesSlot.slot < min(within, self.capacity),
                or_(PayablesSlot.holder.is_(None), PayablesSlot.lease_until <= now),
            )
            .order_by(PayablesSlot.slot)
            .limit(1)
        )
        if not self.db.is_sqlite:
            free = free.with_for_update(skip_locked=True)
        async with self.db.write_connection() as connection:
            slot = await connection.scalar(
                update(PayablesSlot)
                .where(
                    PayablesSlot.company_id == company_id,
                    PayablesSlot.slot == free.scalar_subquery(),
                )
                .values(holder=holder, lease_until=now + self.lease)
                .returning(PayablesSlot.slot)
            )
        if slot is None:
            # All held, or the rows are gone (PostgreSQL empties an unlogged table after a
            # crash): the next try adds any missing ones again.
            self._ready.discard(company_id)
            return None
        return Place(company_id, slot, holder)

    async def give_back(self, place: object) -> None:
        assert isinstance(place, Place)
        async with self.db.write_connection() as connection:
            await connection.execute(
                update(PayablesSlot)
                .where(
                    PayablesSlot.company_id == place.company_id,
                    PayablesSlot.slot == place.slot,
                    PayablesSlot.holder == place.holder,
                )
                .values(holder=None, lease_until=None)
            )

    async def in_flight(self, company_id: str) -> int:
        """The company's places held now, by every replica."""
        async with self.db.read() as s:
            held = await s.scalar(
                select(func.count())
                .select_from(PayablesSlot)
                .where(
                    PayablesSlot.company_id == company_id,
                    PayablesSlot.holder.is_not(None),
                    PayablesSlot.lease_until > self.clock(),
                )
            )
        return int(held or 0)

    async def _add_rows(self, company_id: str) -> None:
        rows = [{"company_id": company_id, "slot": n} for n in range(self.capacity)]
        adding = self.db.insert(PayablesSlot).values(rows).on_conflict_do_nothing()
        async with self.db.write_connection() as connection:
            await connection.execute(adding)
