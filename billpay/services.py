"""The bot's services, composed once at start-up and handed to every listener: each area's
service built with exactly what it needs, over one database, one payables client and one clock.

`build_services(...)` composes them, with Slack's Web API client and the publisher when Slack
settings are there (one workspace's bot token, or the installations of many through OAuth;
`billpay.runtime.startup` opens the backend and the database first).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from billpay.approvals.decisions import Approvals
from billpay.approvals.delegation import Delegations
from billpay.approvals.reminders import Reminders
from billpay.bills.admins import Admins
from billpay.bills.book import CaseBook
from billpay.bills.connecting import Connecting
from billpay.bills.grants import Grants
from billpay.bills.links import Links
from billpay.bills.messages import MessageStore
from billpay.bills.outstanding import OutstandingBills
from billpay.bills.policy_store import Policies
from billpay.bills.questions import Questions
from billpay.bills.queue import Queues
from billpay.config import Settings
from billpay.core.clock import Clock, utcnow
from billpay.invoices.service import Invoices
from billpay.mirror.connection import ConnectionHealth
from billpay.mirror.reactions import MirrorWebhookReactions
from billpay.mirror.service import Mirror
from billpay.payables.backend import PayablesBackend
from billpay.payables.budget import CONCURRENT_PER_COMPANY, CallBudget, Priority
from billpay.payables.client import PayablesClient
from billpay.payments.accounts import BankAccounts
from billpay.payments.disconnect import Disconnection
from billpay.payments.payers import Payers
from billpay.payments.recovery import Recovery
from billpay.payments.scheduled import ScheduledPayments
from billpay.payments.sending import Sender
from billpay.payments.service import Payments
from billpay.payments.settling import Settler
from billpay.slack.departures import Departures
from billpay.slack.installations import Installations
from billpay.slack.publisher import Publisher, slack_client
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.slots import CallSlots
from billpay.suppliers.service import SupplierService
from billpay.webhooks.reactions import (
    HealthReactions,
    MirrorReactions,
    Reactions,
)
from billpay.webhooks.service import Webhooks

# How long a person waits on a click: reads, then the payment itself (after the modal says so).
READ_DEADLINE_SECONDS = 8.0
PAYMENT_DEADLINE_SECONDS = 25.0


class Timer(Protocol):
    def send_soon(self, payment_id: int, at: datetime) -> None: ...


class LastSynced(Protocol):
    """When the mirror of a company's bills last synced (None: not yet)."""

    def __call__(self, company_id: str) -> Awaitable[datetime | None]: ...


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
    # Each person's queue, as their App Home shows it (read from the database only).
    queues: Queues
    # This process as the holder of the scheduler's claims (`billpay.store.claims`).
    claimant: Claimant
    # `/billpay connect`'s connections waiting to be authorised, and `/billpay disconnect`.
    connecting: Connecting
    disconnection: Disconnection
    # What the bot knows of each company's connection to its accounting platform: while one is
    # not Linked, what would write through it waits and its cards offer Reconnect.
    health: ConnectionHealth
    # The call budget every payables request of this process passes (`billpay.payables.budget`).
    budget: CallBudget
    # Background reads of the payables API (the mirror's sync): the budget's lowest priority.
    sync: PayablesClient
    last_synced: LastSynced
    # Who may change settings, the channels' policies as changed in Slack, and delegates.
    admins: Admins
    policies: Policies
    delegations: Delegations
    # `/billpay grant`: companies given to a workspace by tagging them in Codat.
    grants: Grants
    # Codat's webhooks at /webhooks/codat, when CODAT_WEBHOOK_SECRET is set.
    webhooks: Webhooks | None = None
    backend: PayablesBackend | None = None
    # Slack, when its settings are there (the commands that only read the payables API run
    # without): one Web API client (with many workspaces, without a token: Bolt's, which
    # gives each request its workspace's), and the publisher that sends everything through
    # each workspace's client.
    slack: AsyncWebClient | None = None
    publisher: Publisher | None = None
    # With many workspaces (OAuth), their installations (`installer_of`, tokens, uninstalls).
    installations: Installations | None = None
    # With one workspace, whether it uninstalled the app (`billpay.slack.departures`).
    departures: Departures | None = None
    # The scheduler, while one runs in this process (the host starts it).
    scheduler: Timer | None = None

    def must_publish(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError(
                "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID for OAuth) is needed to send anything to Slack"
            )
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
    mirror_reactions: MirrorReactions | None = None,
    health_reactions: HealthReactions | None = None,
    last_synced: LastSynced | None = None,
) -> Services:
    """Every area's service, each given what it needs; they all read one clock.

    `mirror_reactions`, `health_reactions` and `last_synced` replace the mirror's and
    connection health's answers to webhooks and the mirror's freshness (tests record them)."""
    clock = clock if isinstance(clock, Clock) else Clock(clock)
    claimant = Claimant.for_this_process(timedelta(seconds=settings.claim_lease_seconds))
    budget = payables.budget
    if budget is None:
        budget = CallBudget(
            reserve=settings.payables_payment_reserve,
            quota=settings.payables_daily_quota,
            clock=clock,
            # SQLite serves one process, whose own count is exact: no row written per call.
            shared=None
            if db.is_sqlite
            else CallSlots(
                db,
                claimant.holder,
                capacity=CONCURRENT_PER_COMPANY,
                lease=timedelta(seconds=settings.payables_slot_lease_seconds),
            ),
        )
        payables = payables.with_budget(budget)
    reads = payables.with_deadline(READ_DEADLINE_SECONDS)
    writes = payables.with_deadline(PAYMENT_DEADLINE_SECONDS).with_priority(Priority.PAYMENT)
    # A payment's own reads (the bill re-read live, the accounts to pay from, the settling
    # looks) may use the calls kept for payments; writes of bills and suppliers are a person's.
    pay_reads = reads.with_priority(Priority.PAYMENT)
    person_writes = writes.with_priority(Priority.DISPLAY)
    sync = payables.with_deadline(settings.payables_background_deadline_seconds).with_priority(
        Priority.SYNC
    )
    mirror = Mirror(db, reads, settings, clock, claimant, sync=sync, budget=budget)
    pay_mirror = mirror.with_reads(pay_reads)
    links = Links(db, reads, settings, clock)
    admins = Admins(db, settings, clock)
    delegations = Delegations(db, links, clock, settings.default_time_zone)
    cases = CaseBook(db, links, mirror, clock)
    outstanding = OutstandingBills(db, links, mirror, clock)
    messages = MessageStore(db, clock)
    invoices = Invoices(db, links, cases, mirror, reads, person_writes, settings, clock)
    accounts = BankAccounts(mirror)
    pay_accounts = BankAccounts(pay_mirror, accounts.options)
    pay_cases = CaseBook(db, links, pay_mirror, clock)
    approvals = Approvals(db, links, pay_cases, clock)
    approvals.delegations = delegations
    queues = Queues(db, links, clock)
    queues.acting_for = delegations.acting_for
    payers = Payers(db, links, cases)
    health = ConnectionHealth(db, reads, clock, claimant)
    sender = Sender(db, writes, settings, clock)
    sender.connection_lost = health.write_refused
    settler = Settler(db, pay_mirror, sender, settings, clock, holder=claimant.holder)
    connecting = Connecting(
        db,
        links,
        reads,
        settings,
        clock,
        claimant,
        webhooks=settings.codat_webhook_secret is not None,
    )
    webhooks = None
    if settings.codat_webhook_secret is not None:
        webhooks = Webhooks(
            db,
            settings.codat_webhook_secret,
            Reactions(
                mirror_reactions or MirrorWebhookReactions(mirror),
                health_reactions or health,
                budget,
                connecting,
            ),
            claimant,
            clock,
            retention=timedelta(days=settings.webhook_retention_days),
        )
    slack = slack_client(settings) if settings.serves_slack else None
    publisher = None
    installations = None
    departures = None
    if slack is not None:
        # One workspace: every team's client is the app's. Many: each its installation's.
        def clients(team_id: str) -> AsyncWebClient:
            return slack

        installed = None
        if not settings.oauth:
            departures = Departures(db, clock)
            installed = departures.present
        else:
            installations = Installations(db, settings, partial(slack_client, settings), clock)
            clients, installed = installations.client, installations.installed
            admins.installer_of = installations.installer_of
        publisher = Publisher(
            links,
            cases,
            outstanding,
            messages,
            invoices,
            clock,
            clients=clients,
            db=db,
            claimant=claimant,
            installed=installed,
            health=health,
            locale=settings.default_locale,
            time_zone=settings.default_time_zone,
        )
        health.on_change = publisher.connection_changed
        mirror.on_bills_read = publisher.bills_read
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
        approvals=approvals,
        questions=Questions(db, links, cases, clock),
        invoices=invoices,
        accounts=accounts,
        payments=Payments(db, pay_cases, payers, pay_accounts, sender, settings, clock),
        recovery=Recovery(db, links, pay_cases, payers, sender, settler, settings, clock),
        scheduled=ScheduledPayments(db, links, payers, pay_mirror, sender, settings, clock),
        settler=settler,
        reminders=Reminders(db, links, settings, claimant, delegations),
        suppliers=SupplierService(
            db,
            links,
            messages,
            invoices,
            accounts,
            mirror=mirror,
            reads=reads,
            writes=person_writes,
            clock=clock,
        ),
        queues=queues,
        claimant=claimant,
        connecting=connecting,
        disconnection=Disconnection(db, links, clock),
        health=health,
        budget=budget,
        sync=sync,
        last_synced=last_synced or mirror.last_synced,
        admins=admins,
        policies=Policies(db, links, admins, clock),
        delegations=delegations,
        grants=Grants(db, person_writes, admins, clock),
        webhooks=webhooks,
        backend=backend,
        slack=slack,
        publisher=publisher,
        installations=installations,
        departures=departures,
    )
