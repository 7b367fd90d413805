"""A bill's invoice files: what the cards know of them, sharing them in a card's thread, and
attaching one to a bill that has none. No Slack calls: the handlers move the bytes between
Slack and here.

The payables API keeps the files (list, download, upload attachment). A card's overflow offers
**View invoice** when the bill has files, **Attach invoice** when it has none, and **Invoice…**
while the bot does not know: a `/bills` page reads no files (a page of ten would cost ten calls)
and takes the count from what was listed before, the mirror keeping each bill's listing for as
long as the bill's `sourceModifiedDate` stays the same (`Mirror.attachments`). Invoice… lists
the files when chosen (`look_up`: one call), then shares them or offers to attach one, and the
card knows from then on. Possible duplicates are looked for among the mirrored bills. A file
is shared in the thread once per bill: the first click claims the share in the case's row
before uploading, later clicks get the thread's link.
Uploading a file to a bill (Attach invoice, Retry upload, a new bill's invoice) goes through
`InvoiceUploads`: one attempt under one stored key, so a retried upload attaches the file once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from billpay.bills.book import CaseBook
from billpay.bills.cases import audit, case_for_update, stamp, sync_case, views_of
from billpay.bills.duplicates import find_duplicates, paid_since
from billpay.bills.facts import BillFacts, note_facts
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseRef, CaseView, Duplicate, PendingInvoice
from billpay.core.errors import Denied
from billpay.core.i18n import N_
from billpay.core.ttl_cache import TtlCache
from billpay.invoices.files import check
from billpay.invoices.uploads import UPLOADING, InvoiceUploads, under_way
from billpay.mirror.service import Mirror
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError
from billpay.payables.models import Attachment, Bill, BillLineItem, SupplierRef
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink

log = logging.getLogger(__name__)

# Files shared in one click (a bill rarely has more than its invoice and a delivery note).
MAX_SHARED_FILES = 5
# How long a bill's files, once seen, are taken as still there by the next `/bills` pages:
# without it each page costs one read per card. Only bills with files are remembered (a file
# is rarely taken off a bill), so a file added elsewhere shows on the next page; a click on
# the card always reads the files again.
FILE_COUNT_SECONDS = 600.0


@dataclass(frozen=True)
class InvoiceDetails:
    case: CaseView
    attachments: list[Attachment]
    lines: list[BillLineItem]


@dataclass(frozen=True)
class InvoiceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class ShareClaim:
    """Either the thread where the invoice already is (`permalink`), or the files to share."""

    case: CaseView
    permalink: str | None = None
    files: tuple[InvoiceFile, ...] = ()


class Invoices:
    def __init__(
        self,
        db: Database,
        links: Links,
        cases: CaseBook,
        mirror: Mirror,
        reads: PayablesClient,
        writes: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.cases = cases
        self.mirror = mirror
        self.settings = settings
        self.clock = clock
        self.reads = reads
        self.writes = writes
        self.file_counts: TtlCache[tuple[str, str, str], int] = TtlCache(ttl=FILE_COUNT_SECONDS)
        self.uploads = InvoiceUploads(
            db,
            reads,
            writes,
            clock,
            replay_window=timedelta(minutes=settings.payables_idempotency_window_minutes),
        )

    def forget_files(self, link: CompanyLink, bill_id: str) -> None:
        """Read the bill's files again next time (one was just added)."""
        self.file_counts.drop((link.company_id, link.connection_id, bill_id))

    # ------------------------------------------------------------ what a page shows

    async def facts(
        self, link: CompanyLink, bills: Sequence[Bill], today: date
    ) -> dict[str, BillFacts]:
        """Files and possible duplicates of the bills on a page. Best effort: a read that
        fails leaves what the cards knew (a card is still worth showing without them)."""
        counts = await self._known_counts(link, bills)
        duplicates: dict[str, Duplicate] | None = None
        since = paid_since(today, self.settings.duplicate_look_back_days)
        try:
            # A duplicate is of the same supplier (`billpay.bills.duplicates`).
            suppliers = {bill.supplier_ref.id for bill in bills}
            totals = {bill.total_amount for bill in bills}
            others = await self.mirror.recent_and_outstanding(
                link, since, suppliers=suppliers, totals=totals
            )
            duplicates = find_duplicates(bills, others, paid_since=since)
        except PayablesError as exc:
            log.warning("could not check bills for duplicates: %r", exc)
        return {
            bill.id: BillFacts(
                attachments=counts.get(bill.id),
                duplicate=None if duplicates is None else duplicates.get(bill.id),
                duplicates_checked=duplicates is not None,
            )
            for bill in bills
        }

    async def duplicate_of_new(
        self,
        link: CompanyLink,
        *,
        supplier_id: str,
        currency: str,
        total: Decimal,
        reference: str | None,
        issue_date: date,
        today: date,
    ) -> Duplicate | None:
        """The bill a new bill would duplicate, checked before it is created."""
        since = paid_since(today, self.settings.duplicate_look_back_days)
        new = Bill(
            id="",
            reference=reference,
            supplier_ref=SupplierRef(id=supplier_id),
            issue_date=issue_date.isoformat(),
            due_date=issue_date.isoformat(),
            currency=currency,
            status="Open",
            total_amount=total,
        )
        others = await self.mirror.recent_and_outstanding(
            link, since, suppliers={supplier_id}, totals={total}
        )
        return find_duplicates([new], others, paid_since=since).get("")

    async def _known_counts(self, link: CompanyLink, bills: Sequence[Bill]) -> dict[str, int]:
        """The files of the bills whose files are known without a call: seen lately with files
        (`FILE_COUNT_SECONDS`), or listed at the bill's present version. The others are not
        read: their cards offer Invoice…, which reads them when someone wants them."""
        known: dict[str, int] = {}
        for bill in bills:
            count = self.file_counts.get((link.company_id, link.connection_id, bill.id))
            if count is not None:
                known[bill.id] = count
        unknown = [bill for bill in bills if bill.id not in known]
        if unknown:
            known |= await self.mirror.known_attachment_counts(link, unknown)
        return known

    # ------------------------------------------------------------ details

    async def look_up(self, ref: CaseRef) -> InvoiceDetails:
        """A card's Invoice…: the bill's files listed now (one call; the bill as mirrored, read
        live only when the mirror has not got it), kept with the mirrored bill and noted on
        the case, so its card offers View invoice or Attach invoice from then on."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        bill = await self.mirror.bill(link, ref.bill_id) or await self.cases.read_bill(
            link, ref.bill_id
        )
        files = await self.mirror.attachments(link, bill, fresh=True)
        view = await self._note_count(link, bill, len(files))
        return InvoiceDetails(view, files, list(bill.line_items or []))

    async def details(self, ref: CaseRef) -> InvoiceDetails:
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        bill = await self.cases.read_bill(link, ref.bill_id)
        files = await self.mirror.attachments(link, bill, fresh=True)
        view = await self._note_count(link, bill, len(files))
        return InvoiceDetails(view, files, list(bill.line_items or []))

    async def new_bill_files(self, link: CompanyLink, bill: Bill, count: int) -> None:
        """A bill the bot has just created has no files (`count` 0), or the file it attached:
        its card offers Attach invoice or View invoice without listing them."""
        if count == 0:
            await self.mirror.new_bill_has_no_files(link, bill)
        await self._note_count(link, bill, count)

    async def _note_count(self, link: CompanyLink, bill: Bill, count: int) -> CaseView:
        key = (link.company_id, link.connection_id, bill.id)
        if count:
            self.file_counts.put(key, count)
        else:
            self.file_counts.drop(key)
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            case = await sync_case(s, link, bill, policy, now=self.clock())
            await s.flush()
            await note_facts(s, case, attachments=count)
            return (await views_of(s, [case]))[0]

    # ------------------------------------------------------------ sharing in the thread

    async def claim_share(
        self, ref: CaseRef, user_id: str, files: Sequence[Attachment] | None = None
    ) -> ShareClaim:
        """The invoice's thread link if it was shared already; else claim the share and return
        the files to upload (`files` when they were just listed, else listed here). Raises
        `Denied` when the bill has no file, or while another click is sharing it."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        bill = await self.cases.read_bill(link, ref.bill_id)
        async with self.db.read() as s:
            share = dict(
                await s.scalar(
                    select(BillCase.invoice_share).where(
                        BillCase.link_id == link.id, BillCase.bill_id == ref.bill_id
                    )
                )
                or {}
            )
        if share.get("state") == "shared":
            view = await self.cases.view_of_bill(link, bill, await self.links.policy_for(link))
            return ShareClaim(view, permalink=str(share.get("permalink") or ""))
        if files is None:
            files = await self.mirror.attachments(link, bill, fresh=True)
            await self._note_count(link, bill, len(files))
        if not files:
            raise Denied(N_("This bill has no invoice file in the accounting platform."))
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            share = dict(case.invoice_share or {})
            if share.get("state") == "shared":
                await s.flush()
                view = (await views_of(s, [case]))[0]
                return ShareClaim(view, permalink=str(share.get("permalink") or ""))
            if share.get("state") == "sharing":
                raise Denied(N_("The invoice is being shared in the card's thread right now."))
            case.invoice_share = {"state": "sharing", "by": user_id}
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        try:
            contents = [
                InvoiceFile(
                    name=file.name or "invoice",
                    content=await self.reads.download_bill_attachment(
                        link.company_id, link.connection_id, ref.bill_id, file.id
                    ),
                )
                for file in files[:MAX_SHARED_FILES]
            ]
        except BaseException:
            await self.share_failed(ref)
            raise
        return ShareClaim(view, files=tuple(contents))

    async def shared(self, ref: CaseRef, user_id: str, file_ids: list[str], permalink: str) -> None:
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, ref.bill_id)
            if case is None:
                return
            case.invoice_share = {"state": "shared", "files": file_ids, "permalink": permalink}
            stamp(case, now)
            audit(s, link, user_id, "invoice_shared", ref.bill_id, now=now, files=file_ids)

    async def share_failed(self, ref: CaseRef) -> None:
        """Release the claim, so the next click tries again."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        async with self.db.write() as s:
            case = await case_for_update(s, link.id, ref.bill_id)
            if case is not None and (case.invoice_share or {}).get("state") == "sharing":
                case.invoice_share = None
                stamp(case, self.clock())

    # ------------------------------------------------------------ attaching

    async def check_may_attach(self, ref: CaseRef) -> CaseView:
        """Before the Attach invoice modal opens: the bill is there and has no file yet."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        bill = await self.cases.read_bill(link, ref.bill_id)
        files = await self.mirror.attachments(link, bill, fresh=True)
        view = await self._note_count(link, bill, len(files))
        if files:
            raise Denied(N_("This bill already has its invoice: use View invoice on the card."))
        return view

    async def attach(self, ref: CaseRef, user_id: str, *, name: str, content: bytes) -> CaseView:
        """Upload the file to the bill, note it on the case and in the audit trail. The file
        is checked again as it came, against the rules of the company's own platform."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        connection = await self.reads.get_connection(link.company_id, link.connection_id)
        content_type = check(name, len(content), connection.platform_name or "")
        bill = await self.cases.read_bill(link, ref.bill_id)
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:  # the case keeps the upload's key
            await sync_case(s, link, bill, policy, now=self.clock())
        uploaded = await self.uploads.upload(
            link, ref.bill_id, user_id, name=name, content=content, content_type=content_type
        )
        added = uploaded.attachment
        await self.mirror.attachments_changed(link, ref.bill_id)
        if added is None:
            await self._note_count(link, bill, uploaded.files_before)
            raise Denied(N_("This bill already has its invoice: use View invoice on the card."))
        view = await self._note_count(link, bill, max(uploaded.files_before, 1))
        async with self.db.write() as s:
            audit(
                s,
                link,
                user_id,
                "invoice_attached",
                ref.bill_id,
                now=self.clock(),
                attachment_id=added.id,
                name=name,
                size=len(content),
            )
        return view

    # ------------------------------------------------------------ a failed upload

    async def upload_failed(
        self, link: CompanyLink, bill_id: str, user_id: str, *, file_id: str, name: str
    ) -> None:
        """Note on the case that its invoice (a Slack file) did not reach the accounting
        platform: the card says so and offers Retry upload."""
        async with self.db.write() as s:
            case = await case_for_update(s, link.id, bill_id)
            if case is None:
                return
            case.invoice_pending = {
                **(case.invoice_pending or {}),  # the failed attempt's key, kept for a retry
                "state": "failed",
                "file_id": file_id,
                "name": name,
                "by": user_id,
            }
            stamp(case, self.clock())

    async def claim_retry(self, ref: CaseRef, user_id: str) -> PendingInvoice:
        """Claim the retry of a failed upload, so two clicks (or two replicas) upload it once.
        Raises `Denied` when there is nothing to retry or another click is uploading it."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        async with self.db.write() as s:
            case = await case_for_update(s, link.id, ref.bill_id)
            pending = dict((case.invoice_pending if case is not None else None) or {})
            if case is None or not pending.get("file_id"):
                raise Denied(N_("This bill's invoice is already attached."))
            now = self.clock()
            if under_way(pending, now):
                raise Denied(UPLOADING)
            case.invoice_pending = {
                **pending,
                "state": "uploading",
                "by": user_id,
                "claimed_at": now.isoformat(),
            }
            stamp(case, now)
            return PendingInvoice.from_json(pending)

    async def retry(
        self, ref: CaseRef, user_id: str, *, name: str, content: bytes, content_type: str
    ) -> bool:
        """Upload a claimed invoice once (`InvoiceUploads`): the failed attempt's key again
        while the API replays it, else the bill's files are read first. True when the invoice
        is now attached by this upload or the one that failed; False when the bill had another
        file. On any failure of the retry the caller releases the claim (`retry_failed`)."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        uploaded = await self.uploads.upload(
            link,
            ref.bill_id,
            user_id,
            name=name,
            content=content,
            content_type=content_type,
            claimed=True,
        )
        added = uploaded.attachment
        await self.mirror.attachments_changed(link, ref.bill_id)
        count = max(uploaded.files_before, 1)
        self.file_counts.put((link.company_id, link.connection_id, ref.bill_id), count)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, ref.bill_id)
            if case is not None:
                case.invoice_pending = None
                stamp(case, now)
                await s.flush()
                await note_facts(s, case, attachments=count)
            if added is not None:
                audit(
                    s,
                    link,
                    user_id,
                    "invoice_attached",
                    ref.bill_id,
                    now=now,
                    attachment_id=added.id,
                    name=name,
                    size=len(content),
                )
        return added is not None

    async def retry_failed(
        self, ref: CaseRef, user_id: str, name: str, error: BaseException
    ) -> None:
        """Release a retry's claim: the card offers Retry upload again. Audited."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        bill_id = ref.bill_id
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            pending = dict((case.invoice_pending if case is not None else None) or {})
            if case is not None and pending.get("state") == "uploading":
                case.invoice_pending = {**pending, "state": "failed"}
                stamp(case, now)
            audit(
                s,
                link,
                user_id,
                "invoice_upload_failed",
                bill_id,
                now=now,
                file_name=name,
                error=type(error).__name__,
            )
