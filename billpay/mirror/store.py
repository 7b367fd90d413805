"""The mirror's rows: writing what a read of the payables API showed, and reading it back as the
API's own records (`Bill`, `Supplier`, mapping options) for the displays.

An older read never overwrites a newer one: a bill is replaced only by a version whose
`sourceModifiedDate` is the same or later (the same: a read after a lagging one may show
the same moment with other figures, and the later read wins).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, cast, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.core.search import folded
from billpay.payables import models
from billpay.payables.models import OUTSTANDING_STATUSES, as_date
from billpay.store.db import Database
from billpay.store.models import MirroredBill, MirroredOptions, MirroredSupplier, MirrorState

BILLS = "bills"
SUPPLIERS = "suppliers"
DATASETS = (BILLS, SUPPLIERS)


def moment(text: str | None) -> datetime | None:
    """A `sourceModifiedDate` as a moment in UTC (a naive one is taken as UTC)."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def bill_body(bill: models.Bill) -> dict[str, Any]:
    return bill.model_dump(mode="json", by_alias=True, exclude_none=True)


def bill_of(row: MirroredBill) -> models.Bill:
    return models.Bill.model_validate(row.body)


# Bills rebuilt from their JSON, by mirrored row and what tells one version of it from another
# (`_version`): a listing of 50,000 mirrored bills reads these few columns, and rebuilds (and
# reads the JSON of) only the bills that changed since this process last rebuilt them. The
# bills handed out are shared: readers never change them.
MAX_REBUILT = 200_000
_REBUILT: OrderedDict[tuple[Any, ...], models.Bill] = OrderedDict()
_VERSION = (
    MirroredBill.id,
    MirroredBill.source_modified,
    MirroredBill.status,
    MirroredBill.amount_due,
    MirroredBill.read_at,
)
BODY_CHUNK = 500


async def _bills_where(s: AsyncSession, *where: Any, ordered: bool = True) -> list[models.Bill]:
    """The mirrored bills matching `where`, by due date (in no order without `ordered`: the
    database may then take the index that fits `where` best), each rebuilt once per version."""
    query = select(*_VERSION).where(*where)
    if ordered:
        query = query.order_by(MirroredBill.due_date, MirroredBill.issue_date, MirroredBill.bill_id)
    versions = [tuple(row) for row in await s.execute(query)]
    missing = [version for version in versions if version not in _REBUILT]
    for start in range(0, len(missing), BODY_CHUNK):
        chunk = {version[0]: version for version in missing[start : start + BODY_CHUNK]}
        for row_id, body in await s.execute(
            select(MirroredBill.id, MirroredBill.body).where(MirroredBill.id.in_(chunk))
        ):
            _REBUILT[chunk[row_id]] = models.Bill.model_validate(body)
    bills = []
    for version in versions:
        bill = _REBUILT.get(version)
        if bill is None:  # removed between the two reads: left out, as if read just before
            continue
        _REBUILT.move_to_end(version)
        bills.append(bill)
    while len(_REBUILT) > MAX_REBUILT:
        _REBUILT.popitem(last=False)
    return bills


async def refresh_statistics(s: AsyncSession) -> None:
    """Have SQLite count the mirrored bills again after a whole read, so that its planner knows
    a company's bills are many and looks a few of them up by id rather than walk the listing's
    index (PostgreSQL keeps its own statistics). A sample: quick at any size."""
    if s.get_bind().dialect.name == "sqlite":
        await s.execute(text("PRAGMA analysis_limit=1000"))
        await s.execute(text("ANALYZE mirrored_bills"))


def supplier_of(row: MirroredSupplier) -> models.Supplier:
    return models.Supplier.model_validate(row.body)


# The decimal places money is kept to (`billpay.store.db.Money`).
OWED_PLACES = 12


def owed_parts(amount: Decimal) -> tuple[int, int]:
    """An amount as its whole units and its `OWED_PLACES` decimal places, each an integer
    (the places from 0 up, so `owed_units` is the floor): what the listing sums exactly."""
    return divmod(int(amount.scaleb(OWED_PLACES)), 10**OWED_PLACES)


def _newer_or_same(old: str | None, new: str | None) -> bool:
    before, after = moment(old), moment(new)
    return before is None or after is None or after >= before


