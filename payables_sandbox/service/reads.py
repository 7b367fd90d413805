"""What a read shows of the bill payments written: a payment a read cannot see yet leaves its
bill (`amountDue`, `status`, `sourceModifiedDate`) and its supplier's `balance` as they were.

A payment is seen once the sandbox's clock has passed its write time plus
`SandboxConfig.payment_read_lag`, and, if it needs approval (Sage Intacct, or
`SandboxConfig.payments_need_approval`), once it is approved (`Sandbox.approve_payments`).
Writes never go through here: they check against the true figures, as Codat validates a write
against the platform.

A bill with payments no longer changes otherwise (only `Open` bills can be updated), so the bill
a read shows is the true one with the unseen payments added back: `amountDue` plus what they
paid, `Open` or `PartiallyPaid` by what the seen ones paid, and the last-modified time of the
latest change seen. A supplier's `sourceModifiedDate` is not held back (other changes move it
too); its balance is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store, views


def seen(payment: store.BillPayment, *, lag: timedelta, now: datetime) -> bool:
    """Can a read made `now` see this payment?"""
    if payment.needs_approval and payment.approved_at is None:
        return False
    if payment.visible_from is not None:
        return payment.visible_from <= now
    return not lag or payment.created + lag <= now


@dataclass(frozen=True)
class Unseen:
    """The payments of one connection that reads cannot see yet, by bill, and every payment
    (oldest first) of those bills."""

    by_bill: dict[str, list[store.BillPayment]] = field(default_factory=dict)
    all_by_bill: dict[str, list[store.BillPayment]] = field(default_factory=dict)

    def bill(self, row: store.Bill) -> dict[str, Any]:
        """The bill as a read shows it."""
        view = views.bill(row)
        hidden = self.by_bill.get(row.id)
        if not hidden:
            return view
        due = row.amount_due + sum((p.amount for p in hidden), Decimal(0))
        view["amountDue"] = due
        view["status"] = "PartiallyPaid" if due < row.total_amount else "Open"
        first = hidden[0]
        moments = [first.bill_modified_before] + [
            p.created
            for p in self.all_by_bill[row.id]
            if p.created > first.created and p not in hidden
        ]
        shown = [moment for moment in moments if moment is not None]
        view["sourceModifiedDate"] = views.timestamp(max(shown)) if shown else None
        return view

    def supplier(self, row: store.Supplier, bill_suppliers: dict[str, str]) -> dict[str, Any]:
        """The supplier as a read shows it: its balance without what unseen payments moved."""
        view = views.supplier(row)
        moved = sum(
            (
                payment.balance_change
                for bill_id, payments in self.by_bill.items()
                if bill_suppliers.get(bill_id) == row.id
                for payment in payments
            ),
            Decimal(0),
        )
        if moved:
            view["balance"] = row.balance - moved
        return view


async def unseen_payments(
    session: AsyncSession, connection: store.Connection, *, lag: timedelta, now: datetime
) -> Unseen:
    """The connection's payments a read made `now` cannot see."""
    payments = store.BillPayment
    candidates = (
        await session.scalars(
            select(payments)
            .where(
                payments.connection_id == connection.id,
                or_(
                    payments.created > now - lag if lag else false(),
                    payments.needs_approval.is_(True) & payments.approved_at.is_(None),
                    payments.visible_from > now,
                ),
            )
            .order_by(payments.created, payments.id)
        )
    ).all()
    by_bill: dict[str, list[store.BillPayment]] = defaultdict(list)
    for payment in candidates:
        if not seen(payment, lag=lag, now=now):
            by_bill[payment.bill_id].append(payment)
    if not by_bill:
        return Unseen()
    every = (
        await session.scalars(
            select(payments)
            .where(payments.bill_id.in_(list(by_bill)))
            .order_by(payments.created, payments.id)
        )
    ).all()
    all_by_bill: dict[str, list[store.BillPayment]] = defaultdict(list)
    for payment in every:
        all_by_bill[payment.bill_id].append(payment)
    return Unseen(dict(by_bill), dict(all_by_bill))


async def bill_suppliers(session: AsyncSession, unseen: Unseen) -> dict[str, str]:
    """The supplier of each bill with unseen payments."""
    if not unseen.by_bill:
        return {}
    rows = await session.execute(
        select(store.Bill.id, store.Bill.supplier_id).where(store.Bill.id.in_(list(unseen.by_bill)))
    )
    return {bill_id: supplier_id for bill_id, supplier_id in rows}
