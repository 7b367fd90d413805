"""A person's queue as their App Home shows it (`billpay.bills.queue` reads it): plain values,
so the Home's blocks render it without reaching the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class QueuedBill:
    """One bill as a Home line shows it, with where its card is (None: never posted)."""

    channel_id: str
    company_name: str
    bill_id: str
    supplier_name: str
    reference: str | None
    currency: str
    amount_due: Decimal
    due_date: date | None
    version: int | None = None  # its case's, None while the bot has no case for it
    approvals: int = 0
    approvals_required: int = 1
    card: tuple[str, str] | None = None  # (channel, ts) of its newest card


@dataclass(frozen=True)
class ScheduledLine:
    bill: QueuedBill
    amount: Decimal
    currency: str
    payment_date: date


@dataclass(frozen=True)
class CompanyOverdue:
    company_name: str
    channel_id: str
    count: int
    totals: dict[str, Decimal]


@dataclass(frozen=True)
class Activity:
    at: datetime
    actor: str
    action: str
    channel_id: str | None
    supplier_name: str | None
    reference: str | None


@dataclass(frozen=True)
class Queue:
    channels: list[tuple[str, str, str]]  # (channel, company, base currency) linked here
    waiting: list[QueuedBill] = field(default_factory=list)
    waiting_count: int = 0
    ready: list[QueuedBill] = field(default_factory=list)
    ready_count: int = 0
    scheduled: list[ScheduledLine] = field(default_factory=list)
    scheduled_count: int = 0
    overdue: list[CompanyOverdue] = field(default_factory=list)
    activity: list[Activity] = field(default_factory=list)

    @property
    def cards(self) -> list[tuple[str, str]]:
        """The cards the Home links to, each once, in the order it shows them."""
        bills = [*self.waiting, *self.ready, *(line.bill for line in self.scheduled)]
        return list(dict.fromkeys(b.card for b in bills if b.card is not None))
