"""What the displays read from the mirror, and how fresh it is: the outstanding bills, a
supplier's bills, suppliers, mapping options and bill attachments. A reader of a connection
never filled waits a moment for a fill it starts, then raises `MirrorFilling` rather than
read live; a stale one is synced in the background for the next reader."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.mirror import store
from billpay.mirror.syncing import Syncing
from billpay.payables import models
from billpay.payables.errors import PayablesError
from billpay.store.models import CompanyLink, MirroredBill


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


class Readers(Syncing):
    """`Mirror`'s part that the displays read through."""

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
        await self._set_attachments(link, bill_id, None, None)

    async def new_bill_has_no_files(self, link: CompanyLink, bill: models.Bill) -> None:
        """A bill the bot has just created has no files: its card can offer Attach invoice
        without listing them."""
        await self._keep_attachments(link, bill, [])

    async def _keep_attachments(
        self, link: CompanyLink, bill: models.Bill, files: list[models.Attachment]
    ) -> None:
        if bill.source_modified_date is None:
            return
        listed = [f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in files]
        await self._set_attachments(link, bill.id, listed, bill.source_modified_date)

    async def _set_attachments(
        self,
        link: CompanyLink,
        bill_id: str,
        listed: list[dict[str, Any]] | None,
        listed_for: str | None,
    ) -> None:
        """The bill's files as listed for its version `listed_for` (None, None: not known)."""
        async with self.db.write() as s:
            await s.execute(
                update(MirroredBill)
                .where(
                    MirroredBill.company_id == link.company_id,
                    MirroredBill.connection_id == link.connection_id,
                    MirroredBill.bill_id == bill_id,
                )
                .values(attachments=listed, attachments_for=listed_for)
            )
