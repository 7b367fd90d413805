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

from payables_sandbox import events, schemas, store, views
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
    events.note(
        events.Note(
            "payment",
            connection.company_id,
            connection.id,
            moment=now,
            hidden=payment.needs_approval,
        )
    )
    return views.bill_payment(payment)


async def approve_payments(
    session: AsyncSession, *, bill_id: str | None = None, now: datetime
) -> list[store.BillPayment]:
    """Approve the payments written so far that wait for approval (on `bill_id`, or on every
    bill): reads show them from now on. The payments approved."""
    query = select(store.BillPayment).where(
        store.BillPayment.needs_approval.is_(True), store.BillPayment.approved_at.is_(None)
    )
    if bill_id is not None:
        query = query.where(store.BillPayment.bill_id == bill_id)
    waiting = (await session.scalars(query.with_for_update())).all()
    for payment in waiting:
        payment.approved_at = now
    await session.flush()
    return list(waiting)


async def connections_of(
    session: AsyncSession, payments: list[store.BillPayment]
) -> list[tuple[str, str]]:
    """The (company, connection) of each connection these payments were made on."""
    ids = sorted({payment.connection_id for payment in payments})
    if not ids:
        return []
    rows = await session.execute(
        select(store.Connection.company_id, store.Connection.id).where(store.Connection.id.in_(ids))
    )
    return [(company_id, connection_id) for company_id, connection_id in rows]


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


async def pay_in_platform(
    session: AsyncSession, bill_id: str, amount: Decimal, *, now: datetime, visible_from: datetime
) -> store.Bill:
    """Someone paid the bill in the platform itself, not through the API: the payment is
    recorded from the bill's currency's (or the base currency's) first active account, and
    reads show it from `visible_from`."""
    bill = await session.scalar(
        select(store.Bill).where(store.Bill.id == bill_id).with_for_update()
    )
    if bill is None:
        raise invalid(f"Bill '{bill_id}' not found.")
    if bill.status not in bills.OUTSTANDING or not 0 < amount <= bill.amount_due:
        raise invalid(
            f"Bill '{bill_id}' ({bill.status}, {bill.amount_due} due) cannot take {amount}."
        )
    account = await session.scalar(
        select(store.BankAccount)
        .where(
            store.BankAccount.connection_id == bill.connection_id,
            store.BankAccount.status == "Active",
        )
        .order_by((store.BankAccount.currency != bill.currency), store.BankAccount.id)
    )
    connection = await session.get(store.Connection, bill.connection_id)
    assert account is not None and connection is not None
    supplier = await suppliers.supplier_for_bill(session, connection, bill.supplier_id)
    balance_before = supplier.balance
    supplier.balance -= bills.balance_contribution(bill, supplier)
    payment = store.BillPayment(
        connection_id=bill.connection_id,
        bill_id=bill.id,
        amount=amount,
        date=now,
        reference="Paid in the platform",
        account_id=account.id,
        created=now,
        visible_from=visible_from,
        bill_modified_before=bill.source_modified_date,
    )
    session.add(payment)
    bill.amount_due -= amount
    bill.status = "Paid" if bill.amount_due == 0 else "PartiallyPaid"
    bill.source_modified_date = now
    supplier.balance += bills.balance_contribution(bill, supplier)
    payment.balance_change = supplier.balance - balance_before
    await session.flush()
    return bill
