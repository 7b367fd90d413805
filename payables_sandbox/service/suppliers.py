"""Suppliers: listing them as reads show them, creating them, replacing them whole under each
platform's update rules (docs/payables/sync/suppliers.md), and finding the one a bill or a
payment names (locked, since its balance moves with them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import query_sql, schemas, store, views
from payables_sandbox.errors import ApiError, invalid, not_found
from payables_sandbox.platforms import platform
from payables_sandbox.service import listing, pages, reads
from payables_sandbox.service.pages import Source

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


# What list suppliers may be queried on, per the spec's description of its `query` parameter.
STRICT_SUPPLIER_FIELDS = {"sourceModifiedDate", "status"}


SUPPLIER_STATUSES = ("Unknown", "Active", "Archived")
SQL_FIELDS: dict[str, query_sql.Field] = {
    "status": query_sql.Choice(store.Supplier.status, SUPPLIER_STATUSES),
    "sourceModifiedDate": query_sql.Moment(store.Supplier.source_modified_date),
}


async def listed_suppliers(
    session: AsyncSession,
    connection: store.Connection,
    unseen: reads.Unseen,
    predicate: listing.RecordFilter | None,
) -> Source:
    """The suppliers of the connection as reads show them (balances without the payments they
    can't see), filtered and ordered by name in SQL; a query on a field without a column (or on
    the balance, which reads may show otherwise) is evaluated in Python on every supplier."""
    owners = await reads.bill_suppliers(session, unseen)
    mine = store.Supplier.connection_id == connection.id

    def serve(row: store.Supplier) -> dict[str, Any]:
        return unseen.supplier(row, owners)

    condition = None if predicate is None else query_sql.to_sql(predicate, SQL_FIELDS)
    if predicate is not None and condition is None:
        rows = (await session.scalars(select(store.Supplier).where(mine))).all()
        served = listing.filtered([serve(row) for row in rows], predicate)
        return pages.in_memory(served, listing.name_key)
    statement = select(store.Supplier).where(mine)
    if condition is not None:
        statement = statement.where(condition)
    return pages.Source(
        key=listing.name_key,
        statement=statement,
        order=(store.Supplier.name_key, store.Supplier.id),
        view=serve,
        key_values=_pair,
    )


def _pair(key: tuple[str, ...]) -> tuple[Any, ...]:
    name, supplier_id = key
    return name, supplier_id


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
    row = await supplier_for_update(session, connection, supplier_id)
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
            await _name_unused(session, connection, row, body)
        case "akxx":  # Oracle NetSuite: contactName is not updated; a null currency is kept
            await _name_unused(session, connection, row, body)
            body = body.model_copy(
                update={
                    "contact_name": None,
                    "default_currency": body.default_currency or row.default_currency,
                }
            )
        case "knfz":  # Sage Intacct: one address; a null currency is kept
            body = body.model_copy(
                update={
                    "addresses": (body.addresses or [])[:1] or None,
                    "default_currency": body.default_currency or row.default_currency,
                }
            )
        case "rwuv":  # Zoho Books: an archived supplier stays archived; a null currency is kept
            await _name_unused(session, connection, row, body)
            body = body.model_copy(
                update={
                    "status": "Archived" if row.status == "Archived" else body.status,
                    "default_currency": body.default_currency or row.default_currency,
                }
            )
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


async def _name_unused(
    session: AsyncSession,
    connection: store.Connection,
    row: store.Supplier,
    body: schemas.SupplierPrototype,
) -> None:
    """Where supplier names are unique (Xero, NetSuite, Zoho Books), a 400 for a name another
    supplier has."""
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


def _apply_supplier(row: store.Supplier, body: schemas.SupplierPrototype) -> None:
    row.supplier_name = body.supplier_name.strip()
    row.contact_name = body.contact_name
    row.email_address = body.email_address
    row.phone = body.phone
    row.addresses = [address.as_api() for address in body.addresses or []]
    row.status = body.status
    row.default_currency = body.default_currency.upper() if body.default_currency else None
    row.source_modified_date = store.utcnow()


async def supplier_for_update(
    session: AsyncSession, connection: store.Connection, supplier_id: str
) -> store.Supplier | None:
    return await session.scalar(
        select(store.Supplier)
        .where(store.Supplier.id == supplier_id, store.Supplier.connection_id == connection.id)
        .with_for_update()
    )


async def supplier_for_bill(
    session: AsyncSession, connection: store.Connection, supplier_id: str
) -> store.Supplier:
    supplier = await supplier_for_update(session, connection, supplier_id)
    if supplier is None:
        raise invalid(f"supplierRef.id: supplier '{supplier_id}' not found.")
    return supplier