def _fill_bill(row: MirroredBill, bill: models.Bill, now: datetime) -> None:
    row.status = bill.status
    row.supplier_id = bill.supplier_ref.id
    row.supplier_name = bill.supplier_ref.supplier_name
    row.reference = bill.reference
    row.supplier_folded = folded(bill.supplier_ref.supplier_name or "")
    row.reference_folded = folded(bill.reference or "")
    row.owed_units, row.owed_fraction = owed_parts(bill.outstanding_amount)
    row.issue_date = as_date(bill.issue_date)
    row.due_date = as_date(bill.due_date)
    row.currency = bill.currency
    row.total_amount = bill.total_amount
    row.amount_due = bill.amount_due
    row.source_modified = bill.source_modified_date
    row.source_modified_at = moment(bill.source_modified_date)
    row.body = bill_body(bill)
    row.read_at = now


async def _bill_rows(
    s: AsyncSession, company_id: str, connection_id: str, bill_ids: list[str]
) -> dict[str, MirroredBill]:
    """The mirrored rows of these bills that exist, by bill id."""
    return {
        row.bill_id: row
        for chunk in _chunks(bill_ids)
        for row in await s.scalars(
            select(MirroredBill).where(
                MirroredBill.company_id == company_id,
                MirroredBill.connection_id == connection_id,
                MirroredBill.bill_id.in_(chunk),
            )
        )
    }


async def put_bills(
    s: AsyncSession,
    company_id: str,
    connection_id: str,
    bills: Sequence[models.Bill],
    now: datetime,
) -> None:
    """Write what a read showed of these bills (each kept unless a newer version is there)."""
    if not bills:
        return
    rows = await _bill_rows(s, company_id, connection_id, [b.id for b in bills])
    for bill in bills:
        row = rows.get(bill.id)
        if row is None:
            row = MirroredBill(company_id=company_id, connection_id=connection_id, bill_id=bill.id)
            s.add(row)
            rows[bill.id] = row
        elif not _newer_or_same(row.source_modified, bill.source_modified_date):
            continue
        _fill_bill(row, bill, now)


async def mark_gone(
    s: AsyncSession,
    company_id: str,
    connection_id: str,
    bill_ids: Iterable[str],
    now: datetime,
) -> None:
    """Bills a whole, consistent read of the outstanding list no longer holds, with no change
    seen: no longer outstanding, status unknown (deleted, or a change older than the overlap)."""
    for row in (await _bill_rows(s, company_id, connection_id, list(bill_ids))).values():
        row.status = "Unknown"
        row.body = {**row.body, "status": "Unknown"}
        row.read_at = now


async def put_suppliers(
    s: AsyncSession,
    company_id: str,
    connection_id: str,
    suppliers: Sequence[models.Supplier],
    now: datetime,
) -> None:
    if not suppliers:
        return
    rows = {
        row.supplier_id: row
        for chunk in _chunks([x.id for x in suppliers])
        for row in await s.scalars(
            select(MirroredSupplier).where(
                MirroredSupplier.company_id == company_id,
                MirroredSupplier.connection_id == connection_id,
                MirroredSupplier.supplier_id.in_(chunk),
            )
        )
    }
    for supplier in suppliers:
        row = rows.get(supplier.id)
        if row is None:
            row = MirroredSupplier(
                company_id=company_id, connection_id=connection_id, supplier_id=supplier.id
            )
            s.add(row)
            rows[supplier.id] = row
        elif not _newer_or_same(row.source_modified, supplier.source_modified_date):
            continue
        row.name = supplier.supplier_name
        row.status = supplier.status
        row.balance = supplier.balance
        row.currency = supplier.default_currency
        row.source_modified = supplier.source_modified_date
        row.body = supplier.model_dump(mode="json", by_alias=True, exclude_none=True)
        row.read_at = now


async def put_options(
    db: Database,
    company_id: str,
    connection_id: str,
    kind: str,
    body: dict[str, Any],
    now: datetime,
) -> None:
    async with db.write() as s:
        row = await s.scalar(
            select(MirroredOptions).where(
                MirroredOptions.company_id == company_id,
                MirroredOptions.connection_id == connection_id,
                MirroredOptions.kind == kind,
            )
        )
        if row is None:
            s.add(
                MirroredOptions(
                    company_id=company_id,
                    connection_id=connection_id,
                    kind=kind,
                    body=body,
                    read_at=now,
                )
            )
        else:
            row.body, row.read_at = body, now


async def options(
    db: Database, company_id: str, connection_id: str, kind: str
) -> tuple[dict[str, Any], datetime] | None:
    async with db.read() as s:
        row = await s.scalar(
            select(MirroredOptions).where(
                MirroredOptions.company_id == company_id,
                MirroredOptions.connection_id == connection_id,
                MirroredOptions.kind == kind,
            )
        )
        return (row.body, row.read_at) if row is not None else None


