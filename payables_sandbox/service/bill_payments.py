"""Bill payments: the rules that protect money. A payment never exceeds the amount due, only
outstanding bills are paid, an amount has no more decimals than the bill's currency, and a bill in
a currency other than the company's base currency needs a rate (never a third currency); the
bill, its supplier's balance and the payment change in one transaction. What reads show of a
payment, and when, is `service.reads`'s to say."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store, views
from payables_sandbox.errors import invalid
from payables_sandbox.money import fits_currency, minor_units, round_to_currency
from payables_sandbox.platforms import platform
from payables_sandbox.service import bills, suppliers


async def create_bill_payment(
    session: AsyncSession,
    connection: store.Connection,
    bill_id: str,
    body: schemas.BillPaymentPrototype,
    *,
    approval_everywhere: bool = False,
) -> dict[str, Any]:
    """Pay the bill, checked against its true figures (payments reads can't see yet count).
    The payment needs approval before reads show it on platforms that approve payments (Sage
    Intacct), or everywhere with `approval_everywhere`."""
    bill = await bills.bill_for_update(session, connection, bill_id)
    if bill.status not in bills.OUTSTANDING:
        raise invalid(
            f"Bill '{bill_id}' is {bill.status}; only Open or PartiallyPaid bills can be paid.",
            item_id=bill_id,
        )
    problems: list[str] = []
    amount = body.amount
    if amount <= 0:
        problems.append(f"amount must be more than 0 (got {amount}).")
    elif not fits_currency(amount, bill.currency):
        problems.append(
            f"amount {amount} has more than {minor_units(bill.currency)} decimal places "
            f"for {bill.currency}."
        )
    elif amount > bill.amount_due:
        problems.append(
            f"amount {amount} is more than the amount due on the bill "
            f"({bill.amount_due} {bill.currency})."
        )
    account = await session.get(store.BankAccount, body.account_ref.id)
    if account is None or account.connection_id != connection.id:
        problems.append(f"accountRef.id: bank account '{body.account_ref.id}' not found.")
    elif account.status != "Active":
        problems.append(f"accountRef.id: bank account '{account.name}' is archived.")
    else:
        problems.extend(_currency_problems(bill, account, body.currency_rate, connection))
    if problems:
        raise invalid(*problems, item_id=bill_id)
    assert account is not None
    supplier = await suppliers.supplier_for_bill(session, connection, bill.supplier_id)
    balance_before = supplier.balance
    supplier.balance -= bills.balance_contribution(bill, supplier)
    now = store.utcnow()
    payment = store.BillPayment(
        connection_id=connection.id,
        bill_id=bill.id,
        amount=amount,
        date=body.date,
        reference=body.reference,
        account_id=account.id,
        currency_rate=body.currency_rate,
        base_amount=round_to_currency(amount * (body.currency_rate or 1), connection.base_currency),
        created=now,
        needs_approval=approval_everywhere or platform(connection.platform_key).approves_payments,
        bill_modified_before=bill.source_modified_date,
    )
    session.add(payment)
    bill.amount_due -= amount
    bill.status = "Paid" if bill.amount_due == 0 else "PartiallyPaid"
    bill.source_modified_date = now
    supplier.balance += bills.balance_contribution(bill, supplier)
    supplier.source_modified_date = now
    payment.balance_change = supplier.balance - balance_before
    await session.flush()
    return views.bill_payment(payment)


async def approve_payments(
    session: AsyncSession, *, bill_id: str | None = None, now: datetime
) -> int:
    """Approve the payments written so far that wait for approval (on `bill_id`, or on every
    bill): reads show them from now on. How many were approved."""
    query = select(store.BillPayment).where(
        store.BillPayment.needs_approval.is_(True), store.BillPayment.approved_at.is_(None)
    )
    if bill_id is not None:
        query = query.where(store.BillPayment.bill_id == bill_id)
    waiting = (await session.scalars(query.with_for_update())).all()
    for payment in waiting:
        payment.approved_at = now
    await session.flush()
    return len(waiting)


def _currency_problems(
    bill: store.Bill,
    account: store.BankAccount,
    rate: Decimal | None,
    connection: store.Connection,
) -> list[str]:
    """The spec's `currencyRate` rules: the rate turns the payment (in the bill's currency)
    into the company's base currency (base amount = amount * rate), and no payment may involve
    two currencies other than the base currency."""
    base = connection.base_currency
    if account.currency not in (bill.currency, base):
        return [
            f"accountRef.id: the account is in {account.currency}, but a payment on a "
            f"{bill.currency} bill must come from an account in {bill.currency} or in the "
            f"company's base currency ({base}); a conversion cannot involve two currencies "
            "other than the base currency."
        ]
    if bill.currency != base:
        if rate is None:
            return [
                f"currencyRate is required: the bill's currency ({bill.currency}) is not the "
                f"company's base currency ({base}); give {base} per {bill.currency}."
            ]
        if rate <= 0:
            return [f"Currency Rate must be greater than 0 (got {rate})."]
        return []
    if rate is not None and rate != 1:
        return [
            f"currencyRate must be 1 or omitted: the bill is in the company's base currency "
            f"({base}) (got {rate})."
        ]
    return []
