"""The events the sandbox announces by webhook, and their payloads as webhooks.json shows them.

Business rules note what happened (`note`) in the request's list (`collecting`); the gateway
announces the notes once the answer is a success, so a write that rolled back announces
nothing. Payload builders read the company and connection the event is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store, views
from payables_sandbox.webhooks import timestamp


@dataclass(frozen=True)
class Note:
    """Something a request did that an event announces: `kind` is a connection event's type,
    or "payment" (a bill payment written at `moment`, `hidden` while it awaits approval)."""

    kind: str
    company_id: str
    connection_id: str
    moment: datetime | None = None
    hidden: bool = False


_notes: ContextVar[list[Note] | None] = ContextVar("sandbox_event_notes", default=None)


@contextmanager
def collecting() -> Iterator[list[Note]]:
    notes: list[Note] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


def note(item: Note) -> None:
    notes = _notes.get()
    if notes is not None:
        notes.append(item)


async def reference_company(session: AsyncSession, company_id: str) -> dict[str, Any]:
    row = await session.get(store.Company, company_id)
    return {
        "id": company_id,
        "name": row.name if row else None,
        "description": row.description if row else None,
        "links": {"portal": f"https://app.codat.io/companies/{company_id}/summary"},
        "tags": (row.tags or {}) if row else {},
    }


async def connection_payload(
    session: AsyncSession, company_id: str, connection_id: str
) -> dict[str, Any]:
    row = await session.get(store.Connection, connection_id)
    assert row is not None
    return {
        "referenceCompany": await reference_company(session, company_id),
        "connection": views.connection(row),
    }


async def read_payload(
    session: AsyncSession,
    company_id: str,
    connection_id: str,
    data_types: list[str],
    modified_from: datetime,
) -> dict[str, Any]:
    return {
        "referenceCompany": await reference_company(session, company_id),
        "modifiedFromDate": timestamp(modified_from),
        "dataTypes": [
            {
                "connectionId": connection_id,
                "dataType": data_type,
                "recordsModified": True,
                "status": "Complete",
            }
            for data_type in data_types
        ],
    }


async def write_payload(
    session: AsyncSession,
    *,
    company_id: str,
    connection_id: str,
    kind: str,
    requested: datetime,
    completed: datetime,
    record_id: str | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(store.new_id()),
        "type": kind,
        "referenceCompany": await reference_company(session, company_id),
        "connectionId": connection_id,
        "requestedOnDate": timestamp(requested),
        "completedOnDate": timestamp(completed),
        "status": "Success" if record_id is not None else "Failed",
    }
    if record_id is not None:
        payload["record"] = {"id": record_id}
    return payload