async def state_for_update(
    s: AsyncSession, company_id: str, connection_id: str, dataset: str
) -> MirrorState:
    """The dataset's state row, made if there is none yet."""
    row = await s.scalar(
        select(MirrorState)
        .where(
            MirrorState.company_id == company_id,
            MirrorState.connection_id == connection_id,
            MirrorState.dataset == dataset,
        )
        .with_for_update()
    )
    if row is None:
        row = MirrorState(
            company_id=company_id,
            connection_id=connection_id,
            dataset=dataset,
            generation=0,
            wanted=False,
        )
        s.add(row)
        await s.flush()
    return row


@dataclass(frozen=True)
class State:
    """A dataset's state as read."""

    watermark: datetime | None
    last_full_sync: datetime | None
    last_incremental_sync: datetime | None
    progress_done: int | None
    progress_total: int | None
    last_error: str | None
    generation: int
    wanted: bool
    cycle_ends: datetime | None = None
    cycle_slices: int | None = None
    cycle_read: int | None = None
    sliced_to: datetime | None = None

    @property
    def filled(self) -> bool:
        return self.last_full_sync is not None

    @property
    def last_sync(self) -> datetime | None:
        times = [t for t in (self.last_full_sync, self.last_incremental_sync) if t is not None]
        return max(times) if times else None


async def state(db: Database, company_id: str, connection_id: str, dataset: str) -> State | None:
    async with db.read() as s:
        row = await s.scalar(
            select(MirrorState).where(
                MirrorState.company_id == company_id,
                MirrorState.connection_id == connection_id,
                MirrorState.dataset == dataset,
            )
        )
        if row is None:
            return None
        return State(
            row.watermark,
            row.last_full_sync,
            row.last_incremental_sync,
            row.progress_done,
            row.progress_total,
            row.last_error,
            row.generation,
            row.wanted,
            row.cycle_ends,
            row.cycle_slices,
            row.cycle_read,
            row.sliced_to,
        )


async def outstanding_bills(db: Database, company_id: str, connection_id: str) -> list[models.Bill]:
    """The mirrored outstanding bills, by due date."""
    async with db.read() as s:
        return await _bills_where(
            s,
            MirroredBill.company_id == company_id,
            MirroredBill.connection_id == connection_id,
            MirroredBill.status.in_(OUTSTANDING_STATUSES),
        )


def _outstanding_of(company_id: str, connection_id: str) -> tuple[Any, ...]:
    return (
        MirroredBill.company_id == company_id,
        MirroredBill.connection_id == connection_id,
        MirroredBill.status.in_(OUTSTANDING_STATUSES),
    )


def _in_range(start: datetime | None, end: datetime | None) -> list[Any]:
    bounds: list[Any] = [MirroredBill.source_modified_at.is_not(None)]
    if start is not None:
        bounds.append(MirroredBill.source_modified_at >= start)
    if end is not None:
        bounds.append(MirroredBill.source_modified_at < end)
    return bounds


async def outstanding_count(db: Database, company_id: str, connection_id: str) -> tuple[int, int]:
    """How many bills the mirror holds as outstanding, and how many of them have no
    `sourceModifiedDate` (no slice of the re-read can hold them)."""
    async with db.read() as s:
        counted = (
            await s.execute(
                select(
                    func.count(),
                    func.count().filter(MirroredBill.source_modified_at.is_(None)),
                ).where(*_outstanding_of(company_id, connection_id))
            )
        ).one()
    return int(counted[0]), int(counted[1])


