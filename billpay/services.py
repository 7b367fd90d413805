"""The bot's services, composed once at start-up and handed to every listener: each area's
service built with exactly what it needs, over one database, one payables client and one clock.

`build_services(...)` composes them, with Slack's Web API client and the publisher when Slack
settings are there (`billpay.runtime.startup` opens the backend and the database first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from billpay.approvals.decisions import Approvals
from billpay.approvals.reminders import Reminders
from billpay.bills.book import CaseBook
from billpay.bills.links import Links
from billpay.bills.messages import MessageStore
from billpay.bills.outstanding import OutstandingBills
from billpay.bills.questions import Questions
from billpay.config import Settings
from billpay.core.clock import Clock, utcnow
from billpay.invoices.service import Invoices
from billpay.mirror.service import Mirror
from billpay.payables.backend import PayablesBackend
from billpay.payables.client import PayablesClient
from billpay.payments.accounts import BankAccounts
from billpay.payments.payers import Payers
from billpay.payments.recovery import Recovery
from billpay.payments.scheduled import ScheduledPayments
from billpay.payments.sending import Sender
from billpay.payments.service import Payments
from billpay.payments.settling import Settler
from billpay.slack.publisher import Publisher, slack_client
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.suppliers.service import SupplierService

# How long a person waits on a click: reads, then the payment itself (after the modal says so).
READ_DEADLINE_SECONDS = 8.0
PAYMENT_DEADLINE_SECONDS = 25.0


class Timer(Protocol):
    def send_soon(self, payment_id: int, at: datetime) -> None: ...


@dataclass
class Services:
    settings: Settings
    db: Database
    payables: PayablesClient
    reads: PayablesClient  # the payables client with a deadline a person can wait for
    clock: Clock
    links: Links
    # Each linked company's bills, suppliers and options, kept in the database for displays.
    mirror: Mirror
    cases: CaseBook
    outstanding: OutstandingBills
    messages: MessageStore
    approvals: Approvals
    questions: Questions
    invoices: Invoices
    accounts: BankAccounts
    payments: Payments
    recovery: Recovery
    scheduled: ScheduledPayments
    settler: Settler
    reminders: Reminders
    suppliers: SupplierService
    # This process as the holder of the scheduler's claims (`billpay.store.claims`).
    claimant: Claimant
    backend: PayablesBackend | None = None
    # Slack, when its settings are there (the commands that only read the payables API run
    # without): one Web API client, and the publisher that sends everything through it.
    slack: AsyncWebClient | None = None
    publisher: Publisher | None = None
    # The scheduler, while one runs in this process (the host starts it).
    scheduler: Timer | None = None

    def must_publish(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError("SLACK_BOT_TOKEN is needed to send anything to Slack")
        return self.publisher

    async def aclose(self) -> None:
        await self.mirror.aclose()
        if self.backend is not None:
            await self.backend.aclose()
        await self.db.dispose()


def build_services(
    settings: Settings,
    *,
    db: Database,
    payables: PayablesClient,
    clock: Callable[[], datetime] = utcnow,
    backend: PayablesBackend | None = None,
) -> Services:
    """Every area's service, each given what it needs; they all read one clock."""
    clock = clock if isinstance(clock, Clock) else Clock(clock)
    reads = payables.with_deadline(READ_DEADLINE_SECONDS)
    writes = payables.with_deadline(PAYMENT_DEADLINE_SECONDS)
    claimant = Claimant.for_this_process(timedelta(seconds=settings.claim_lease_seconds))
    mirror = Mirror(db, reads, settings, clock, claimant)
    links = Links(db, reads, settings, clock)
    cases = CaseBook(db, links, mirror, clock)
    outstanding = OutstandingBills(db, links, mirror, clock)
    messages = MessageStore(db, clock)
    invoices = Invoices(db, links, cases, mirror, reads, writes, settings, clock)
    accounts = BankAccounts(mirror)
    payers = Payers(db, links, cases)
    sender = Sender(db, writes, settings, clock)
    settler = Settler(db, mirror, sender, settings, clock, holder=claimant.holder)
    slack = slack_client(settings) if settings.slack_bot_token is not None else None
    publisher = None
    if slack is not None:
        # One workspace for now: every team's client is the app's.
        publisher = Publisher(
            links, cases, outstanding, messages, invoices, clock, clients=lambda team_id: slack
        )
    return Services(
        settings=settings,
        db=db,
        payables=payables,
        reads=reads,
        clock=clock,
        links=links,
        mirror=mirror,
        cases=cases,
        outstanding=outstanding,
        messages=messages,
        approvals=Approvals(db, links, cases, clock),
        questions=Questions(db, links, cases, clock),
        invoices=invoices,
        accounts=accounts,
        payments=Payments(db, cases, payers, accounts, sender, settings, clock),
        recovery=Recovery(db, links, cases, payers, sender, settler, settings, clock),
        scheduled=ScheduledPayments(db, links, payers, mirror, sender, settings, clock),
        settler=settler,
        reminders=Reminders(db, links, settings, claimant),
        suppliers=SupplierService(
            db,
            links,
            messages,
            invoices,
            accounts,
            mirror=mirror,
            reads=reads,
            writes=writes,
            clock=clock,
        ),
        claimant=claimant,
        backend=backend,
        slack=slack,
        publisher=publisher,
    )
