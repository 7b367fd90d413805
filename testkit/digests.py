"""Bills and cases for the digest's tests and the digest benchmark, built directly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from billpay.core.domain import CaseState, CaseView, PaymentView
from billpay.payables.models import Bill

TODAY = date(2026, 11, 23)  # a Monday


def bill(
    n: int,
    *,
    due_in: int,
    amount: str | Decimal = "100.00",
    currency: str = "GBP",
    supplier: str | None = None,
    rate: str | None = None,
    status: str = "Open",
    today: date = TODAY,
) -> Bill:
    return Bill.model_validate(
        {
            "id": f"bill-{n:05d}",
            "reference": f"INV-{n:05d}",
            "supplierRef": {"id": f"sup-{n % 7}", "supplierName": supplier or f"Supplier {n % 7}"},
            "issueDate": (today - timedelta(days=30)).isoformat(),
            "dueDate": (today + timedelta(days=due_in)).isoformat(),
            "currency": currency,
            "currencyRate": rate,
            "status": status,
            "totalAmount": str(amount),
            "amountDue": str(amount),
        }
    )


def case_of(b: Bill, **changes: object) -> CaseView:
    view = CaseView(
        bill_id=b.id,
        state=CaseState.PENDING,
        supplier_name=b.supplier_ref.supplier_name or "",
        reference=b.reference,
        currency=b.currency,
        total_amount=b.total_amount,
        amount_due=b.outstanding_amount,
        issue_date=b.issued_on,
        due_date=b.due_on,
        bill_status=b.status,
        approvals=(),
        approvals_required=1,
    )
    return replace(view, **changes)  # type: ignore[arg-type]


def scheduled(b: Bill, on: date, amount: str | Decimal | None = None) -> CaseView:
    return case_of(
        b,
        state=CaseState.SCHEDULED,
        approvals=("U0ANA",),
        last_payment=PaymentView(
            id=1,
            status="scheduled",
            amount=Decimal(amount) if amount is not None else b.outstanding_amount,
            currency=b.currency,
            account_name="Business Current",
            account_currency=b.currency,
            exchange_rate=None,
            payment_date=on,
            reference=b.reference,
            requested_by="U0SAM",
            error=None,
        ),
    )


def many_bills(count: int, *, today: date = TODAY) -> list[Bill]:
    """`count` bills over three currencies, from 20 days overdue to 20 days ahead."""
    currencies = ("GBP", "EUR", "USD")
    return [
        bill(
            n,
            due_in=(n % 41) - 20,
            amount=Decimal(100 + (n * 37) % 4000) + Decimal("0.25"),
            currency=currencies[n % 3],
            rate=None if n % 3 == 0 else "0.85",
            today=today,
        )
        for n in range(count)
    ]
