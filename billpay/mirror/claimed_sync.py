"""One sync of a connection whose claim this replica holds: a whole read, a slice of the periodic
re-read (`billpay.mirror.slices`) or the changes since the watermark (`billpay.mirror.sync`),
the suppliers when due, and what it read recorded in one transaction that also ends the claim."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.mirror import slices, store
from billpay.mirror.base import CLAIM_KIND, MirrorBase, Synced
from billpay.mirror.slices import Slice
from billpay.mirror.sync import (
    Progress,
    SliceRead,
    WholeRead,
    changed_bills,
    changed_suppliers,
    later,
    newest,
    read_slice,
    read_suppliers_whole,
    read_whole,
)
from billpay.payables import models
from billpay.payables.errors import PayablesError
from billpay.payables.query import Q
from billpay.store import claims
from billpay.store.models import MirroredBill

log = logging.getLogger(__name__)

# How often a scheduled sync reads the suppliers changed (a webhook naming them reads at once).
SUPPLIERS_EVERY = timedelta(hours=1)


class ClaimedSync(MirrorBase):
    """`Mirror`'s part that runs one claimed sync and records it."""

    async def _sync_claimed(
        self,
        company_id: str,
        connection_id: str,
        subject: str,
        *,
        full: bool | None,
        progress: Progress | None = None,
    ) -> Synced | None:
        bills_state = await store.state(self.db, company_id, connection_id, store.BILLS)
        suppliers_state = await store.state(self.db, company_id, connection_id, store.SUPPLIERS)
        now = self.clock()
        due: Slice | None = None
        if full is None:
            full = (
                bills_state is None
                or bills_state.last_full_sync is None
                or bills_state.watermark is None
            )
            if not full and bills_state is not None:
                due = await self._slice_due(company_id, connection_id, bills_state, now)
                full = due is not None and due.whole
        watermark = bills_state.watermark if bills_state is not None else None
        key = (company_id, connection_id)

        async def on_page(done: int, total: int | None) -> None:
            await self._unbroken(self._progress(company_id, connection_id, subject, done, total))
            if progress is not None:
                await progress(done, total)

        async def on_slice_page(done: int, total: int | None) -> None:
            await self._unbroken(self._progress(company_id, connection_id, subject, done, total))

        try:
            if full:
                whole = await read_whole(
                    self.sync_reads,
                    company_id,
                    connection_id,
                    overlap=self.overlap,
                    watermark=watermark,
                    progress=on_page,
                )
                if whole.watermark is not None:
                    paid = (Q("status") == "Paid") & (
                        Q("sourceModifiedDate") >= whole.watermark - self.paid_look_back
                    )
                    whole.changed.extend(
                        [b async for b in self.sync_reads.iter_bills(*key, query=paid)]
                    )
                supplier_list = await read_suppliers_whole(
                    self.sync_reads, company_id, connection_id
                )
                await self._read_options(company_id, connection_id)
                result = Synced(True, len(whole.outstanding), whole.passes)
                await self._unbroken(
                    self._record_whole(company_id, connection_id, subject, whole, supplier_list)
                )
                return result
            assert watermark is not None
            if due is not None:
                end = await store.slice_end(self.db, company_id, connection_id, due.start, due.left)
                sliced = await read_slice(
                    self.sync_reads,
                    company_id,
                    connection_id,
                    start=due.start,
                    end=end,
                    overlap=self.overlap,
                    watermark=watermark,
                    progress=on_slice_page,
                )
                changed_s = await self._suppliers_changed(
                    company_id, connection_id, suppliers_state, now
                )
                await self._unbroken(
                    self._record_slice(
                        company_id, connection_id, subject, due, end, sliced, changed_s, now
                    )
                )
                await self._tell_bills_read(company_id, connection_id, sliced.changed)
                return Synced(
                    False, len(sliced.changed), sliced.passes, slice=(due.index + 1, due.slices)
                )
            since = watermark - self.overlap
            changed = await changed_bills(self.sync_reads, company_id, connection_id, since)
            changed_s = await self._suppliers_changed(
                company_id, connection_id, suppliers_state, now
            )
            await self._unbroken(
                self._record_changes(company_id, connection_id, subject, changed, changed_s)
            )
            await self._tell_bills_read(company_id, connection_id, changed)
            return Synced(False, len(changed))
        except PayablesError as exc:
            await self._record_error(company_id, connection_id, subject, exc)
            raise
        except asyncio.CancelledError:
            # This process is stopping: the claim is let go at once, not left to its lease.
            stopped = RuntimeError("stopped before the read ended")
            await self._unbroken(self._record_error(company_id, connection_id, subject, stopped))
            raise

    async def _slice_due(
        self, company_id: str, connection_id: str, st: store.State, now: datetime
    ) -> Slice | None:
        """The slice of the periodic re-read due now, if any (a whole one for a company of
        few bills: `billpay.mirror.slices`)."""
        cycle = slices.cycle_of(st)
        if cycle is None:
            return None
        due = slices.slice_due(cycle, now, self.full_every)
        if due is not None or not slices.next_cycle_may_begin(cycle, now, self.full_every):
            return due
        outstanding, undated = await store.outstanding_count(self.db, company_id, connection_id)
        count = slices.slices_for(outstanding, undated, self.full_every)
        return slices.first_slice(cycle, count, now, self.full_every)

    async def _suppliers_changed(
        self,
        company_id: str,
        connection_id: str,
        suppliers_state: store.State | None,
        now: datetime,
    ) -> list[models.Supplier] | None:
        """The suppliers changed since their watermark, when they are due (None: not read).
        Suppliers change far less than bills: read on the hour, or when a webhook says."""
        supplier_mark = suppliers_state.watermark if suppliers_state is not None else None
        suppliers_read = suppliers_state.last_sync if suppliers_state is not None else None
        if not (
            supplier_mark is None
            or suppliers_read is None
            or now - suppliers_read >= SUPPLIERS_EVERY
            or company_id in self._suppliers_asked
        ):
            return None
        self._suppliers_asked.discard(company_id)
        if supplier_mark is None:
            return await read_suppliers_whole(self.sync_reads, company_id, connection_id)
        return await changed_suppliers(
            self.sync_reads, company_id, connection_id, supplier_mark - self.overlap
        )

    async def _tell_bills_read(
        self, company_id: str, connection_id: str, bills: list[models.Bill]
    ) -> None:
        if self.on_bills_read is None or not bills:
            return
        try:
            await self.on_bills_read(company_id, connection_id, bills)
        except Exception:
            # The mirror holds the bills; cards catch up at the next /bills or click.
            log.exception("could not bring the cards of %s up to date after a sync", company_id)

    async def _progress(
        self, company_id: str, connection_id: str, subject: str, done: int, total: int | None
    ) -> None:
        now = self.clock()
        await claims.keep(self.db, self.claimant, CLAIM_KIND, subject, now)
        async with self.db.write() as s:
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.progress_done, row.progress_total = done, total

    async def _read_options(self, company_id: str, connection_id: str) -> None:
        now = self.clock()
        bill_options = await self.sync_reads.get_bill_mapping_options(company_id, connection_id)
        payment_options = await self.sync_reads.get_payment_mapping_options(
            company_id, connection_id
        )
        for kind, options in (("bill", bill_options), ("payment", payment_options)):
            body = options.model_dump(mode="json", by_alias=True, exclude_none=True)
            await store.put_options(self.db, company_id, connection_id, kind, body, now)

    async def _record_whole(
        self,
        company_id: str,
        connection_id: str,
        subject: str,
        whole: WholeRead,
        supplier_list: list[models.Supplier],
    ) -> None:
        async with self.db.write() as s:
            now = self.clock()
            outstanding_ids = {b.id for b in whole.outstanding}
            changed_ids = {b.id for b in whole.changed}
            await store.put_bills(s, company_id, connection_id, whole.outstanding, now)
            await store.put_bills(s, company_id, connection_id, whole.changed, now)
            mirrored_outstanding = await s.scalars(
                select(MirroredBill.bill_id).where(
                    MirroredBill.company_id == company_id,
                    MirroredBill.connection_id == connection_id,
                    MirroredBill.status.in_(models.OUTSTANDING_STATUSES),
                )
            )
            gone = set(mirrored_outstanding) - outstanding_ids - changed_ids
            await store.mark_gone(s, company_id, connection_id, gone, now)
            await store.put_suppliers(s, company_id, connection_id, supplier_list, now)
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.watermark = later(row.watermark, whole.watermark)
            row.last_full_sync = row.last_incremental_sync = now
            # A whole read ends a cycle of one slice: the next cycle's slices follow it.
            row.cycle_ends, row.cycle_slices, row.cycle_read, row.sliced_to = now, 1, 1, None
            row.progress_done = row.progress_total = None
            row.last_error = row.last_error_at = None
            row.generation += 1
            sup = await store.state_for_update(s, company_id, connection_id, store.SUPPLIERS)
            sup.watermark = later(sup.watermark, newest(supplier_list))
            sup.last_full_sync = sup.last_incremental_sync = now
            sup.generation += 1
            await store.refresh_statistics(s)
            await claims.finish(s, CLAIM_KIND, subject, now)

    async def _record_slice(
        self,
        company_id: str,
        connection_id: str,
        subject: str,
        due: Slice,
        end: datetime | None,
        sliced: SliceRead,
        changed_s: list[models.Supplier] | None,
        began: datetime,
    ) -> None:
        """Record a slice of the periodic re-read: its bills and those changed, the bills the
        mirror holds as outstanding in its range that it did not return (and that no change
        explains) as gone, as a whole read does, and how far the cycle got."""
        async with self.db.write() as s:
            now = self.clock()
            await store.put_bills(s, company_id, connection_id, sliced.outstanding, now)
            await store.put_bills(s, company_id, connection_id, sliced.changed, now)
            held = await store.outstanding_in_range(
                s, company_id, connection_id, due.start, end, began
            )
            seen = {b.id for b in sliced.outstanding} | {b.id for b in sliced.changed}
            gone = set(held) - seen
            await store.mark_gone(s, company_id, connection_id, gone, now)
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.watermark = later(row.watermark, sliced.watermark)
            row.last_incremental_sync = now
            # A slice with no end read every bill left: the cycle is complete, whatever its
            # number (the bills left were all of one moment).
            complete = due.last or end is None
            if complete:
                row.last_full_sync = now
            row.cycle_ends = slices.ends_after(due, began, self.full_every)
            row.cycle_slices = due.slices
            row.cycle_read = due.slices if complete else due.index + 1
            row.sliced_to = end
            row.progress_done = row.progress_total = None
            row.last_error = row.last_error_at = None
            row.generation += 1
            if changed_s is not None:
                await _record_suppliers_changed(s, company_id, connection_id, changed_s, now)
            await claims.finish(s, CLAIM_KIND, subject, now)
        if gone:
            log.info(
                "%d bills of %s left the outstanding list with no change seen (slice %d of %d)",
                len(gone),
                company_id,
                due.index + 1,
                due.slices,
            )

    async def _record_changes(
        self,
        company_id: str,
        connection_id: str,
        subject: str,
        changed: list[models.Bill],
        changed_s: list[models.Supplier] | None,
    ) -> None:
        """Record an incremental read (`changed_s` None: the suppliers were not read)."""
        async with self.db.write() as s:
            now = self.clock()
            await store.put_bills(s, company_id, connection_id, changed, now)
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.watermark = later(row.watermark, newest(changed))
            row.last_incremental_sync = now
            row.last_error = row.last_error_at = None
            row.generation += 1
            if changed_s is not None:
                await _record_suppliers_changed(s, company_id, connection_id, changed_s, now)
            await claims.finish(s, CLAIM_KIND, subject, now)

    async def _record_error(
        self, company_id: str, connection_id: str, subject: str, exc: Exception
    ) -> None:
        async with self.db.write() as s:
            now = self.clock()
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.last_error, row.last_error_at = str(exc)[:2000], now
            row.progress_done = row.progress_total = None
            row.generation += 1
            await claims.finish(s, CLAIM_KIND, subject, now)


async def _record_suppliers_changed(
    s: AsyncSession,
    company_id: str,
    connection_id: str,
    suppliers: list[models.Supplier],
    now: datetime,
) -> None:
    """The suppliers an incremental read or a slice found changed, and how far they were read."""
    await store.put_suppliers(s, company_id, connection_id, suppliers, now)
    row = await store.state_for_update(s, company_id, connection_id, store.SUPPLIERS)
    row.watermark = later(row.watermark, newest(suppliers))
    row.last_incremental_sync = now
