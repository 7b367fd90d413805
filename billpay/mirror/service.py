"""`Mirror`: the door to the mirror of each linked company's payables data.

- Syncs: `sync_now` reads a connection's bills and suppliers into the mirror: whole when it has
  never been filled, otherwise what changed since its watermark (`billpay.mirror.sync`), and,
  when one is due, a slice of the periodic re-read of the outstanding bills, which reads every
  bill again within `BILLPAY_MIRROR_FULL_SYNC_HOURS` a slice a day (whole at once for a
  company of few bills; `billpay.mirror.slices`). One replica syncs a
  connection at a time: each sync is claimed (`billpay.store.claims`, kind "mirror", subject
  "<state id>#<generation>"), so a second replica trying the same sync loses the claim and
  leaves a word (`wanted`) that makes the holder read once more when it is done. `fill_soon`
  runs a sync in the background (a channel just linked); `data_changed` (webhooks) and
  `sync_due` (the scheduler) ask for incremental ones. Within a process, asks for a connection
  already syncing coalesce into one more read after it.
- Readers: the mirrored outstanding bills, a supplier's bills, suppliers, mapping options and
  bill attachments, with `freshness` (never filled, filling and how far, or as of when). A
  reader of a connection never filled waits a moment for a fill it starts, then raises
  `MirrorFilling` rather than read live.
- `live_bill`: the bill as the API has it now, for decisions about money (`billpay.mirror.live`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from billpay.config import Settings
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.mirror import slices, store
from billpay.mirror.live import live_bill
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
from billpay.payables.budget import CallBudget
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError
from billpay.payables.query import Q
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import CompanyLink, MirroredBill, MirroredOptions, MirrorState

log = logging.getLogger(__name__)

CLAIM_KIND = "mirror"
# How often a scheduled sync reads the suppliers changed (a webhook naming them reads at once).
SUPPLIERS_EVERY = timedelta(hours=1)
# How long a reader of a connection never filled waits for the fill it started.
FIRST_FILL_WAIT_SECONDS = 6.0
# The data types a sync reads (what a webhook names); others are read with the mapping options.
SYNCED_TYPES = frozenset({"bills", "suppliers", "billPayments"})
# Asks for another read that came while one ran: at most this many more in a row.
MAX_RERUNS = 2

Key = tuple[str, str]  # (company id, connection id)
Finished = Callable[["Synced | None"], Awaitable[None]]
# Told of the bills an incremental sync read (changed lately), once they are mirrored: the
# cards already posted for them are brought up to date (`billpay.services` sets it).
BillsRead = Callable[[str, str, list[models.Bill]], Awaitable[None]]


class MirrorFilling(Denied):
    """The connection's mirror is being filled for the first time: displays say so, and how
    far it got, rather than read the payables API live."""

    def __init__(self, platform: str | None, percent: int | None) -> None:
        platform_words: str | Phrase = platform or Phrase(N_("the accounting platform"))
        if percent is None:
            super().__init__(
                N_("Still reading bills from {platform}… Try again in a moment."),
                platform=platform_words,
            )
        else:
            super().__init__(
                N_("Still reading bills from {platform}: {percent} %… Try again in a moment."),
                platform=platform_words,
                percent=percent,
            )
        self.percent = percent


@dataclass(frozen=True)
class Freshness:
    """How current a connection's mirrored bills are."""

    filled: bool
    as_of: datetime | None  # the end of the last sync
    stale: bool  # older than `BILLPAY_MIRROR_STALE_SECONDS`
    read: int | None = None  # a fill under way: bills read so far
    total: int | None = None  # and how many there are, when the API tells

    @property
    def percent(self) -> int | None:
        if self.read is None or not self.total:
            return None
        return min(99, self.read * 100 // self.total)


@dataclass(frozen=True)
class Synced:
    """What one sync did."""

    full: bool
    bills: int  # outstanding bills after a whole read; bills changed after an incremental one
    passes: int = 1
    slice: tuple[int, int] | None = None  # a slice of the periodic re-read: which, of how many


class Mirror:
    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
        claimant: Claimant,
        *,
        sync: PayablesClient | None = None,
        budget: CallBudget | None = None,
    ) -> None:
        self.db = db
        # Reads a person waits on (a form's options, a card's files, a live re-read) ...
        self.reads = reads
        # ... and the syncs' reads, which yield to them and to payments in the call budget.
        self.sync_reads = sync or reads
        self.budget = budget
        self.clock = clock
        self.claimant = claimant
        self.overlap = timedelta(seconds=settings.mirror_overlap_seconds)
        self.full_every = timedelta(hours=settings.mirror_full_sync_hours)
        self.sync_every = timedelta(seconds=settings.mirror_sync_seconds)
        self.stale_after = timedelta(seconds=settings.mirror_stale_seconds)
        self.options_for = timedelta(seconds=settings.mirror_options_seconds)
        # Bills paid this recently are mirrored by a whole read too: a new bill may repeat one.
        self.paid_look_back = timedelta(days=settings.duplicate_look_back_days)
        self.first_fill_wait = FIRST_FILL_WAIT_SECONDS
        self._tasks: dict[Key, asyncio.Task[Synced | None]] = {}
        self._again: set[Key] = set()
        self._asks: set[asyncio.Task[None]] = set()
        # Why the last background sync of a connection failed (cleared by the next that ends).
        self._failed: dict[Key, Exception] = {}
        self.on_bills_read: BillsRead | None = None
        # Companies whose suppliers a webhook said changed: their next sync reads them.
        self._suppliers_asked: set[str] = set()
        self._writing: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ syncs

    async def sync_now(
        self,
        company_id: str,
        connection_id: str,
        *,
        full: bool | None = None,
        progress: Progress | None = None,
        ask_again: bool = True,
        unless_within: timedelta | None = None,
    ) -> Synced | None:
        """Sync the connection now (whole with `full=True`; by default whole only when due).
        Returns None when another replica holds this sync; with `ask_again` (something
        changed since it began) that replica reads once more when it is done. With
        `unless_within`, a connection synced that recently (by any replica) is left alone."""
        subject = await self._claim(
            company_id, connection_id, ask_again=ask_again, unless_within=unless_within
        )
        if subject is None:
            return None
        result: Synced | None = None
        for _ in range(MAX_RERUNS + 1):
            result = await self._sync_claimed(
                company_id, connection_id, subject, full=full, progress=progress
            )
            subject = await self._claim(company_id, connection_id, unless_wanted=True)
            if subject is None:
                return result
            full = None
        if subject is not None:  # asked again too often in a row: the next tick reads it
            await self._release(company_id, connection_id, subject)
        return result

    def fill_soon(
        self,
        company_id: str,
        connection_id: str,
        progress: Progress | None = None,
        finished: Finished | None = None,
    ) -> asyncio.Task[Synced | None]:
        """Sync the connection in the background (whole if it was never filled); `progress`
        hears of each page of a whole read, `finished` of the end (None: it failed, or
        another replica ran it)."""
        key = (company_id, connection_id)
        task = self._tasks.get(key)
        if task is not None and not task.done():
            self._again.add(key)
            return task
        task = asyncio.create_task(
            self._background(key, progress, finished), name=f"mirror {company_id}"
        )
        self._tasks[key] = task
        return task

    def data_changed(self, company_id: str, data_type: str | None = None) -> None:
        """The payables API says the company's data changed (`data_type`: "bills",
        "suppliers", "bankAccounts"... or None for any): read its connections' changes soon.
        Another data type (accounts, tax rates) has the mirrored mapping options read again
        at their next use. Safe to call many times: asks for a connection already syncing
        coalesce into one more read after it."""
        if data_type in (None, "suppliers"):
            self._suppliers_asked.add(company_id)
        task = asyncio.get_running_loop().create_task(self._changed(company_id, data_type))
        self._asks.add(task)
        task.add_done_callback(self._asks.discard)

    async def _changed(self, company_id: str, data_type: str | None) -> None:
        try:
            if data_type not in SYNCED_TYPES:
                async with self.db.write() as s:
                    await s.execute(
                        delete(MirroredOptions).where(MirroredOptions.company_id == company_id)
                    )
            if data_type is not None and data_type not in SYNCED_TYPES:
                return
            for connection_id in await self._connections_of(company_id):
                self.fill_soon(company_id, connection_id)
        except Exception:
            log.exception("could not look up the connections of %s to sync them", company_id)

    async def sync_due(self) -> int:
        """The scheduler's tick: take over syncs a dead replica left, and sync every linked
        connection whose last sync is older than `BILLPAY_MIRROR_SYNC_SECONDS`. Returns how
        many syncs this replica ran."""
        if self.budget is not None and self.budget.sync_paused():
            log.info("the mirror's syncs wait: the payables API's daily allowance is used up")
            return 0
        now = self.clock()
        ran = 0
        # Each sync names its own claim (its generation): once done, a claim decides nothing.
        await claims.forget_done(self.db, CLAIM_KIND, now - timedelta(days=1))
        for held in await claims.take_over_expired(self.db, self.claimant, [CLAIM_KIND], now):
            key = await self._key_of(held.subject)
            if key is None:
                await claims.done(self.db, CLAIM_KIND, held.subject, now)
                continue
            try:
                await self._sync_claimed(*key, held.subject, full=None)
                ran += 1
            except Exception:
                log.exception("a sync of the mirror of %s failed; the next one tries again", key[0])
        for key in await self._linked():
            st = await store.state(self.db, *key, store.BILLS)
            last = st.last_sync if st is not None else None
            if last is not None and now - last < self.sync_every:
                continue
            try:
                # The same tick in another replica needs no second read.
                synced = await self.sync_now(*key, ask_again=False, unless_within=self.sync_every)
                if synced is not None:
                    ran += 1
            except Exception:
                log.exception("a sync of the mirror of %s failed; the next one tries again", key[0])
        return ran

    def with_reads(self, reads: PayablesClient) -> Mirror:
        """The same mirror, whose live reads go through `reads` (a payment's own priority)."""
        clone = copy.copy(self)
        clone.reads = reads
        return clone

    async def last_synced(self, company_id: str) -> datetime | None:
        """When the company's bills were last read into the mirror (None: never)."""
        return await store.last_synced(self.db, company_id)

    async def settled(self) -> None:
        """Wait for the background syncs running in this process."""
        while running := [t for t in (*self._asks, *self._tasks.values()) if not t.done()]:
            await asyncio.wait(running)

    async def aclose(self) -> None:
        tasks = [*self._asks, *self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # The writes the cut-off syncs were making end before the database is closed.
        await asyncio.gather(*self._writing, return_exceptions=True)

    async def _unbroken(self, write: Coroutine[Any, Any, None]) -> None:
        """Carry a write of the mirror through even when its sync is cut off (a stopping
        process cancels syncs): a transaction cancelled half-way leaves SQLite's write lock
        held until it is cleaned up. The sync stops once the write is done."""
        task = asyncio.ensure_future(write)
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)
        await asyncio.shield(task)

    async def _background(
        self, key: Key, progress: Progress | None, finished: Finished | None
    ) -> Synced | None:
        result = await self._logged(key, progress)
        if finished is not None:
            try:
                await finished(result)
            except Exception:
                log.exception("could not say how the read of %s ended", key[0])
        while key in self._again:
            self._again.discard(key)
            result = await self._logged(key, None) or result
        return result

    async def _logged(self, key: Key, progress: Progress | None) -> Synced | None:
        try:
            result = await self.sync_now(*key, progress=progress)
        except Exception as exc:
            log.warning(
                "a sync of the mirror of %s failed; the next one tries again", key[0], exc_info=exc
            )
            self._failed[key] = exc
            return None
        self._failed.pop(key, None)
        return result

    async def _claim(
        self,
        company_id: str,
        connection_id: str,
        *,
        unless_wanted: bool = False,
        ask_again: bool = True,
        unless_within: timedelta | None = None,
    ) -> str | None:
        """Claim the connection's next sync; None when another replica holds it (it is told
        to read once more) or, with `unless_wanted`, when nobody asked for another."""
        now = self.clock()
        try:
            async with self.db.write() as s:
                row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
                if unless_wanted and not row.wanted:
                    return None
                last = row.last_incremental_sync
                if unless_within is not None and last is not None and now - last < unless_within:
                    return None
                subject = f"{row.id}#{row.generation}"
                row.wanted = False
                claims.hold(s, self.claimant, CLAIM_KIND, subject, now)
            return subject
        except IntegrityError:
            if ask_again and not unless_wanted:
                async with self.db.write() as s:
                    await s.execute(
                        update(MirrorState)
                        .where(
                            MirrorState.company_id == company_id,
                            MirrorState.connection_id == connection_id,
                            MirrorState.dataset == store.BILLS,
                        )
                        .values(wanted=True)
                    )
            log.info("the mirror of %s is being synced by another replica", company_id)
            return None

    async def _release(self, company_id: str, connection_id: str, subject: str) -> None:
        async with self.db.write() as s:
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.generation += 1
            row.wanted = True
            await claims.finish(s, CLAIM_KIND, subject, self.clock())

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
                await store.put_suppliers(s, company_id, connection_id, changed_s, now)
                sup = await store.state_for_update(s, company_id, connection_id, store.SUPPLIERS)
                sup.watermark = later(sup.watermark, newest(changed_s))
                sup.last_incremental_sync = now
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
                await store.put_suppliers(s, company_id, connection_id, changed_s, now)
                sup = await store.state_for_update(s, company_id, connection_id, store.SUPPLIERS)
                sup.watermark = later(sup.watermark, newest(changed_s))
                sup.last_incremental_sync = now
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

    async def _connections_of(self, company_id: str) -> list[str]:
        async with self.db.read() as s:
            rows = await s.scalars(
                select(CompanyLink.connection_id)
                .where(CompanyLink.company_id == company_id, CompanyLink.archived.is_(False))
                .distinct()
            )
            return list(rows)

    async def _linked(self) -> list[Key]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink.company_id, CompanyLink.connection_id)
                .where(CompanyLink.archived.is_(False))
                .distinct()
            )
            return [(company, connection) for company, connection in rows]

    async def _key_of(self, subject: str) -> Key | None:
        state_id = subject.split("#", 1)[0]
        if not (state_id.isascii() and state_id.isdigit()):
            return None
        async with self.db.read() as s:
            row = await s.get(MirrorState, int(state_id))
            return (row.company_id, row.connection_id) if row is not None else None

    # ------------------------------------------------------------ readers

    async def freshness(self, link: CompanyLink) -> Freshness:
        st = await store.state(self.db, link.company_id, link.connection_id, store.BILLS)
        if st is None or not st.filled:
            done = st.progress_done if st is not None else None
            total = st.progress_total if st is not None else None
            return Freshness(False, None, False, done, total)
        as_of = st.last_sync
        stale = as_of is None or self.clock() - as_of >= self.stale_after
        return Freshness(True, as_of, stale)

    async def ready(self, link: CompanyLink) -> Freshness:
        """The connection's freshness once its mirror holds a whole read: a connection never
        filled is filled (in the background, waited for a moment); a stale one is synced in
        the background for the next reader. Raises `MirrorFilling` while a fill runs on."""
        fresh = await self.freshness(link)
        if not fresh.filled:
            key = (link.company_id, link.connection_id)
            task = self.fill_soon(*key)
            await asyncio.wait({task}, timeout=self.first_fill_wait)
            fresh = await self.freshness(link)
            if not fresh.filled:
                failed = self._failed.get(key)
                if task.done() and failed is not None:
                    raise failed  # the fill itself failed: say why, as a live read would
                raise MirrorFilling(link.platform_name, fresh.percent)
        elif fresh.as_of is None or self.clock() - fresh.as_of >= self.sync_every:
            # The schedule syncs every `sync_every`; a reader asks only when it fell behind
            # (figures older than `stale_after` are only said to be so: each read costs calls).
            self.fill_soon(link.company_id, link.connection_id)
        return fresh

    async def outstanding_bills(self, link: CompanyLink) -> list[models.Bill]:
        """The connection's outstanding bills as mirrored, by due date."""
        return (await self.outstanding_as_of(link))[0]

    async def outstanding_as_of(self, link: CompanyLink) -> tuple[list[models.Bill], Freshness]:
        """The connection's outstanding bills as mirrored, by due date, and how fresh they
        are (as they were read, before any sync this read starts)."""
        fresh = await self.ready(link)
        bills = await store.outstanding_bills(self.db, link.company_id, link.connection_id)
        return bills, fresh

    async def outstanding_of(self, company_id: str, connection_id: str) -> list[models.Bill]:
        """The connection's outstanding bills as mirrored, for work nobody waits on (the
        digest): a connection never filled is filled first, however long that takes."""
        st = await store.state(self.db, company_id, connection_id, store.BILLS)
        if st is None or not st.filled:
            await self.fill_soon(company_id, connection_id)
            st = await store.state(self.db, company_id, connection_id, store.BILLS)
            if st is None or not st.filled:
                raise PayablesError(
                    f"the bills of {company_id} could not be read into the mirror",
                    error=st.last_error if st is not None else None,
                )
        return await store.outstanding_bills(self.db, company_id, connection_id)

    async def recent_and_outstanding(
        self,
        link: CompanyLink,
        since: date,
        *,
        suppliers: Collection[str] | None = None,
        totals: Collection[Decimal] | None = None,
    ) -> list[models.Bill]:
        """The outstanding bills, and the bills paid (last changed) since `since`: those a new
        bill may duplicate (of these `suppliers` only, and with about these `totals`, when
        given: a duplicate has the same supplier and total, so a page's check reads a handful
        of bills however many the company has)."""
        await self.ready(link)
        return await store.recent_and_outstanding(
            self.db,
            link.company_id,
            link.connection_id,
            since,
            suppliers=suppliers,
            totals=totals,
        )

    async def supplier_bills(
        self, link: CompanyLink, supplier_id: str, *, outstanding: bool = True
    ) -> list[models.Bill]:
        await self.ready(link)
        return await store.bills_of_supplier(
            self.db, link.company_id, link.connection_id, supplier_id, outstanding=outstanding
        )

    async def suppliers(self, link: CompanyLink) -> list[models.Supplier]:
        await self.ready(link)
        return await store.suppliers(self.db, link.company_id, link.connection_id)

    async def bill(self, link: CompanyLink, bill_id: str) -> models.Bill | None:
        """The bill as mirrored (for displays), or None."""
        row = await store.mirrored_bill(self.db, link.company_id, link.connection_id, bill_id)
        return store.bill_of(row) if row is not None else None

    async def remember_bills(self, link: CompanyLink, bills: list[models.Bill]) -> None:
        """Bills the bot itself just wrote or read live (a bill created from Slack)."""
        async with self.db.write() as s:
            await store.put_bills(s, link.company_id, link.connection_id, bills, self.clock())

    async def remember_suppliers(self, link: CompanyLink, suppliers: list[models.Supplier]) -> None:
        """Suppliers the bot itself just wrote or read live."""
        async with self.db.write() as s:
            await store.put_suppliers(
                s, link.company_id, link.connection_id, suppliers, self.clock()
            )

    async def payment_options(
        self, company_id: str, connection_id: str, *, fresh: bool = False
    ) -> models.PaymentMappingOptions:
        """The payment mapping options, mirrored for `BILLPAY_MIRROR_OPTIONS_SECONDS` (read
        again at once with `fresh`: an account was just added)."""
        body = await self._options(company_id, connection_id, "payment", fresh=fresh)
        return models.PaymentMappingOptions.model_validate(body)

    async def bill_options(
        self, company_id: str, connection_id: str, *, fresh: bool = False
    ) -> models.BillMappingOptions:
        body = await self._options(company_id, connection_id, "bill", fresh=fresh)
        return models.BillMappingOptions.model_validate(body)

    async def _options(
        self, company_id: str, connection_id: str, kind: str, *, fresh: bool
    ) -> dict[str, Any]:
        kept = await store.options(self.db, company_id, connection_id, kind)
        now = self.clock()
        if kept is not None and not fresh and now - kept[1] < self.options_for:
            return kept[0]
        if kind == "payment":
            options: Any = await self.reads.get_payment_mapping_options(company_id, connection_id)
        else:
            options = await self.reads.get_bill_mapping_options(company_id, connection_id)
        body: dict[str, Any] = options.model_dump(mode="json", by_alias=True, exclude_none=True)
        await store.put_options(self.db, company_id, connection_id, kind, body, now)
        return body

    async def attachments(
        self, link: CompanyLink, bill: models.Bill, *, fresh: bool = False
    ) -> list[models.Attachment]:
        """The bill's attachments: as listed last, while the bill's `sourceModifiedDate` is
        the one they were listed at; otherwise (or `fresh`) listed again (one call) and kept."""
        ids = (link.company_id, link.connection_id)
        row = await store.mirrored_bill(self.db, *ids, bill.id)
        if (
            not fresh
            and row is not None
            and row.attachments is not None
            and bill.source_modified_date is not None
            and row.attachments_for == bill.source_modified_date
        ):
            return [models.Attachment.model_validate(a) for a in row.attachments]
        files = await self.reads.list_bill_attachments(*ids, bill.id)
        await self._keep_attachments(link, bill, files)
        return files

    async def known_attachment_counts(
        self, link: CompanyLink, bills: Collection[models.Bill]
    ) -> dict[str, int]:
        """How many files each bill has, for the bills whose files were listed at the version
        the bill is at now (`attachments`); no call: the others are left out, not guessed."""
        versions = {bill.id: bill.source_modified_date for bill in bills}
        async with self.db.read() as s:
            rows = await s.execute(
                select(
                    MirroredBill.bill_id, MirroredBill.attachments, MirroredBill.attachments_for
                ).where(
                    MirroredBill.company_id == link.company_id,
                    MirroredBill.connection_id == link.connection_id,
                    MirroredBill.bill_id.in_(list(versions)),
                    MirroredBill.attachments_for.is_not(None),
                )
            )
            return {
                bill_id: len(files)
                for bill_id, files, listed_for in rows
                if files is not None
                and listed_for is not None
                and versions.get(bill_id) == listed_for
            }

    async def attachments_changed(self, link: CompanyLink, bill_id: str) -> None:
        """The bot attached a file: the next look lists them again."""
        async with self.db.write() as s:
            await s.execute(
                update(MirroredBill)
                .where(
                    MirroredBill.company_id == link.company_id,
                    MirroredBill.connection_id == link.connection_id,
                    MirroredBill.bill_id == bill_id,
                )
                .values(attachments=None, attachments_for=None)
            )

    async def new_bill_has_no_files(self, link: CompanyLink, bill: models.Bill) -> None:
        """A bill the bot has just created has no files: its card can offer Attach invoice
        without listing them."""
        await self._keep_attachments(link, bill, [])

    async def _keep_attachments(
        self, link: CompanyLink, bill: models.Bill, files: list[models.Attachment]
    ) -> None:
        if bill.source_modified_date is None:
            return
        async with self.db.write() as s:
            await s.execute(
                update(MirroredBill)
                .where(
                    MirroredBill.company_id == link.company_id,
                    MirroredBill.connection_id == link.connection_id,
                    MirroredBill.bill_id == bill.id,
                )
                .values(
                    attachments=[
                        f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in files
                    ],
                    attachments_for=bill.source_modified_date,
                )
            )

    # ------------------------------------------------------------ money

    async def live_bill(self, link: CompanyLink, bill_id: str) -> models.Bill:
        """The bill as the payables API has it now, in at most two calls when the mirror
        knows it (`billpay.mirror.live`); the mirror is updated with what was read. Raises
        `BillNotOutstanding` as `PayablesClient.get_bill` does."""
        return await live_bill(
            self.db,
            self.reads,
            link.company_id,
            link.connection_id,
            bill_id,
            overlap=self.overlap,
            clock=self.clock,
        )
