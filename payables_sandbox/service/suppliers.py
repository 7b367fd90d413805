"""Suppliers: listing them as reads show them, creating them, replacing them whole under each
platform's update rules (docs/payables/sync/suppliers.md), and finding the one a bill or a
payment names (locked, since its balance moves with them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store, views
from payables_sandbox.errors import ApiError, invalid, not_found
from payables_sandbox.platforms import platform
from payables_sandbox.service import reads

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


async def list_suppliers(
    session: AsyncSession, connection: store.Connection, unseen: reads.Unseen
) -> list[dict[str, Any]]:
    """Every supplier of the connection as a read shows it (balances without the payments it
    can't see)."""
    rows = (
        await session.scalars(
            select(store.Supplier)
            .where(store.Supplier.connection_id == connection.id)
            .order_by(store.Supplier.supplier_name, store.Supplier.id)
        )
    ).all()
    owners = await reads.bill_suppliers(session, unseen)
    return [unseen.supplier(row, owners) for row in rows]


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
