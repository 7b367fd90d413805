"""States and small value types shared by the core and the blocks; no I/O, no ORM.

The blocks render these and nothing else of the core's storage: a case's state, the view of a
case and of its last payment, and a supplier with what is owed to it. `bot.cases` builds the
views from the database rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.payables.models import Bill, Supplier


class CaseState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PAYING = "paying"
    PAID = "paid"
    FAILED = "failed"
    CLOSED = "closed"  # paid or voided elsewhere


class PaymentStatus(enum.StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PaymentView:
    id: int
    status: str
    amount: Decimal
    currency: str
    account_name: str
    account_currency: str
    exchange_rate: Decimal | None
    payment_date: date
    reference: str | None
    requested_by: str
    error: str | None
    outcome_unknown: bool


@dataclass(frozen=True)
class CaseView:
    bill_id: str
    state: CaseState
    supplier_name: str
    reference: str | None
    currency: str
    total_amount: Decimal
    amount_due: Decimal
    issue_date: date
    due_date: date
    bill_status: str
    approvals: tuple[str, ...]
    approvals_required: int
    rejected_by: str | None = None
    reject_reason: str | None = None
    note: str | None = None
    last_payment: PaymentView | None = None

    @property
    def paid_amount(self) -> Decimal:
        return self.total_amount - self.amount_due


@dataclass(frozen=True)
class SupplierMatch:
    supplier: Supplier
    outstanding: list[Bill]
