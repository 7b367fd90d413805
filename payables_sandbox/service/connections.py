"""Connections: a company's link to its accounting platform, and what the platform's ledger
brings once the company has authorised it.

A new connection waits (`PendingAuth`) until its company completes the Link flow; payables data
can be written only through a `Linked` one, and read through one that is or was linked
(`Deauthorized`, `Unlinked`: what was already read or written stays readable); the API itself
can only unlink.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import events, schemas, seed, store, views
from payables_sandbox.errors import ApiError, invalid, not_found
from payables_sandbox.platforms import PLATFORMS, source_type
from payables_sandbox.service import companies

CONNECTION_FIELDS = {"id", "status", "platformName", "integrationKey", "sourceType", "created"}


async def get_connection_row(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    await companies.get_company_row(session, company_id)
    row = await session.get(store.Connection, connection_id)
    if row is None or row.company_id != company_id:
        raise not_found("Connection", connection_id)
    return row


# A connection that was linked keeps what was already read or written readable after it is
# Deauthorized or Unlinked (docs/core-concepts/connections.md); only new writes need it Linked.
ONCE_LINKED = frozenset({"Linked", "Deauthorized", "Unlinked"})


async def payables_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """A connection payables data goes through: an accounting one (a Banking connection of
    the same company holds no bills, suppliers or bill payments)."""
    row = await get_connection_row(session, company_id, connection_id)
    kind = source_type(row.platform_key)
    if kind != "Accounting":
        raise ApiError(
            400,
            f"Connection '{connection_id}' is a {kind} connection; payables data is read and "
            "written through an Accounting connection.",
        )
    return row


async def linked_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """The connection a write goes through, which must be Linked."""
    row = await payables_connection(session, company_id, connection_id)
    if row.status != "Linked":
        again = " until it is linked again" if row.status in ONCE_LINKED else ""
        raise ApiError(
            400,
            f"Connection '{connection_id}' is {row.status}; nothing can be written through "
            f"it{again}: it must be Linked.",
        )
    return row


async def readable_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """The connection a read goes through: Linked, or once linked (Deauthorized, Unlinked),
    whose data already read or written stays readable. A connection never linked has none."""
    row = await payables_connection(session, company_id, connection_id)
    if row.status not in ONCE_LINKED:
        raise ApiError(
            400,
            f"Connection '{connection_id}' is {row.status}; "
            "it must be Linked before payables data can be read.",
        )
    return row


async def deauthorize_connection(
    session: AsyncSession, company_id: str, connection_id: str
) -> store.Connection:
    """The company revoked access (or it expired): a Linked connection becomes Deauthorized.
    Not an API operation; the Link flow links it again."""
    row = await get_connection_row(session, company_id, connection_id)
    if row.status != "Linked":
        raise invalid(f"Only Linked connections can be deauthorized; this one is {row.status}.")
    row.status = "Deauthorized"
    await session.flush()
    events.note(events.Note("connection.disconnected", company_id, connection_id))
    return row


async def list_connections(session: AsyncSession, company_id: str) -> list[dict[str, Any]]:
    await companies.get_company_row(session, company_id)
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
    await companies.get_company_row(session, company_id)
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
        kind = "connection.connected" if row.status == "PendingAuth" else "connection.reconnected"
        events.note(events.Note(kind, company_id, connection_id))
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
    events.note(events.Note("connection.disconnected", company_id, connection_id))
    return views.connection(row)


async def company_information(
    session: AsyncSession, connection: store.Connection
) -> dict[str, Any]:
    """The company's name and base currency, read through a linked connection."""
    company = await companies.get_company_row(session, connection.company_id)
    return {"companyName": company.name, "baseCurrency": connection.base_currency}
