"""Suppliers, new bills and bank accounts, as a person in a linked channel creates them.

Each creation is checked against the channel's policy on the server, sent with its idempotency
key (made when the form opened, so a resubmitted form cannot create twice), written into the
mirror and audited. Reads that serve type-ahead and forms (the supplier list, the bill mapping
options, a supplier's outstanding bills) come from the mirror (`billpay.mirror`), and are cached
per connection for minutes: a company with thousands of suppliers is read once, not per
keystroke. A supplier the mirror does not know yet is looked for live.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from billpay.bills.cases import audit
from billpay.bills.duties import record_origin
from billpay.bills.links import Links
from billpay.bills.messages import MessageStore
from billpay.core.errors import Denied, OutOfDate
from billpay.core.i18n import N_
from billpay.core.search import folded
from billpay.core.ttl_cache import TtlCache
from billpay.invoices.service import Invoices
from billpay.mirror.service import Mirror
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.query import Q
from billpay.payments.accounts import BankAccounts
from billpay.store.db import Database
from billpay.store.models import AuditEvent, CompanyLink
from billpay.suppliers.lookup import Lookup, SupplierMatch
from billpay.suppliers.rules import (
    BankAccountForm,
    BillForm,
    BillOptions,
    SupplierForm,
    bill_options_from,
)

MAX_MATCHES = 10
MAX_SUGGESTIONS = 100
SUGGESTION_WAIT_SECONDS = 0.25
# How long a read serves forms and type-ahead. Long enough that a form submitted minutes after
# it opened is checked without waiting on the platform (Slack gives 3 seconds); a supplier
# created from Slack drops the list at once, and a miss is always read again.
SUPPLIERS_SECONDS = 300.0
OPTIONS_SECONDS = 900.0

FORM_GONE = N_("This form is out of date. Close it and start again.")
SUPPLIER_GONE = N_("That supplier is no longer in the accounting platform. Choose another.")
SUPPLIER_ARCHIVED = N_(
    "That supplier is archived in the accounting platform: it can’t get new bills."
)
MAY_NOT_CREATE = N_("Only the channel’s approvers and payers can add bills and suppliers.")
MAY_NOT_MANAGE = N_("Only the channel’s payers can add bank accounts.")
NO_EDIT = N_(
    "This accounting platform doesn’t let suppliers be changed from Bill Pay; change it there."
)
CURRENCY_FIXED = N_(
    "QuickBooks Online can’t change a supplier’s currency once it is set; keep {currency}."
)
# Platforms whose suppliers can't be updated through the payables API. None of Bill Pay's:
# docs/payables/sync/suppliers.md supports updates on FreeAgent, Oracle NetSuite, QuickBooks
# Online, Sage Intacct, Xero and Zoho Books (the spec's older table left out the last three).
NO_SUPPLIER_UPDATES: frozenset[str] = frozenset()


class SupplierService:
    def __init__(
        self,
        db: Database,
        links: Links,
        messages: MessageStore,
        invoices: Invoices,
        accounts: BankAccounts,
        *,
        mirror: Mirror,
        reads: PayablesClient,
        writes: PayablesClient,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.messages = messages
        self.invoices = invoices
        self.accounts = accounts
        self.mirror = mirror
        self.reads = reads
        self.api = writes
        self.clock = clock
        self.cache: TtlCache[tuple[str, ...], Any] = TtlCache()
        self._creating: dict[str, asyncio.Lock] = {}
        self._loading: dict[tuple[str, ...], asyncio.Future[list[models.Supplier]]] = {}

    # ------------------------------------------------------------ reading

    async def suppliers(self, link: CompanyLink, *, fresh: bool = False) -> list[models.Supplier]:
        """Every supplier of the connection, archived last; one read serves everyone asking
        at the same time, and later askers for minutes."""
        key = ("suppliers", link.company_id, link.connection_id)
        cached = None if fresh else self.cache.get(key, SUPPLIERS_SECONDS)
        if cached is not None:
            return list(cached)
        loading = self._loading.get(key)
        if loading is None or (fresh and loading.done()):
            loading = asyncio.ensure_future(self._read_suppliers(link, key))
            self._loading[key] = loading
            loading.add_done_callback(lambda done: self._loaded(key, done))
        # Shielded: a caller that stops waiting leaves the read to finish for the next one.
        return list(await asyncio.shield(loading))

    def warm(self, link: CompanyLink) -> None:
        """Start reading the suppliers now (a form is opening), so its type-ahead has them."""
        key = ("suppliers", link.company_id, link.connection_id)
        if self.cache.get(key, SUPPLIERS_SECONDS) is None and key not in self._loading:
            warming = asyncio.ensure_future(self.suppliers(link))
            warming.add_done_callback(_quietly)

    async def _read_suppliers(
        self, link: CompanyLink, key: tuple[str, ...], *, live: bool = False
    ) -> list[models.Supplier]:
        if live:
            ids = (link.company_id, link.connection_id)
            found = [s async for s in self.reads.iter_suppliers(*ids)]
            await self.mirror.remember_suppliers(link, found)
        else:
            found = await self.mirror.suppliers(link)
        found.sort(key=lambda s: (s.status == "Archived", folded(s.supplier_name or "")))
        self.cache.put(key, found)
        return found

    def _loaded(self, key: tuple[str, ...], done: asyncio.Future[list[models.Supplier]]) -> None:
        if self._loading.get(key) is done:
            del self._loading[key]
        _quietly(done)

    async def lookup(self, link: CompanyLink, text: str) -> Lookup:
        """Suppliers whose name contains `text` (case and accents ignored), active first, the
        first ten with what is still owed to each."""
        wanted = folded(text.strip())
        found = [
            s
            for s in await self.suppliers(link, fresh=True)
            if wanted in folded(s.supplier_name or "")
        ]
        shown = found[:MAX_MATCHES]
        owed: dict[str, list[models.Bill]] = {s.id: [] for s in shown}
        if shown:
            for bill in await self.mirror.outstanding_bills(link):
                if bill.supplier_ref.id in owed and bill.is_outstanding:
                    owed[bill.supplier_ref.id].append(bill)
        return Lookup([SupplierMatch(s, owed[s.id]) for s in shown], len(found))

    async def suggestions(self, link: CompanyLink, text: str) -> list[models.Supplier]:
        """Active suppliers for a type-ahead: names containing `text`, at most 100. Slack
        waits 3 seconds for them: while the whole list is still being read (a company with
        thousands of suppliers, the first keystroke), the names are looked for in the first
        page of active suppliers instead, and the whole list serves the next keystrokes. List
        suppliers can be queried on `status` and `sourceModifiedDate` only, never on a name."""
        wanted = folded(text.strip())
        try:
            everyone = await asyncio.wait_for(self.suppliers(link), SUGGESTION_WAIT_SECONDS)
        except TimeoutError:
            everyone = await self._first_active_page(link)
        return [
            s
            for s in everyone
            if s.status != "Archived" and wanted in folded(s.supplier_name or "")
        ][:MAX_SUGGESTIONS]

    async def _first_active_page(self, link: CompanyLink) -> list[models.Supplier]:
        page = await self.reads.list_suppliers(
            link.company_id, link.connection_id, query=Q("status") == "Active"
        )
        return page.results

    async def supplier(
        self, link: CompanyLink, supplier_id: str, *, fresh: bool = False
    ) -> models.Supplier:
        """The supplier: from the list read minutes ago unless `fresh`. Otherwise, or when
        that list doesn't have it (new since, or a stale or tampered id), the whole list is
        read again, which then serves everyone: list suppliers can't be queried by id (only
        on `status` and `sourceModifiedDate`). OutOfDate when the platform doesn't know it."""
        key = ("suppliers", link.company_id, link.connection_id)
        cached = None if fresh else self.cache.get(key, SUPPLIERS_SECONDS)
        for supplier in cached or ():
            if supplier.id == supplier_id:
                return supplier
        for supplier in await self.suppliers(link, fresh=True):
            if supplier.id == supplier_id:
                return supplier
        # Not mirrored (new since the last sync, or a stale or tampered id): read live.
        key = ("suppliers", link.company_id, link.connection_id)
        for supplier in await self._read_suppliers(link, key, live=True):
            if supplier.id == supplier_id:
                return supplier
        raise OutOfDate(SUPPLIER_GONE)

    async def bill_options(self, link: CompanyLink) -> BillOptions:
        key = ("options", link.company_id, link.connection_id)
        cached = self.cache.get(key, OPTIONS_SECONDS)
        if cached is not None:
            return cached
        options = await self.mirror.bill_options(link.company_id, link.connection_id)
        result = bill_options_from(options, await self.platform(link))
        self.cache.put(key, result)
        return result

    async def platform(self, link: CompanyLink) -> str:
        """The accounting platform's name (`Xero`), read once a minute."""
        key = ("platform", link.company_id, link.connection_id)
        cached = self.cache.get(key, OPTIONS_SECONDS)
        if cached is None:
            connection = await self.reads.get_connection(link.company_id, link.connection_id)
            cached = connection.platform_name or ""
            self.cache.put(key, cached)
        return str(cached)

    async def can_edit_suppliers(self, link: CompanyLink) -> bool:
        return await self.platform(link) not in NO_SUPPLIER_UPDATES

    # ------------------------------------------------------------ policy

    async def check_may_create(self, link: CompanyLink, user_id: str) -> None:
        policy = await self.links.policy_for(link)
        if not (policy.may_approve(user_id) or policy.may_pay(user_id)):
            raise Denied(MAY_NOT_CREATE)

    async def check_may_edit(self, link: CompanyLink, user_id: str) -> None:
        await self.check_may_create(link, user_id)
        if not await self.can_edit_suppliers(link):
            raise Denied(NO_EDIT)

    async def fixed_currency(
        self, link: CompanyLink, supplier_id: str, form: SupplierForm
    ) -> str | None:
        """The currency an edit must keep, when it tries to change one the platform can't
        (QuickBooks Online, docs/payables/sync/suppliers.md); None when the edit is fine.
        Read from the cache, so the form is answered at once."""
        if await self.platform(link) != "QuickBooks Online" or form.currency is None:
            return None
        current = await self.supplier(link, supplier_id)
        if current.default_currency and current.default_currency != form.currency:
            return current.default_currency
        return None

    async def check_may_manage(self, link: CompanyLink, user_id: str) -> None:
        policy = await self.links.policy_for(link)
        if not policy.may_pay(user_id):
            raise Denied(MAY_NOT_MANAGE)

    # ------------------------------------------------------------ writing

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, idempotency_key: str) -> AsyncIterator[None]:
        """A form submitted twice (Slack retries a slow answer) is handled once after the
        other here, so the second finds what the first made instead of racing it."""
        lock = self._creating.setdefault(idempotency_key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked():
                self._creating.pop(idempotency_key, None)

    async def already_shown(self, link: CompanyLink, bill_id: str) -> bool:
        """Has this bill's card been posted already (a resubmitted form)?"""
        return bool(await self.messages.showing(link.id, bill_id))

    async def create_supplier(
        self, link: CompanyLink, user_id: str, form: SupplierForm, idempotency_key: str
    ) -> models.Supplier:
        await self.check_may_create(link, user_id)
        supplier = await self.api.create_supplier(
            link.company_id,
            link.connection_id,
            _prototype(form, "Active", None),
            idempotency_key=idempotency_key,
        )
        await self.mirror.remember_suppliers(link, [supplier])
        self.cache.drop(("suppliers", link.company_id, link.connection_id))
        await self._audit(
            link,
            user_id,
            "supplier_created",
            None,
            supplier_id=supplier.id,
            supplier_name=supplier.supplier_name,
        )
        return supplier

    async def update_supplier(
        self, link: CompanyLink, user_id: str, supplier_id: str, form: SupplierForm
    ) -> models.Supplier:
        """Codat's update replaces the whole record: every field is sent, those the form
        doesn't show (status, addresses it didn't change) as they are now."""
        await self.check_may_edit(link, user_id)
        current = await self.supplier(link, supplier_id, fresh=True)  # replaced as it is now
        supplier = await self.api.update_supplier(
            link.company_id,
            link.connection_id,
            supplier_id,
            _prototype(form, current.status or "Active", current),
        )
        await self.mirror.remember_suppliers(link, [supplier])
        self.cache.drop(("suppliers", link.company_id, link.connection_id))
        await self._audit(
            link,
            user_id,
            "supplier_updated",
            None,
            supplier_id=supplier.id,
            supplier_name=supplier.supplier_name,
        )
        return supplier

    async def create_bill(
        self, link: CompanyLink, user_id: str, form: BillForm, *, duplicate_of: str | None = None
    ) -> models.Bill:
        """Create the bill once (its form's key); `duplicate_of` is the bill the person was
        told it may duplicate and confirmed it does not, kept in the audit trail. Who created
        it and who asked for it are recorded with its audit event: neither approves it."""
        await self.check_may_create(link, user_id)
        supplier = await self.supplier(link, form.supplier_id)
        if supplier.status == "Archived":
            raise Denied(SUPPLIER_ARCHIVED)
        prototype = models.BillPrototype(
            supplier_ref=models.SupplierRef(id=supplier.id, supplier_name=supplier.supplier_name),
            issue_date=form.issue_date.isoformat() + "T00:00:00",
            due_date=form.due_date.isoformat() + "T00:00:00",
            currency=form.currency,
            reference=form.reference,
            line_items=[
                models.BillLineItem(
                    unit_amount=line.unit_amount,
                    quantity=line.quantity,
                    tax_amount=line.tax_amount,
                    total_amount=line.total,
                    account_ref=models.Ref(id=line.account.id),
                    tax_rate_ref=models.Ref(id=line.tax_rate.id) if line.tax_rate else None,
                    description=line.description,
                )
                for line in form.lines
            ],
        )
        bill = await self.api.create_bill(
            link.company_id, link.connection_id, prototype, idempotency_key=form.idempotency_key
        )
        await self.mirror.remember_bills(link, [bill])
        await self._audit(
            link,
            user_id,
            "bill_created",
            bill.id,
            once=True,  # a resubmitted form gets the same bill back: one event
            origin=(user_id, form.requested_by),
            supplier_id=supplier.id,
            supplier_name=supplier.supplier_name,
            reference=bill.reference,
            amount=str(bill.total_amount),
            currency=bill.currency,
            requested_by=form.requested_by,
            **({"confirmed": ["duplicate"], "duplicate_of": duplicate_of} if duplicate_of else {}),
        )
        return bill

    async def attach(
        self,
        link: CompanyLink,
        user_id: str,
        bill_id: str,
        *,
        name: str,
        content: bytes,
        content_type: str,
    ) -> models.Attachment | None:
        """Upload a new bill's invoice, once under one key stored on its case first (see
        `billpay.invoices.uploads`): the attachment, or None when the bill had another file.
        A failure is audited and raised for the caller to show."""
        self.invoices.forget_files(link, bill_id)
        try:
            uploaded = await self.invoices.uploads.upload(
                link,
                bill_id,
                user_id,
                name=name,
                content=content,
                content_type=content_type,
                new_bill=True,
            )
        except Exception as error:
            await self._audit(
                link,
                user_id,
                "invoice_upload_failed",
                bill_id,
                file_name=name,
                error=type(error).__name__,
            )
            raise
        if uploaded.attachment is None:
            return None
        await self.mirror.attachments_changed(link, bill_id)  # not the empty listing now
        await self._audit(
            link, user_id, "invoice_attached", bill_id, file_name=name, size=len(content)
        )
        return uploaded.attachment

    async def create_bank_account(
        self, link: CompanyLink, user_id: str, form: BankAccountForm, idempotency_key: str
    ) -> models.BankAccount:
        await self.check_may_manage(link, user_id)
        account = await self.api.create_bank_account(
            link.company_id,
            link.connection_id,
            models.BankAccountPrototype(
                name=form.name,
                account_type="Debit",
                account_number=form.account_number,
                currency=form.currency,
                sort_code=form.sort_code,
                nominal_code=form.nominal_code,
            ),
            idempotency_key=idempotency_key,
        )
        # The Pay form reads the payment mapping options through a cache: drop it, so the new
        # account is offered at once.
        self.accounts.forget(link)
        await self._audit(
            link,
            user_id,
            "bank_account_created",
            None,
            account_id=account.id,
            account_name=account.name,
            currency=account.currency,
        )
        return account

    async def _audit(
        self,
        link: CompanyLink,
        user_id: str,
        action: str,
        bill_id: str | None,
        *,
        once: bool = False,
        origin: tuple[str, str | None] | None = None,
        **details: Any,
    ) -> None:
        """With `origin` (creator, requester), the bill's origin is recorded in the same
        transaction as its event."""
        async with self.db.write() as s:
            now = self.clock()
            if origin is not None and bill_id is not None:
                created_by, requested_by = origin
                await record_origin(
                    s,
                    link.company_id,
                    bill_id,
                    created_by=created_by,
                    requested_by=requested_by,
                    now=now,
                )
            if once and bill_id is not None:
                seen = await s.scalar(
                    select(AuditEvent.id).where(
                        AuditEvent.action == action, AuditEvent.bill_id == bill_id
                    )
                )
                if seen is not None:
                    return
            audit(s, link, user_id, action, bill_id, now=now, **details)


def _prototype(
    form: SupplierForm, status: str, current: models.Supplier | None
) -> models.SupplierPrototype:
    addresses = list(current.addresses or []) if current else []
    if form.address is not None and (not addresses or address_text(addresses[0]) != form.address):
        lines = [part.strip() for part in form.address.splitlines() if part.strip()]
        first = models.Address(type="Billing", line1=lines[0], line2=", ".join(lines[1:]) or None)
        addresses = [first, *addresses[1:]]
    elif form.address is None and addresses:
        addresses = addresses[1:]
    return models.SupplierPrototype(
        supplier_name=form.name,
        status=status if status in ("Unknown", "Active", "Archived") else "Active",  # type: ignore[arg-type]
        contact_name=form.contact_name,
        email_address=form.email,
        phone=form.phone,
        addresses=addresses or None,
        default_currency=form.currency or (current.default_currency if current else None),
    )


def _quietly(done: asyncio.Future[Any]) -> None:
    """A background read's failure is the next caller's to see, not the event loop's log."""
    if not done.cancelled():
        done.exception()


def address_text(address: models.Address) -> str:
    """An address as the form shows it: one line per part."""
    parts = (
        address.line1,
        address.line2,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    )
    return "\n".join(p for p in parts if p)
