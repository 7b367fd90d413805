"""Bill attachments: files kept with a bill, within the platform's size and type limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store, views
from payables_sandbox.errors import invalid, not_found
from payables_sandbox.platforms import platform
from payables_sandbox.service import bills


async def add_attachment(
    session: AsyncSession,
    connection: store.Connection,
    bill_id: str,
    *,
    name: str | None,
    content_type: str | None,
    content: bytes,
) -> dict[str, Any]:
    await bills.get_bill(session, connection, bill_id)
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
    await bills.get_bill(session, connection, bill_id)
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
    await bills.get_bill(session, connection, bill_id)
    row = await session.get(store.Attachment, attachment_id)
    if row is None or row.bill_id != bill_id:
        raise not_found("Attachment", attachment_id)
    return row
