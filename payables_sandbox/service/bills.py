"""Bills: which ones a listing returns, and creating and replacing them under the platform's
limits, with their lines priced against the chart of accounts.

A bill's status, its amount due and its supplier's balance move together: `balance_contribution`
is what an outstanding bill adds to the balance (payments use it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import query_sql, schemas, store, views
from payables_sandbox.errors import ApiError, invalid, not_found
from payables_sandbox.money import round_to_currency
from payables_sandbox.platforms import TaxRateRule, platform
from payables_sandbox.query import fields_referenced
from payables_sandbox.service import listing, pages, reads, suppliers
from payables_sandbox.service.pages import Source

OUTSTANDING = ("Open", "PartiallyPaid")
MAX_TOTAL = Decimal(10) ** 15


# What list bills may be queried on, per the spec's description of its `query` parameter.
STRICT_BILL_FIELDS = {"status", "sourceModifiedDate"}


BILL_FIELDS = {
    "id",
    "reference",
    "status",
    "issueDate",
    "dueDate",
    "amountDue",
    "totalAmount",
    "currency",
    "currencyRate",
    "supplierRef.id",
    "supplierRef.supplierName",
    "supplierName",
    "sourceModifiedDate",
}


def bill_key(item: dict[str, Any]) -> tuple[str, ...]:
    return (item["dueDate"], item["issueDate"], item["id"])


# The fields list bills compiles to SQL (others are evaluated in Python on every bill).
BILL_STATUSES = ("Unknown", "Open", "PartiallyPaid", "Paid", "Void", "Draft")
SQL_FIELDS: dict[str, query_sql.Field] = {
    "status": query_sql.Choice(store.Bill.status, BILL_STATUSES),
    "sourceModifiedDate": query_sql.Moment(store.Bill.source_modified_date),
}
ORDER = (store.Bill.due_date, store.Bill.issue_date, store.Bill.id)


def _key_values(key: tuple[str, ...]) -> tuple[Any, ...]:
    due, issue, bill_id = key
    return datetime.fromisoformat(due), datetime.fromisoformat(issue), bill_id


async def listed_bills(
    session: AsyncSession,
    connection: store.Connection,
    unseen: reads.Unseen,
    predicate: listing.RecordFilter | None,
    query: str | None,
    *,
    strict: bool,
    outstanding_only: bool = False,
    null_amount_due: bool = False,
) -> Source:
    """The bills a list bills call returns, as reads show them (without the payments they
    can't see), filtered and ordered in SQL. Bills with unseen payments are shown as they were,
    so they are worked out in Python and merged in; a query on a field without a column is
    evaluated in Python on every bill."""

    def serve(row: store.Bill) -> dict[str, Any]:
        return served(unseen.bill(row), null_amount_due=null_amount_due)

    def in_scope(rows: Sequence[store.Bill]) -> list[dict[str, Any]]:
        return bills_in_scope(
            [serve(row) for row in rows],
            predicate,
            query,
            strict=strict,
            outstanding_only=outstanding_only,
        )

    mine = store.Bill.connection_id == connection.id
    condition = None if predicate is None else query_sql.to_sql(predicate, SQL_FIELDS)
    if predicate is not None and condition is None:
        rows = (await session.scalars(select(store.Bill).where(mine))).all()
        return pages.in_memory(in_scope(rows), bill_key)
    hidden = list(unseen.by_bill)
    extra: list[dict[str, Any]] = []
    statement = select(store.Bill).where(mine)
    if hidden:
        statement = statement.where(store.Bill.id.not_in(hidden))
        shown_as_were = await session.scalars(
            select(store.Bill).where(mine, store.Bill.id.in_(hidden))
        )
        extra = in_scope(shown_as_were.all())
    if condition is not None:
        statement = statement.where(condition)
    if _keeps_default(predicate, query, strict=strict, outstanding_only=outstanding_only):
        statement = statement.where(store.Bill.status.in_(OUTSTANDING))
    return pages.Source(
        key=bill_key,
        statement=statement,
        order=ORDER,
        view=serve,
        key_values=_key_values,
        extra=extra,
    )


def served(bill: dict[str, Any], *, null_amount_due: bool) -> dict[str, Any]:
    """The bill as the API sends it: `amountDue` null when the sandbox serves it so (the spec
    makes it nullable and says nothing of when)."""
    return {**bill, "amountDue": None} if null_amount_due else bill


def bill_query_view(item: dict[str, Any]) -> dict[str, Any]:
    """The bill as the query language sees it: `supplierName` is the supplier reference's name."""
    return {**item, "supplierName": item["supplierRef"].get("supplierName")}


def is_outstanding(item: dict[str, Any]) -> bool:
    return item["status"] in OUTSTANDING


def bills_in_scope(
    bills: list[dict[str, Any]],
    predicate: listing.RecordFilter | None,
    query: str | None,
    *,
    strict: bool,
    outstanding_only: bool = False,
) -> list[dict[str, Any]]:
    """The bills a list bills call returns. Without a query: outstanding ones only (the spec's
    "by default ... Open & PartiallyPaid"). With one: in lenient mode, every bill the query
    matches; in strict mode the outstanding default stays unless the query names `status`
    (docs/payables/sync/bills.md: "use query parameters to change the scope of results").
    `outstanding_only`: the default always stays, and a query only filters within it (the
    other reading of the spec)."""
    matching = listing.filtered(bills, predicate, bill_query_view)
    keeps_default = _keeps_default(
        predicate, query, strict=strict, outstanding_only=outstanding_only
    )
    return [bill for bill in matching if is_outstanding(bill)] if keeps_default else matching


def _keeps_default(
    predicate: listing.RecordFilter | None,
    query: str | None,
    *,
    strict: bool,
    outstanding_only: bool,
) -> bool:
    return (
        predicate is None
        or outstanding_only
        or (strict and "status" not in fields_referenced(query or ""))
    )


async def bill_for_update(
    session: AsyncSession, connection: store.Connection, bill_id: str
) -> store.Bill:
    row = await session.scalar(
        select(store.Bill)
        .where(store.Bill.id == bill_id, store.Bill.connection_id == connection.id)
        .with_for_update()
    )
    if row is None:
        raise not_found("Bill", bill_id)
    return row


async def get_bill(session: AsyncSession, connection: store.Connection, bill_id: str) -> store.Bill:
    row = await session.get(store.Bill, bill_id)
    if row is None or row.connection_id != connection.id:
        raise not_found("Bill", bill_id)
    return row


async def create_bill(
    session: AsyncSession, connection: store.Connection, body: schemas.BillPrototype
) -> dict[str, Any]:
    if body.status != "Open":
        raise invalid(f"Status must be equal to Open (got {body.status}).")
    if body.due_date < body.issue_date:
        raise invalid("dueDate must not be before issueDate.")
    _platform_rules(connection, body)
    await _reference_unused(session, connection, body)
    supplier = await suppliers.supplier_for_bill(session, connection, body.supplier_ref.id)
    if supplier.status == "Archived":
        raise invalid(f"supplierRef.id: supplier '{supplier.supplier_name}' is archived.")
    lines, total = await _priced_lines(session, connection, body)
    row = store.Bill(
        connection_id=connection.id,
        reference=body.reference,
        supplier_id=supplier.id,
        supplier_name=supplier.supplier_name,
        issue_date=_naive(body.issue_date),
        due_date=_naive(body.due_date),
        currency=body.currency.upper(),
        currency_rate=body.currency_rate,
        line_items=lines,
        status=body.status,
        total_amount=total,
        amount_due=total,
        source_modified_date=store.utcnow(),
    )
    session.add(row)
    supplier.balance += balance_contribution(row, supplier)
    await session.flush()
    return views.bill(row)


async def replace_bill(
    session: AsyncSession, connection: store.Connection, bill_id: str, body: schemas.BillPrototype
) -> dict[str, Any]:
    rules = platform(connection.platform_key)
    if not rules.updates_bills:
        raise ApiError(404, f"Updating bills is not supported by platform(s) {rules.name}.")
    row = await bill_for_update(session, connection, bill_id)
    if row.status != "Open":
        raise invalid(
            f"Bill '{bill_id}' is {row.status}; only Open bills can be updated.", item_id=bill_id
        )
    if body.status != "Open":
        raise invalid(f"Status must be equal to Open (got {body.status}).")
    _platform_rules(connection, body)
    if body.due_date < body.issue_date:
        raise invalid("dueDate must not be before issueDate.")
    await _reference_unused(session, connection, body, bill_id=bill_id)
    paid = row.total_amount - row.amount_due
    if paid > 0 and body.supplier_ref.id != row.supplier_id:
        raise invalid("supplierRef.id: the supplier of a bill with payments cannot change.")
    if paid > 0 and body.currency.upper() != row.currency:
        raise invalid("currency: the currency of a bill with payments cannot change.")
    if paid > 0 and body.status in ("Void", "Draft"):
        raise invalid(f"status: a bill with payments cannot become {body.status}.")
    # Lock both suppliers in id order, so two edits swapping suppliers cannot deadlock.
    locked = {
        supplier_id: await suppliers.supplier_for_bill(session, connection, supplier_id)
        for supplier_id in sorted({row.supplier_id, body.supplier_ref.id})
    }
    old_supplier = locked[row.supplier_id]
    new_supplier = locked[body.supplier_ref.id]
    lines, total = await _priced_lines(session, connection, body)
    if total < paid:
        raise invalid(f"The new total {total} is less than the {paid} already paid.")
    old_supplier.balance -= balance_contribution(row, old_supplier)
    row.reference = body.reference
    row.supplier_id = new_supplier.id
    row.supplier_name = new_supplier.supplier_name
    row.issue_date = _naive(body.issue_date)
    row.due_date = _naive(body.due_date)
    row.currency = body.currency.upper()
    row.currency_rate = body.currency_rate
    row.line_items = lines
    row.total_amount = total
    row.amount_due = total - paid
    row.status = _status_after(row, requested=body.status, paid=paid)
    row.source_modified_date = store.utcnow()
    new_supplier.balance += balance_contribution(row, new_supplier)
    await session.flush()
    return views.bill(row)


def _platform_rules(connection: store.Connection, body: schemas.BillPrototype) -> None:
    """The connection's platform's own limits on a bill (docs/payables/sync/update-bill.md)."""
    rules = platform(connection.platform_key)
    problems: list[str] = []
    if body.reference is not None and len(body.reference) > rules.reference_max:
        problems.append(
            f"Reference Length must be less than or equal to {rules.reference_max} "
            f"for {rules.name} (got {len(body.reference)})."
        )
    lines = body.line_items or []
    if rules.max_line_items is not None and len(lines) > rules.max_line_items:
        problems.append(
            f"{rules.name} takes at most {rules.max_line_items} line items (got {len(lines)})."
        )
    for index, line in enumerate(lines):
        problem = _tax_rate_problem(rules.tax_rate, line)
        if problem:
            problems.append(f"lineItems[{index}].taxRateRef {problem} for {rules.name}.")
    if problems:
        raise invalid(*problems)


def _tax_rate_problem(rule: TaxRateRule, line: schemas.BillLineItem) -> str | None:
    """What is wrong with the line's `taxRateRef` under the platform's rule, if anything."""
    if line.tax_rate_ref is not None:
        return "must be null; give the tax as taxAmount" if rule == "refused" else None
    sends_tax = "tax_amount" in line.model_fields_set
    if rule == "required":
        return "is required"
    if rule == "with_tax_amount" and sends_tax:
        return "is required with taxAmount"
    if rule == "with_non_zero_tax_amount" and line.tax_amount != 0:
        return "is required with a non-zero taxAmount"
    return None


async def _reference_unused(
    session: AsyncSession,
    connection: store.Connection,
    body: schemas.BillPrototype,
    *,
    bill_id: str | None = None,
) -> None:
    """Where the platform takes a reference once per supplier (Zoho Books), a 400 for a
    reference another bill of the supplier has."""
    if not platform(connection.platform_key).unique_reference_per_supplier or not body.reference:
        return
    taken = await session.scalar(
        select(store.Bill.id).where(
            store.Bill.connection_id == connection.id,
            store.Bill.supplier_id == body.supplier_ref.id,
            store.Bill.reference == body.reference,
            store.Bill.id != (bill_id or ""),
        )
    )
    if taken is not None:
        raise invalid("Reference has already been used for this supplier.")


async def _priced_lines(
    session: AsyncSession, connection: store.Connection, body: schemas.BillPrototype
) -> tuple[list[dict[str, Any]], Decimal]:
    """Check each line against the chart of accounts and tax rates; return lines and total."""
    currency = body.currency.upper()
    if not body.line_items:
        raise invalid("lineItems: a bill needs at least one line item.")
    problems: list[str] = []
    lines: list[dict[str, Any]] = []
    total = Decimal(0)
    for index, line in enumerate(body.line_items):
        where = f"lineItems[{index}]"
        if line.quantity <= 0:
            problems.append(f"{where}.quantity must be more than 0.")
        if line.account_ref is None:
            problems.append(f"{where}.accountRef is required.")
        else:
            account = await session.get(store.LedgerAccount, line.account_ref.id)
            if account is None or account.connection_id != connection.id:
                problems.append(f"{where}.accountRef: account '{line.account_ref.id}' not found.")
            elif account.status != "Active":
                problems.append(f"{where}.accountRef: account '{account.name}' is archived.")
        if line.tax_rate_ref is not None:
            rate = await session.get(store.TaxRate, line.tax_rate_ref.id)
            if rate is None or rate.connection_id != connection.id:
                problems.append(f"{where}.taxRateRef: tax rate '{line.tax_rate_ref.id}' not found.")
        line_total = round_to_currency(line.quantity * line.unit_amount + line.tax_amount, currency)
        if (
            line.total_amount is not None
            and round_to_currency(line.total_amount, currency) != line_total
        ):
            problems.append(
                f"{where}.totalAmount {line.total_amount} is not quantity * unitAmount + "
                f"taxAmount ({line_total})."
            )
        total += line_total
        lines.append(
            {
                "description": line.description,
                "unitAmount": line.unit_amount,
                "quantity": line.quantity,
                "taxAmount": line.tax_amount,
                "totalAmount": line_total,
                "accountRef": {"id": line.account_ref.id} if line.account_ref else None,
                "taxRateRef": {"id": line.tax_rate_ref.id} if line.tax_rate_ref else None,
                "trackingRefs": [ref.model_dump(by_alias=True) for ref in line.tracking_refs or []],
            }
        )
    if not problems and total <= 0:
        problems.append(f"The bill's total must be more than 0; the lines add up to {total}.")
    if not problems and total >= MAX_TOTAL:
        problems.append(f"The bill's total {total} is too large; it must be below {MAX_TOTAL:,}.")
    if problems:
        raise invalid(*problems)
    return lines, total


def balance_contribution(bill: store.Bill, supplier: store.Supplier) -> Decimal:
    """What this bill adds to the supplier's balance (kept in the supplier's currency)."""
    if bill.status not in OUTSTANDING:
        return Decimal(0)
    if supplier.default_currency and supplier.default_currency != bill.currency:
        return Decimal(0)
    return bill.amount_due


def _status_after(row: store.Bill, *, requested: str, paid: Decimal) -> str:
    if requested in ("Void", "Draft"):
        return requested
    if row.amount_due == 0:
        return "Paid"
    return "PartiallyPaid" if paid > 0 else "Open"


def _naive(value: datetime) -> datetime:
    """A calendar date as written: `2026-12-01T00:00:00+01:00` is 1 December, not 30 November.
    Kept as its midnight, as the API serves it, so that SQL orders bills as `bill_key` does."""
    return value.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
