"""Companies: the records a sandbox holds its connections under."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store, views
from payables_sandbox.errors import not_found

COMPANY_FIELDS = {"id", "name", "description", "created", "lastSync"}


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
