"""The sandbox's business rules: what each operation checks and changes, in one transaction.

Every function takes an open session and either returns the API's JSON shape or raises
`ApiError`. Rules that protect money live here: payments never exceed the amount due, only
outstanding bills can be paid, a payment on a bill in a currency other than the company's base
currency needs a rate (and never involves a third currency), and bill status, amount due and
supplier balance move together. Each platform's own limits come from `platforms`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import exact_json, schemas, seed, store, views
from payables_sandbox.errors import ApiError, invalid, not_found
from payables_sandbox.money import fits_currency, minor_units, round_to_currency
from payables_sandbox.platforms import PLATFORMS, platform
from payables_sandbox.query import QuerySyntaxError, fields_referenced, parse_query

OUTSTANDING = ("Open", "PartiallyPaid")
MAX_TOTAL = Decimal(10) ** 15
# What list bills may be queried on, per the spec's description of its `query` parameter.
STRICT_BILL_FIELDS = {"status", "sourceModifiedDate"}
# The most records one page holds: the spec's PagingInfo caps `pageSize` at 2000, while the
# `pageSize` parameter (and docs/using-the-api/paging.md) accept up to 5000.
MAX_SERVED_PAGE_SIZE = 2000
MAX_PAGE_SIZE = 5000

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
SUPPLIER_FIELDS = {
    "id",
    "supplierName",
    "contactName",
    "emailAddress",
    "phone",
    "status",
    "balance",
    "defaultCurrency",
    "sourceModifiedDate",
}
MAPPING_FIELDS = {"id", "name", "nominalCode", "status", "currency", "type", "accountType", "code"}
COMPANY_FIELDS = {"id", "name", "description", "created", "lastSync"}
CONNECTION_FIELDS = {"id", "status", "platformName", "integrationKey", "sourceType", "created"}


# ---------------------------------------------------------------- queries and paging


def compile_query(
    text: str | None, allowed: set[str] | None, *, param: str = "query"
) -> Callable[[dict[str, Any]], bool] | None:
    """Parse a Codat query string, rejecting syntax errors and fields the resource lacks
    (`allowed=None`: any field, as for free-form tags)."""
    if text is None or not text.strip():
        return None
    try:
        unknown = [] if allowed is None else sorted(fields_referenced(text) - allowed)
        predicate = parse_query(text)
    except QuerySyntaxError as exc:
        raise ApiError(400, f"Error parsing {param} - Malformed query. {exc}") from None
    if unknown:
        raise ApiError(
            400,
            f"Error parsing {param} - Could not resolve property {unknown[0]}. "
            f"Filterable properties: {', '.join(sorted(allowed or ()))}.",
        )
    return predicate


SortKey = Callable[[dict[str, Any]], tuple[str, ...]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def bill_key(item: dict[str, Any]) -> tuple[str, ...]:
    return (item["dueDate"], item["issueDate"], item["id"])


def name_key(item: dict[str, Any]) -> tuple[str, ...]:
    name = item.get("supplierName", item.get("name"))
    return (_text(name).casefold(), item["id"])


def nominal_key(item: dict[str, Any]) -> tuple[str, ...]:
    return (_text(item.get("nominalCode")), item["id"])


def _token_scope(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_token(positions: dict[str, list[str] | None], scope: str) -> str:
    raw = exact_json.dumps({"s": _token_scope(scope), "after": positions})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(
    token: str | None, scope: str, names: Iterable[str]
) -> dict[str, tuple[str, ...] | None]:
    """The sort key of the last record each list's previous page ended on (None: start)."""
    names = list(names)
    if not token:
        return dict.fromkeys(names)
    try:
        padded = token + "=" * (-len(token) % 4)
        data = exact_json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        valid = data["s"] == _token_scope(scope) and set(after) == set(names)
        positions = {name: None if after[name] is None else tuple(after[name]) for name in names}
        valid = valid and all(
            key is None or all(isinstance(part, str) for part in key) for key in positions.values()
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise ApiError(
            400,
            "The continuation token is not valid for this request; "
            "start again without a token, keeping the same query.",
        )
    return positions


def continuation_pages(
    lists: Mapping[str, tuple[Sequence[dict[str, Any]], SortKey]],
    *,
    token: str | None,
    scope: str,
    page_size: int,
    offsets: bool = False,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """One page of each list and the token for the next page (None after the last one).

    Keyset tokens (the default) remember the sort key of the last record served, so records
    added, paid or removed between two pages never make a later page skip or repeat one.
    Offset tokens (`offsets=True`) are Codat's: the next page's number, so a record that leaves
    the list between two pages shifts every later record one place forward.
    """
    if offsets:
        return _offset_pages(lists, token=token, page_size=page_size)
    after = decode_token(token, scope, lists)
    pages: dict[str, list[dict[str, Any]]] = {}
    positions: dict[str, list[str] | None] = {}
    more = False
    for name, (items, key) in lists.items():
        last = after[name]
        remaining = sorted((item for item in items if last is None or key(item) > last), key=key)
        pages[name] = remaining[:page_size]
        more = more or len(remaining) > page_size
        end = key(pages[name][-1]) if pages[name] else last
        positions[name] = None if end is None else list(end)
    return pages, (encode_token(positions, scope) if more else None)


def _offset_pages(
    lists: Mapping[str, tuple[Sequence[dict[str, Any]], SortKey]],
    *,
    token: str | None,
    page_size: int,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Page N of each list. The token has the shape of Codat's own (base64 of
    `{"page": 2, "pageSize": 100, "pageCount": 11}`), and like Codat's it is not tied to a query."""
    page = 1
    if token:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = exact_json.loads(base64.b64decode(padded.encode(), validate=True))
            page, page_size = int(data["page"]), int(data["pageSize"])
            if page < 1 or not 1 <= page_size <= MAX_SERVED_PAGE_SIZE:
                raise ValueError(page)
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise ApiError(
                400, "The continuation token is not valid; start again without a token."
            ) from None
    start = (page - 1) * page_size
    pages: dict[str, list[dict[str, Any]]] = {}
    count = 1
    for name, (items, key) in lists.items():
        ordered_items = sorted(items, key=key)
        pages[name] = ordered_items[start : start + page_size]
        count = max(count, -(-len(ordered_items) // page_size))
    if page >= count:
        return pages, None
    raw = exact_json.dumps({"page": page + 1, "pageSize": page_size, "pageCount": count})
    return pages, base64.b64encode(raw.encode()).decode()


def filtered(
    items: Sequence[dict[str, Any]],
    predicate: Callable[[dict[str, Any]], bool] | None,
    view: Callable[[dict[str, Any]], dict[str, Any]] = lambda item: item,
) -> list[dict[str, Any]]:
    if predicate is None:
        return list(items)
    return [item for item in items if predicate(view(item))]


def ordered(items: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    if not order_by:
        return items
    field = order_by.strip()
    descending = field.startswith("-")
    field = field.lstrip("-")

    def key(item: dict[str, Any]) -> tuple[bool, str]:
        value = item.get(field)
        return (value is None, "" if value is None else str(value))

    return sorted(items, key=key, reverse=descending)


def paging_info(
    results: list[dict[str, Any]], *, total: int, page: int, page_size: int, path: str
) -> dict[str, Any]:
    def href(number: int) -> dict[str, str]:
        return {"href": f"{path}?page={number}&pageSize={page_size}"}

    links = {"self": {"href": path}, "current": href(page)}
    if page * page_size < total:
        links["next"] = href(page + 1)
    if page > 1:
        links["previous"] = href(page - 1)
    return {
        "results": results,
        "pageNumber": page,
        "pageSize": page_size,
        "totalResults": total,
        "_links": links,
    }


def numbered_page(
    items: list[dict[str, Any]], *, page: int, page_size: int, path: str
) -> dict[str, Any]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise invalid(f"page must be 1 or more and pageSize between 1 and {MAX_PAGE_SIZE}.")
    page_size = min(page_size, MAX_SERVED_PAGE_SIZE)
    start = (page - 1) * page_size
    return paging_info(
        items[start : start + page_size],
        total=len(items),
        page=page,
        page_size=page_size,
        path=path,
    )


# ---------------------------------------------------------------- companies and connections


async def get_company_row(session: AsyncSession, company_id: str) -> store.Company:
    row = await session.get(store.Company, company_id)
    if row is None:
        raise not_found("Company", company_id)
    return row


async def company_view(session: AsyncSession, row: store.Company) -> dict[str, Any]:
    connections = (
        await session.scalars(
            select(store.Connection)
            .where(store.Connection.company_id == row.id)
            .order_by(store.Connection.created, store.Connection.id)
        )
    ).all()
    return views.company(row, list(connections))


async def list_companies(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(store.Company).order_by(store.Company.created))).all()
    return [await company_view(session, row) for row in rows]


async def create_company(session: AsyncSession, body: schemas.CompanyRequest) -> dict[str, Any]:
    row = store.Company(name=body.name.strip(), description=body.description, tags=body.tags or {})
    session.add(row)
    await session.flush()
    return await company_view(session, row)


async def replace_company(
    session: AsyncSession, company_id: str, body: schemas.CompanyRequest
) -> dict[str, Any]:
    row = await get_company_row(session, company_id)
    row.name = body.name.strip()
    row.description = body.description
    row.tags = body.tags or {}
    await session.flush()
    return await company_view(session, row)


async def update_company(
    session: AsyncSession, company_id: str, body: schemas.CompanyUpdate
) -> dict[str, Any]:
    row = await get_company_row(session, company_id)
    if body.name is not None:
        row.name = body.name.strip()
    if body.description is not None:
        row.description = body.description
    if body.tags is not None:
        row.tags = body.tags
    await session.flush()
    return await company_view(session, row)


async def delete_company(session: AsyncSession, company_id: str) -> None:
    row = await get_company_row(session, company_id)
    await session.delete(row)


async def get_connection_row(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    await get_company_row(session, company_id)
    row = await session.get(store.Connection, connection_id)
    if row is None or row.company_id != company_id:
        raise not_found("Connection", connection_id)
    return row


async def linked_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """The connection, which must be linked before payables data can be read or written."""
    row = await get_connection_row(session, company_id, connection_id)
    if row.status != "Linked":
        raise ApiError(
            400,
            f"Connection '{connection_id}' is {row.status}; "
            "it must be Linked before payables data can be read or written.",
        )
    return row


async def list_connections(session: AsyncSession, company_id: str) -> list[dict[str, Any]]:
    await get_company_row(session, company_id)
    rows = (
        await session.scalars(
            select(store.Connection)
            .where(store.Connection.company_id == company_id)
            .order_by(store.Connection.created, store.Connection.id)
        )
    ).all()
    return [views.connection(row) for row in rows]


async def create_connection(
    session: AsyncSession, company_id: str, body: schemas.ConnectionRequest, *, base_currency: str
) -> dict[str, Any]:
    """A new connection waits for its company to authorise it through the Link flow."""
    await get_company_row(session, company_id)
    key = body.platform_key
    if key not in PLATFORMS:
        raise invalid(
            f"platformKey: '{key}' is not a platform this API connects to; use one of "
            f"{', '.join(sorted(PLATFORMS))}."
        )
    row = store.Connection(
        company_id=company_id,
        platform_key=key,
        platform_name=PLATFORMS[key].name,
        integration_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-integration:{key}")),
        source_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-source:{key}")),
        status="PendingAuth",
        base_currency=base_currency,
        created=store.utcnow(),
        last_sync=None,
    )
    session.add(row)
    await session.flush()
    return views.connection(row)


async def authorise_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """The company completed the Link flow: the connection is linked and brings its ledger."""
    row = await get_connection_row(session, company_id, connection_id)
    if row.status != "Linked":
        row.status = "Linked"
        row.last_sync = store.utcnow()
        await _provision(session, row)
        await session.flush()
    return row


async def _provision(session: AsyncSession, connection: store.Connection) -> None:
    """A connection that becomes linked brings its platform's chart of accounts and tax rates."""
    existing = await session.scalar(
        select(store.LedgerAccount.id).where(store.LedgerAccount.connection_id == connection.id)
    )
    if existing is None:
        await seed.provision_ledger(
            session,
            connection.id,
            key=lambda name: str(uuid.uuid5(uuid.UUID(connection.id), name)),
            modified=store.utcnow(),
            currency=connection.base_currency,
        )
        await session.flush()


async def delete_connection(session: AsyncSession, company_id: str, connection_id: str) -> None:
    row = await get_connection_row(session, company_id, connection_id)
    await session.delete(row)


async def update_connection(
    session: AsyncSession, company_id: str, connection_id: str, body: schemas.ConnectionUpdate
) -> dict[str, Any]:
    """Unlink a linked connection: the only change this operation makes. Linking is the
    company's to do, through the Link flow (docs/core-concepts/connections.md)."""
    row = await get_connection_row(session, company_id, connection_id)
    if body.status != "Unlinked":
        raise invalid(
            f"status: a connection can only be set to Unlinked here, not {body.status}; "
            "a connection becomes Linked when its company completes the Link flow at linkUrl."
        )
    if row.status != "Linked":
        raise invalid(f"Only Linked connections can be unlinked; this one is {row.status}.")
    row.status = "Unlinked"
    await session.flush()
    return views.connection(row)


async def company_information(
    session: AsyncSession, company_id: str, connection_id: str
) -> dict[str, Any]:
    connection = await linked_connection(session, company_id, connection_id)
    company = await get_company_row(session, company_id)
    return {"companyName": company.name, "baseCurrency": connection.base_currency}


# ---------------------------------------------------------------- mapping options


async def bill_mapping_options(
    session: AsyncSession, connection: store.Connection
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    accounts = (
        await session.scalars(
            select(store.LedgerAccount)
            .where(store.LedgerAccount.connection_id == connection.id)
            .order_by(store.LedgerAccount.nominal_code, store.LedgerAccount.id)
        )
    ).all()
    tax_rates = (
        await session.scalars(
            select(store.TaxRate)
            .where(store.TaxRate.connection_id == connection.id)
            .order_by(store.TaxRate.name, store.TaxRate.id)
        )
    ).all()
    return (
        [views.ledger_account_option(a) for a in accounts],
        [views.tax_rate_option(t) for t in tax_rates],
    )


async def payment_mapping_options(
    session: AsyncSession, connection: store.Connection
) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(store.BankAccount)
            .where(store.BankAccount.connection_id == connection.id)
            .order_by(store.BankAccount.name, store.BankAccount.id)
        )
    ).all()
    return [views.bank_account_option(row) for row in rows]


# ---------------------------------------------------------------- suppliers


async def list_suppliers(session: AsyncSession, connection: store.Connection) -> list[dict]:
    rows = (
        await session.scalars(
            select(store.Supplier)
            .where(store.Supplier.connection_id == connection.id)
            .order_by(store.Supplier.supplier_name, store.Supplier.id)
        )
    ).all()
    return [views.supplier(row) for row in rows]


async def create_supplier(
    session: AsyncSession, connection: store.Connection, body: schemas.SupplierPrototype
) -> dict[str, Any]:
    row = store.Supplier(connection_id=connection.id, balance=Decimal(0))
    _apply_supplier(row, body)
    if body.balance is not None:
        row.balance = body.balance
    session.add(row)
    await session.flush()
    return views.supplier(row)


async def replace_supplier(
    session: AsyncSession,
    connection: store.Connection,
    supplier_id: str,
    body: schemas.SupplierPrototype,
) -> dict[str, Any]:
    rules = platform(connection.platform_key)
    if not rules.updates_suppliers:
        raise ApiError(404, f"Updating suppliers is not supported by platform(s) {rules.name}.")
    row = await _supplier_for_update(session, connection, supplier_id)
    if row is None:
        raise not_found("Supplier", supplier_id)
    applied = await _supplier_update_rules(session, connection, row, body)
    if applied is None:  # QuickBooks Online ignores changes to an archived supplier
        return views.supplier(row)
    # The balance belongs to the ledger (it moves with bills and payments), not to the request.
    _apply_supplier(row, applied)
    await session.flush()
    return views.supplier(row)


async def _supplier_update_rules(
    session: AsyncSession,
    connection: store.Connection,
    row: store.Supplier,
    body: schemas.SupplierPrototype,
) -> schemas.SupplierPrototype | None:
    """Each platform's limits on updating a supplier (docs/payables/sync/suppliers.md): the
    body to apply, or None when the platform ignores the update."""
    match connection.platform_key:
        case "gbol":  # Xero
            if row.status == "Archived":
                raise invalid(
                    "Archived suppliers cannot be updated in Xero; unarchive it in Xero first."
                )
            wanted = body.supplier_name.strip().casefold()
            clash = await session.scalar(
                select(store.Supplier.id).where(
                    store.Supplier.connection_id == connection.id,
                    store.Supplier.id != row.id,
                    func.lower(store.Supplier.supplier_name) == wanted,
                )
            )
            if clash is not None:
                raise invalid(f"supplierName: a supplier named '{body.supplier_name}' exists.")
        case "qhyg":  # QuickBooks Online
            if row.status == "Archived" and body.status != "Active":
                return None
            if body.default_currency is None:
                body = body.model_copy(update={"default_currency": row.default_currency})
            elif body.default_currency.upper() != (row.default_currency or "").upper():
                raise invalid(
                    "defaultCurrency: QuickBooks Online cannot change a supplier's currency."
                )
        case "fbrh":  # FreeAgent: no currency at supplier level
            body = body.model_copy(update={"default_currency": connection.base_currency})
    return body


def _apply_supplier(row: store.Supplier, body: schemas.SupplierPrototype) -> None:
    row.supplier_name = body.supplier_name.strip()
    row.contact_name = body.contact_name
    row.email_address = body.email_address
    row.phone = body.phone
    row.addresses = [address.as_api() for address in body.addresses or []]
    row.status = body.status
    row.default_currency = body.default_currency.upper() if body.default_currency else None
    row.source_modified_date = store.utcnow()


async def _supplier_for_update(
    session: AsyncSession, connection: store.Connection, supplier_id: str
) -> store.Supplier | None:
    return await session.scalar(
        select(store.Supplier)
        .where(store.Supplier.id == supplier_id, store.Supplier.connection_id == connection.id)
        .with_for_update()
    )


# ---------------------------------------------------------------- bills


async def list_bills(session: AsyncSession, connection: store.Connection) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(store.Bill)
            .where(store.Bill.connection_id == connection.id)
            .order_by(store.Bill.due_date, store.Bill.issue_date, store.Bill.id)
        )
    ).all()
    return [views.bill(row) for row in rows]


def bill_query_view(item: dict[str, Any]) -> dict[str, Any]:
    """The bill as the query language sees it: `supplierName` is the supplier reference's name."""
    return {**item, "supplierName": item["supplierRef"].get("supplierName")}


def is_outstanding(item: dict[str, Any]) -> bool:
    return item["status"] in OUTSTANDING


def bills_in_scope(
    bills: list[dict[str, Any]],
    predicate: Callable[[dict[str, Any]], bool] | None,
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
    matching = filtered(bills, predicate, bill_query_view)
    keeps_default = (
        predicate is None
        or outstanding_only
        or (strict and "status" not in fields_referenced(query or ""))
    )
    return [bill for bill in matching if is_outstanding(bill)] if keeps_default else matching


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


def _contribution(bill: store.Bill, supplier: store.Supplier) -> Decimal:
    """What this bill adds to the supplier's balance (kept in the supplier's currency)."""
    if bill.status not in OUTSTANDING:
        return Decimal(0)
    if supplier.default_currency and supplier.default_currency != bill.currency:
        return Decimal(0)
    return bill.amount_due


async def _supplier_for_bill(
    session: AsyncSession, connection: store.Connection, supplier_id: str
) -> store.Supplier:
    supplier = await _supplier_for_update(session, connection, supplier_id)
    if supplier is None:
        raise invalid(f"supplierRef.id: supplier '{supplier_id}' not found.")
    return supplier


async def create_bill(
    session: AsyncSession, connection: store.Connection, body: schemas.BillPrototype
) -> dict[str, Any]:
    if body.status != "Open":
        raise invalid(f"Status must be equal to Open (got {body.status}).")
    if body.due_date < body.issue_date:
        raise invalid("dueDate must not be before issueDate.")
    _platform_rules(connection, body)
    supplier = await _supplier_for_bill(session, connection, body.supplier_ref.id)
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
    supplier.balance += _contribution(row, supplier)
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
    paid = row.total_amount - row.amount_due
    if paid > 0 and body.supplier_ref.id != row.supplier_id:
        raise invalid("supplierRef.id: the supplier of a bill with payments cannot change.")
    if paid > 0 and body.currency.upper() != row.currency:
        raise invalid("currency: the currency of a bill with payments cannot change.")
    if paid > 0 and body.status in ("Void", "Draft"):
        raise invalid(f"status: a bill with payments cannot become {body.status}.")
    # Lock both suppliers in id order, so two edits swapping suppliers cannot deadlock.
    suppliers = {
        supplier_id: await _supplier_for_bill(session, connection, supplier_id)
        for supplier_id in sorted({row.supplier_id, body.supplier_ref.id})
    }
    old_supplier = suppliers[row.supplier_id]
    new_supplier = suppliers[body.supplier_ref.id]
    lines, total = await _priced_lines(session, connection, body)
    if total < paid:
        raise invalid(f"The new total {total} is less than the {paid} already paid.")
    old_supplier.balance -= _contribution(row, old_supplier)
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
    new_supplier.balance += _contribution(row, new_supplier)
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
        if rules.tax_rate == "required" and line.tax_rate_ref is None:
            problems.append(f"lineItems[{index}].taxRateRef is required for {rules.name}.")
        elif rules.tax_rate == "refused" and line.tax_rate_ref is not None:
            problems.append(
                f"lineItems[{index}].taxRateRef must be null for {rules.name}; "
                "give the tax as taxAmount."
            )
    if problems:
        raise invalid(*problems)


def _status_after(row: store.Bill, *, requested: str, paid: Decimal) -> str:
    if requested in ("Void", "Draft"):
        return requested
    if row.amount_due == 0:
        return "Paid"
    return "PartiallyPaid" if paid > 0 else "Open"


def _naive(value: datetime) -> datetime:
    """A calendar date as written: `2026-12-01T00:00:00+01:00` is 1 December, not 30 November."""
    return value.replace(tzinfo=None)


# ---------------------------------------------------------------- payments


async def create_bill_payment(
    session: AsyncSession,
    connection: store.Connection,
    bill_id: str,
    body: schemas.BillPaymentPrototype,
) -> dict[str, Any]:
    bill = await bill_for_update(session, connection, bill_id)
    if bill.status not in OUTSTANDING:
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
    supplier = await _supplier_for_bill(session, connection, bill.supplier_id)
    supplier.balance -= _contribution(bill, supplier)
    payment = store.BillPayment(
        connection_id=connection.id,
        bill_id=bill.id,
        amount=amount,
        date=body.date,
        reference=body.reference,
        account_id=account.id,
        currency_rate=body.currency_rate,
        base_amount=round_to_currency(amount * (body.currency_rate or 1), connection.base_currency),
    )
    session.add(payment)
    bill.amount_due -= amount
    bill.status = "Paid" if bill.amount_due == 0 else "PartiallyPaid"
    bill.source_modified_date = store.utcnow()
    supplier.balance += _contribution(bill, supplier)
    supplier.source_modified_date = bill.source_modified_date
    await session.flush()
    return views.bill_payment(payment)


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


# ---------------------------------------------------------------- bank accounts


async def create_bank_account(
    session: AsyncSession, connection: store.Connection, body: schemas.BankAccountPrototype
) -> dict[str, Any]:
    row = store.BankAccount(
        connection_id=connection.id,
        nominal_code=body.nominal_code,
        name=body.name.strip(),
        account_type=body.account_type,
        account_number=body.account_number,
        sort_code=body.sort_code,
        currency=body.currency.upper(),
        status="Active",
    )
    session.add(row)
    await session.flush()
    return views.bank_account(row)


# ---------------------------------------------------------------- attachments


async def add_attachment(
    session: AsyncSession,
    connection: store.Connection,
    bill_id: str,
    *,
    name: str | None,
    content_type: str | None,
    content: bytes,
) -> dict[str, Any]:
    await get_bill(session, connection, bill_id)
    if not content:
        raise invalid("file: the uploaded file is empty.")
    problem = platform(connection.platform_key).attachment_problem(name, len(content))
    if problem:
        raise invalid(problem)
    row = store.Attachment(
        bill_id=bill_id,
        name=name,
        content_type=content_type or "application/octet-stream",
        file_size=len(content),
        content=content,
    )
    session.add(row)
    await session.flush()
    return views.attachment(row)


async def list_attachments(
    session: AsyncSession, connection: store.Connection, bill_id: str
) -> list[dict[str, Any]]:
    await get_bill(session, connection, bill_id)
    rows = (
        await session.scalars(
            select(store.Attachment)
            .where(store.Attachment.bill_id == bill_id)
            .order_by(store.Attachment.date_created, store.Attachment.id)
        )
    ).all()
    return [views.attachment(row) for row in rows]


async def get_attachment(
    session: AsyncSession, connection: store.Connection, bill_id: str, attachment_id: str
) -> store.Attachment:
    await get_bill(session, connection, bill_id)
    row = await session.get(store.Attachment, attachment_id)
    if row is None or row.bill_id != bill_id:
        raise not_found("Attachment", attachment_id)
    return row
