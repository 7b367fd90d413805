"""Calls to the payables API counted per company, UTC day and replica (`payables_call_counts`):
each replica writes its own rows, whole, every half minute (never one write per call), and
`billpay status` and `/billpay status` add them up.

The counts are the call budget's (`billpay.payables.budget`); this module only stores and reads
them, in plain values, so the payables client needs no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from billpay.store.db import Database
from billpay.store.models import CompanyLink, PayablesCallCount


@dataclass(frozen=True)
class Counted:
    """One replica's calls of one company on one day."""

    company_id: str
    day: date
    payment: int
    display: int
    sync: int
    refused: int


@dataclass(frozen=True)
class Quota:
    """The API's last word on the client's quota (`X-Rate-Limit-*`)."""

    limit: int | None
    remaining: int
    reset_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class Usage:
    """A company's calls on one day, every replica's added up."""

    company_id: str
    payment: int = 0
    display: int = 0
    sync: int = 0
    refused: int = 0

    @property
    def calls(self) -> int:
        return self.payment + self.display + self.sync


async def save(
    db: Database,
    replica: str,
    counts: Sequence[Counted],
    quota: Quota | None,
    now: datetime,
) -> None:
    """Write this replica's counts as they stand (whole values: writing twice is harmless),
    in one transaction."""
    if not counts:
        return
    reading = {
        "quota_limit": quota.limit if quota else None,
        "quota_remaining": quota.remaining if quota else None,
        "quota_reset_at": quota.reset_at if quota else None,
    }
    async with db.write() as s:
        for c in counts:
            values = {
                "payment": c.payment,
                "display": c.display,
                "sync": c.sync,
                "refused": c.refused,
                "updated_at": now,
                **(reading if quota is not None else {}),
            }
            result = await s.execute(
                update(PayablesCallCount)
                .where(
                    PayablesCallCount.company_id == c.company_id,
                    PayablesCallCount.day == c.day,
                    PayablesCallCount.replica == replica,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 0:
                # Only this replica writes its rows: nobody can insert this one meanwhile.
                s.add(
                    PayablesCallCount(
                        company_id=c.company_id, day=c.day, replica=replica, **(reading | values)
                    )
                )


async def others_today(db: Database, replica: str, day: date) -> int:
    """Calls the other replicas counted on `day`."""
    async with db.read() as s:
        total = await s.scalar(
            select(
                func.sum(
                    PayablesCallCount.payment + PayablesCallCount.display + PayablesCallCount.sync
                )
            ).where(PayablesCallCount.day == day, PayablesCallCount.replica != replica)
        )
    return int(total or 0)


async def linked_companies(db: Database) -> int:
    """How many companies channels are linked to: Codat's quota grows with them."""
    async with db.read() as s:
        count = await s.scalar(
            select(func.count(func.distinct(CompanyLink.company_id))).where(
                CompanyLink.archived.is_(False)
            )
        )
    return int(count or 0)


async def usage(db: Database, day: date, *, but: str | None = None) -> dict[str, Usage]:
    """Each company's calls on `day`, every replica's added up (`but` that one's)."""
    where = [PayablesCallCount.day == day]
    if but is not None:
        where.append(PayablesCallCount.replica != but)
    async with db.read() as s:
        rows = await s.execute(
            select(
                PayablesCallCount.company_id,
                func.sum(PayablesCallCount.payment),
                func.sum(PayablesCallCount.display),
                func.sum(PayablesCallCount.sync),
                func.sum(PayablesCallCount.refused),
            )
            .where(*where)
            .group_by(PayablesCallCount.company_id)
        )
        return {
            company: Usage(company, int(p or 0), int(d or 0), int(y or 0), int(r or 0))
            for company, p, d, y, r in rows
        }


async def last_quota(db: Database, now: datetime) -> Quota | None:
    """The newest word any replica heard from the API on the quota, while it still holds."""
    async with db.read() as s:
        row = await s.scalar(
            select(PayablesCallCount)
            .where(
                PayablesCallCount.quota_remaining.is_not(None),
                PayablesCallCount.quota_reset_at > now,
            )
            .order_by(PayablesCallCount.updated_at.desc(), PayablesCallCount.id.desc())
            .limit(1)
        )
    if row is None or row.quota_remaining is None or row.quota_reset_at is None:
        return None
    return Quota(row.quota_limit, row.quota_remaining, row.quota_reset_at, row.updated_at)
