"""The outstanding bills a `/bills` shows: the link's bills as the mirror holds them
(`billpay.mirror`, no payables call when it is fresh) that match the filter, overdue first, a
page at a time with the summary of all of them, the cases the bot already has brought up to
date from them, and how fresh they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills import listing_sql
from billpay.bills.cases import sync_case
from billpay.bills.links import Links
from billpay.bills.listing import BillFilter, Summary, order_bills
from billpay.bills.policy import EffectivePolicy
from billpay.mirror.readers import Freshness
from billpay.mirror.service import Mirror
from billpay.payables.models import Bill
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink


@dataclass(frozen=True)
class Listing:
    """One page of a `/bills` listing, and the summary of all of it."""

    summary: Summary  # every bill the listing shows, counted and summed by the database
    page: int  # the page shown (0-based, clamped to the pages there are)
    bills: list[Bill]  # that page's bills, as mirrored, in the listing's order
    changed: list[str]  # bills whose case the listing brought up to date
    freshness: Freshness | None = None  # how fresh the mirror's figures are


class OutstandingBills:
    def __init__(
        self,
        db: Database,
        links: Links,
        mirror: Mirror,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.mirror = mirror
        self.clock = clock

    async def list_bills(
        self, link: CompanyLink, bill_filter: BillFilter, today: date
    ) -> list[Bill]:
        """The link's outstanding bills that match the filter, overdue first."""
        return (await self._listed(link, bill_filter, today))[0]

    async def _listed(
        self, link: CompanyLink, bill_filter: BillFilter, today: date
    ) -> tuple[list[Bill], Freshness]:
        """`list_bills`, and how fresh the mirror's figures are."""
        mirrored, freshness = await self.mirror.outstanding_as_of(link)
        bills = [
            bill for bill in mirrored if bill.is_outstanding and bill_filter.matches(bill, today)
        ]
        return order_bills(bills, today), freshness

    async def bring_up_to_date(self, link: CompanyLink, bills: list[Bill]) -> list[str]:
        """The cases the bot has for `bills` (as a sync of the mirror just read them) brought
        up to date: the ids of those whose figures or state moved, so the messages showing them
        can be updated. None is opened for a bill nobody has been shown."""
        if not bills:
            return []
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            _cases, changed = await _sync_known(s, link, bills, policy, self.clock())
        return changed

    async def listing(
        self, link: CompanyLink, bill_filter: BillFilter, today: date, page: int = 0
    ) -> Listing:
        """Page `page` of the outstanding bills that match the filter's dates and text,
        overdue first, as the listing shows them (`bill_filter.shows`: rejected bills only in
        `/bills rejected`), and the summary of every one. The database filters, orders,
        counts, sums and pages (`billpay.bills.listing_sql`): the cost does not grow with the
        company. Cases the bot already has are brought up to date first (`Listing.changed`
        names those whose figures moved, so the messages showing them can be updated); none
        is opened for a bill nobody has been shown yet."""
        freshness = await self.mirror.ready(link)
        async with self.db.read() as s:
            known = await listing_sql.known_bills(s, link, bill_filter, today)
        changed: list[str] = []
        if known:
            policy = await self.links.policy_for(link)
            async with self.db.write() as s:
                _cases, changed = await _sync_known(s, link, known, policy, self.clock())
        async with self.db.read() as s:
            summary = await listing_sql.summary(s, link, bill_filter, today)
            bills, page = await listing_sql.page(s, link, bill_filter, today, page, summary.count)
        return Listing(summary, page, bills, changed, freshness)


async def _sync_known(
    s: AsyncSession, link: CompanyLink, bills: list[Bill], policy: EffectivePolicy, now: datetime
) -> tuple[list[BillCase], list[str]]:
    """The cases the bot already has for `bills` brought up to date from them, and the ids of
    those whose figures or state moved. None is opened for a bill nobody has been shown."""
    known = set(
        await s.scalars(
            select(BillCase.bill_id).where(
                BillCase.link_id == link.id, BillCase.bill_id.in_([b.id for b in bills])
            )
        )
    )
    cases, changed = [], []
    for bill in bills:
        if bill.id in known:
            cases.append(case := await sync_case(s, link, bill, policy, now=now))
            if s.is_modified(case):  # before the next query flushes it
                changed.append(case.bill_id)
    return cases, changed
