"""The area services composed over one database and one payables client, and `Workflow`, the
entry points by their earlier names while the listeners move to the area services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billpay.approvals.decisions import Approvals
from billpay.approvals.reminders import Reminders
from billpay.bills.book import CaseBook
from billpay.bills.links import Links
from billpay.bills.listings import Listings
from billpay.bills.messages import MessageStore
from billpay.bills.questions import Questions
from billpay.config import Settings
from billpay.core.clock import Clock, utcnow
from billpay.invoices.service import Invoices
from billpay.payables.client import PayablesClient
from billpay.payments.accounts import BankAccounts, OptionsCache
from billpay.payments.payers import Payers
from billpay.payments.recovery import Recovery
from billpay.payments.scheduled import ScheduledPayments
from billpay.payments.sending import Sender
from billpay.payments.service import Payments
from billpay.payments.settling import Settler
from billpay.store.db import Database
from billpay.suppliers.service import SupplierService

# How long a person waits on a click: reads, then the payment itself (after the modal says so).
READ_DEADLINE_SECONDS = 8.0
PAYMENT_DEADLINE_SECONDS = 25.0


@dataclass
class Areas:
    links: Links
    cases: CaseBook
    listings: Listings
    messages: MessageStore
    approvals: Approvals
    questions: Questions
    invoices: Invoices
    accounts: BankAccounts
    payments: Payments
    recovery: Recovery
    scheduled: ScheduledPayments
    reminders: Reminders
    suppliers: SupplierService
    reads: PayablesClient


def compose(
    db: Database,
    payables: PayablesClient,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    options: OptionsCache | None = None,
) -> Areas:
    """Every area service, each given what it needs; they all read one clock."""
    clock = clock if isinstance(clock, Clock) else Clock(clock)
    reads = payables.with_deadline(READ_DEADLINE_SECONDS)
    writes = payables.with_deadline(PAYMENT_DEADLINE_SECONDS)
    links = Links(db, reads, settings, clock)
    cases = CaseBook(db, links, reads, clock)
    messages = MessageStore(db, clock)
    invoices = Invoices(db, links, cases, reads, writes, settings, clock)
    accounts = BankAccounts(reads, options)
    payers = Payers(db, links, cases)
    settler = Settler(db, reads, clock)
    sender = Sender(db, writes, settler, clock)
    return Areas(
        links=links,
        cases=cases,
        listings=Listings(db, links, reads, clock),
        messages=messages,
        approvals=Approvals(db, links, cases, clock),
        questions=Questions(db, links, cases, clock),
        invoices=invoices,
        accounts=accounts,
        payments=Payments(db, cases, payers, accounts, sender, settings, clock),
        recovery=Recovery(db, links, cases, payers, sender, settler, settings, clock),
        scheduled=ScheduledPayments(db, links, payers, reads, sender, settings, clock),
        reminders=Reminders(db, links, settings),
        suppliers=SupplierService(
            db, links, messages, invoices, accounts, reads=reads, writes=writes, clock=clock
        ),
        reads=reads,
    )


class _PaymentsByOldNames:
    def __init__(self, areas: Areas) -> None:
        self._areas = areas

    def __getattr__(self, name: str) -> Any:
        a = self._areas
        for area in (a.payments, a.recovery, a.scheduled):
            if hasattr(area, name):
                return getattr(area, name)
        raise AttributeError(name)


_MOVED = {
    "link_for": "links",
    "policy_for": "links",
    "connect": "links",
    "links_of_team": "links",
    "record_digest_changed": "links",
    "record_digest_paused": "links",
    "record_team_event": "links",
    "list_bills": "listings",
    "listing": "listings",
    "sync_cases": "cases",
    "case_views": "cases",
    "case_view": "cases",
    "refresh": "cases",
    "read_bill": "cases",
    "view_of_bill": "cases",
    "fresh_view": "cases",
    "denied": "cases",
    "approve": "approvals",
    "reject": "approvals",
    "reopen": "approvals",
    "check_may_reject": "approvals",
    "check_may_reopen": "approvals",
    "ensure_current": "messages",
}


class Workflow:
    def __init__(
        self,
        db: Database,
        payables: PayablesClient,
        settings: Settings,
        *,
        options: OptionsCache | None = None,
        clock: Callable[[], datetime] = utcnow,
        areas: Areas | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.areas = areas or compose(db, payables, settings, clock=clock, options=options)
        self.reads = self.areas.reads
        self.options = self.areas.accounts.options
        self.invoices = self.areas.invoices
        self.questions = self.areas.questions
        self.messages = self.areas.messages
        self.payments = _PaymentsByOldNames(self.areas)

    @property
    def clock(self) -> Clock:
        return self.areas.links.clock  # type: ignore[return-value]

    @clock.setter
    def clock(self, now: Callable[[], datetime]) -> None:
        self.clock.set(now)

    async def message(self, channel_id: str, ts: str) -> Any:
        return await self.areas.messages.get(channel_id, ts)

    def __getattr__(self, name: str) -> Any:
        area = _MOVED.get(name)
        if area is None:
            raise AttributeError(name)
        return getattr(getattr(self.areas, area), name)
