"""Reading a company's bills and suppliers into the mirror: a whole read (the fill, and the
periodic re-read of a company of few bills), a slice of the outstanding list (the periodic
re-read of a bigger company, a slice a day: `billpay.mirror.slices`) and incremental reads of
what changed since the last one.

A whole read of the outstanding bills is one pass over the listing, page by page, not two: Codat's
continuation tokens are offsets, so a listing shifts under them only when a bill joins or leaves
it before the page being read. A join repeats a bill on a later page (seen: the pass overlapped);
a leave of a bill already read skips one (not seen). So after the pass, one incremental read of
every bill changed since an overlap before the newest change the pass saw (any status) tells
whether a bill the pass read as outstanding has left the list since; if none has, and nothing
repeated, the pass is whole. Otherwise another pass is read (the bill that left is no longer in
it). A listing of one page cannot shift between pages, and needs no check.

A slice (`read_slice`) is read the same way, its query a range of `sourceModifiedDate` with the
outstanding statuses named; the read of what changed after its pass is the sync's incremental
read, made in any case. A bill leaves a slice by any change (its date moves on), not only by
leaving the outstanding list.

Incremental reads ask for `sourceModifiedDate>{watermark - overlap}` with a status clause that
names every status (`{status=Open||status!=Open}`): without one, list bills keeps its
outstanding-only default, and bills paid or voided would never come back.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billpay.mirror.store import moment
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError, PayablesListingUnstable
from billpay.payables.query import Expr, Q, outstanding_bills

log = logging.getLogger(__name__)

# Passes over the outstanding list before a fill gives up on a whole one (and tries again later).
MAX_PASSES = 4

Progress = Callable[[int, int | None], Awaitable[None]]


def any_status() -> Expr:
    """A clause every bill matches, naming `status` so that the outstanding-only default of
    list bills does not apply."""
    return (Q("status") == "Open") | (Q("status") != "Open")


def changed_since(since: datetime) -> Expr:
    return (Q("sourceModifiedDate") > since) & any_status()


def newest(records: list[models.Bill] | list[models.Supplier]) -> datetime | None:
    moments = [m for m in (moment(r.source_modified_date) for r in records) if m is not None]
    return max(moments) if moments else None


def later(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def expected_total(token: str | None) -> int | None:
    """How many records the listing holds, as far as a Codat-shaped token tells (base64 of
    `{"page": 2, "pageSize": 100, "pageCount": 11}`): an estimate for a progress line only."""
    if not token:
        return None
    try:
        data = json.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=True))
        return int(data["pageCount"]) * int(data["pageSize"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


@dataclass
class Pass:
    """One read of the outstanding list from its first page."""

    bills: list[models.Bill] = field(default_factory=list)
    pages: int = 0
    overlapped: bool = False


@dataclass(frozen=True)
class WholeRead:
    """A consistent whole read: the outstanding bills, the bills changed around it (any
    status), and the newest change seen."""

    outstanding: list[models.Bill]
    changed: list[models.Bill]
    watermark: datetime | None
    passes: int


async def read_pass(
    reads: PayablesClient,
    company_id: str,
    connection_id: str,
    progress: Progress | None,
    query: Expr | None = None,
) -> Pass:
    read = Pass()
    seen: set[str] = set()
    tokens: set[str] = set()
    token: str | None = None
    while True:
        page = await reads.list_bills(
            company_id, connection_id, query=query, continuation_token=token
        )
        read.pages += 1
        for bill in page.results:
            if bill.id in seen:
                read.overlapped = True
                continue
            seen.add(bill.id)
            read.bills.append(bill)
        token = page.pagination.continuation_token if page.pagination else None
        if progress is not None:
            total = expected_total(token)
            await progress(len(read.bills), max(total, len(read.bills)) if total else None)
        if not token:
            return read
        if token in tokens:
            raise PayablesError("list bills sent the same continuation token twice")
        tokens.add(token)


async def changed_bills(
    reads: PayablesClient, company_id: str, connection_id: str, since: datetime
) -> list[models.Bill]:
    return [
        bill
        async for bill in reads.iter_bills(company_id, connection_id, query=changed_since(since))
    ]


async def read_whole(
    reads: PayablesClient,
    company_id: str,
    connection_id: str,
    *,
    overlap: timedelta,
    watermark: datetime | None,
    progress: Progress | None = None,
) -> WholeRead:
    """The outstanding list read whole and known to be consistent (see the module's words)."""
    for passes in range(1, MAX_PASSES + 1):
        read = await read_pass(reads, company_id, connection_id, progress)
        seen_newest = later(newest(read.bills), watermark)
        if read.pages == 1 and not read.overlapped:
            return WholeRead(read.bills, [], seen_newest, passes)
        changed: list[models.Bill] = []
        if seen_newest is not None:
            changed = await changed_bills(reads, company_id, connection_id, seen_newest - overlap)
        read_outstanding = {b.id for b in read.bills if b.is_outstanding}
        left = [b.id for b in changed if b.id in read_outstanding and not b.is_outstanding]
        if not read.overlapped and not left:
            return WholeRead(read.bills, changed, later(seen_newest, newest(changed)), passes)
        log.info(
            "the outstanding bills of %s shifted while they were read (%s); reading them again",
            company_id,
            "a bill came twice" if read.overlapped else f"{len(left)} left the list",
        )
    raise PayablesListingUnstable("bills", passes=MAX_PASSES)


def slice_query(start: datetime | None, end: datetime | None) -> Expr:
    """The outstanding bills last modified from `start` to `end` (None: no bound), the
    statuses named (a query may drop list bills' outstanding-only default)."""
    query = outstanding_bills()
    if start is not None:
        query = query & (Q("sourceModifiedDate") >= start)
    if end is not None:
        query = query & (Q("sourceModifiedDate") < end)
    return query


@dataclass(frozen=True)
class SliceRead:
    """A consistent read of one slice of the outstanding list: its bills, every bill changed
    since the watermark's overlap (any status: the incremental read this sync makes anyway),
    and the newest change seen."""

    outstanding: list[models.Bill]
    changed: list[models.Bill]
    watermark: datetime | None
    passes: int
    pages: int


async def read_slice(
    reads: PayablesClient,
    company_id: str,
    connection_id: str,
    *,
    start: datetime | None,
    end: datetime | None,
    overlap: timedelta,
    watermark: datetime,
    progress: Progress | None = None,
) -> SliceRead:
    """The outstanding bills last modified from `start` to `end`, read as `read_whole` reads
    the whole list: one pass, then what changed since the watermark's overlap. A bill read in
    the pass that changed since has left the slice (its date moved on), which may have shifted
    the pages after it: the slice is read again. No bill joins a slice that has an end (a change
    dates a bill now); one joining the last slice repeats a bill, and it is read again too."""
    query = slice_query(start, end)
    pages = 0
    for passes in range(1, MAX_PASSES + 1):
        read = await read_pass(reads, company_id, connection_id, progress, query)
        pages += read.pages
        changed = await changed_bills(reads, company_id, connection_id, watermark - overlap)
        read_ids = {b.id for b in read.bills}
        left = [
            b.id
            for b in changed
            if b.id in read_ids and not (b.is_outstanding and in_range(b, start, end))
        ]
        if not read.overlapped and (not left or read.pages == 1):
            return SliceRead(read.bills, changed, later(watermark, newest(changed)), passes, pages)
        log.info(
            "a slice of the outstanding bills of %s shifted while it was read (%s); "
            "reading it again",
            company_id,
            "a bill came twice" if read.overlapped else f"{len(left)} left it",
        )
    raise PayablesListingUnstable("bills", passes=MAX_PASSES)


def in_range(bill: models.Bill, start: datetime | None, end: datetime | None) -> bool:
    """Whether the bill, as read, was last modified from `start` to `end` (None: no bound)."""
    at = moment(bill.source_modified_date)
    if at is None:
        return False
    return (start is None or at >= start) and (end is None or at < end)


async def read_suppliers_whole(
    reads: PayablesClient, company_id: str, connection_id: str
) -> list[models.Supplier]:
    """Every supplier, in one pass when nothing repeated (suppliers join the list, rarely
    leave it; a join repeats one, which sends the read round again)."""
    for _ in range(MAX_PASSES):
        seen: dict[str, models.Supplier] = {}
        overlapped = False
        token: str | None = None
        while True:
            page = await reads.list_suppliers(company_id, connection_id, continuation_token=token)
            for supplier in page.results:
                overlapped = overlapped or supplier.id in seen
                seen[supplier.id] = supplier
            token = page.pagination.continuation_token if page.pagination else None
            if not token:
                break
        if not overlapped:
            return list(seen.values())
    raise PayablesListingUnstable("suppliers", passes=MAX_PASSES)


async def changed_suppliers(
    reads: PayablesClient, company_id: str, connection_id: str, since: datetime
) -> list[models.Supplier]:
    query = Q("sourceModifiedDate") > since
    return [s async for s in reads.iter_suppliers(company_id, connection_id, query=query)]