async def slice_end(
    db: Database, company_id: str, connection_id: str, start: datetime | None, slices_left: int
) -> datetime | None:
    """Where a slice from `start` ends (excluded) so that it holds its share of the outstanding
    bills from `start` on, shared by `slices_left` slices: the date of the first bill past its
    share. None: the slice runs to the newest bill (the last slice, or too few dates left)."""
    if slices_left <= 1:
        return None
    where = (*_outstanding_of(company_id, connection_id), *_in_range(start, None))
    async with db.read() as s:
        left = int(await s.scalar(select(func.count()).where(*where)) or 0)
        share = -(-left // slices_left)
        end = await s.scalar(
            select(MirroredBill.source_modified_at)
            .where(*where)
            .order_by(MirroredBill.source_modified_at)
            .offset(share)
            .limit(1)
        )
        if end is None:
            return None
        end = end.replace(microsecond=end.microsecond // 1000 * 1000)
        if start is not None and end <= start:
            # Bills of one moment fill the share: the slice holds them all, and ends after.
            end = await s.scalar(
                select(func.min(MirroredBill.source_modified_at)).where(
                    *where, MirroredBill.source_modified_at >= start + timedelta(milliseconds=1)
                )
            )
            if end is None:
                return None
            end = end.replace(microsecond=end.microsecond // 1000 * 1000)
    return end if end.tzinfo is not None else end.replace(tzinfo=UTC)


async def outstanding_in_range(
    s: AsyncSession,
    company_id: str,
    connection_id: str,
    start: datetime | None,
    end: datetime | None,
    read_by: datetime,
) -> list[str]:
    """The bills the mirror holds as outstanding, last modified from `start` to `end` (None:
    no bound), as read by `read_by` (a bill the bot wrote since is not judged by the slice)."""
    rows = await s.scalars(
        select(MirroredBill.bill_id).where(
            *_outstanding_of(company_id, connection_id),
            *_in_range(start, end),
            MirroredBill.read_at <= read_by,
        )
    )
    return list(rows)


async def recent_and_outstanding(
    db: Database,
    company_id: str,
    connection_id: str,
    since: date,
    *,
    suppliers: Collection[str] | None = None,
    totals: Collection[Decimal] | None = None,
) -> list[models.Bill]:
    """The outstanding bills and those paid (last changed) since `since`, in no order, of these
    `suppliers` and with about these `totals` only, when given: a bill with one of `totals` is among
    them (a few others may be too, which the caller's own comparison leaves out)."""
    start = datetime.combine(since, time(), UTC)
    narrower: list[Any] = []
    if suppliers is not None:
        narrower.append(MirroredBill.supplier_id.in_(list(suppliers)))
    if totals is not None:
        narrower.append(or_(false(), *(_about(total) for total in totals)))
    async with db.read() as s:
        return await _bills_where(
            s,
            MirroredBill.company_id == company_id,
            MirroredBill.connection_id == connection_id,
            *narrower,
            or_(
                MirroredBill.status.in_(OUTSTANDING_STATUSES),
                and_(MirroredBill.status == "Paid", MirroredBill.source_modified_at >= start),
            ),
            ordered=False,
        )


def _about(total: Decimal) -> Any:
    """A total within a hair of `total`: money is text on SQLite, where "100.5" and "100.50"
    are one amount, so amounts are compared as floats, with room for their rounding."""
    near = float(total)
    room = abs(near) * 1e-9 + 1e-9
    return cast(MirroredBill.total_amount, Float).between(near - room, near + room)


async def bills_of_supplier(
    db: Database, company_id: str, connection_id: str, supplier_id: str, *, outstanding: bool
) -> list[models.Bill]:
    async with db.read() as s:
        query = select(MirroredBill).where(
            MirroredBill.company_id == company_id,
            MirroredBill.connection_id == connection_id,
            MirroredBill.supplier_id == supplier_id,
        )
        if outstanding:
            query = query.where(MirroredBill.status.in_(OUTSTANDING_STATUSES))
        rows = await s.scalars(query.order_by(MirroredBill.due_date, MirroredBill.bill_id))
        return [bill_of(row) for row in rows]


async def mirrored_bill(
    db: Database, company_id: str, connection_id: str, bill_id: str
) -> MirroredBill | None:
    async with db.read() as s:
        return await s.scalar(
            select(MirroredBill).where(
                MirroredBill.company_id == company_id,
                MirroredBill.connection_id == connection_id,
                MirroredBill.bill_id == bill_id,
            )
        )


async def suppliers(db: Database, company_id: str, connection_id: str) -> list[models.Supplier]:
    async with db.read() as s:
        rows = await s.scalars(
            select(MirroredSupplier)
            .where(
                MirroredSupplier.company_id == company_id,
                MirroredSupplier.connection_id == connection_id,
            )
            .order_by(MirroredSupplier.name, MirroredSupplier.supplier_id)
        )
        return [supplier_of(row) for row in rows]


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def last_synced(db: Database, company_id: str) -> datetime | None:
    """When any connection of the company last had its bills read, whole or in part."""
    async with db.read() as s:
        rows = (
            await s.execute(
                select(MirrorState.last_full_sync, MirrorState.last_incremental_sync).where(
                    MirrorState.company_id == company_id, MirrorState.dataset == BILLS
                )
            )
        ).all()
    times = [t for row in rows for t in row if t is not None]
    return max(times) if times else None
