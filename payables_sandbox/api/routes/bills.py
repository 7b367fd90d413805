"""Bills: list, create and update (`.../payables/bills`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store
from payables_sandbox.api.deps import (
    ConfigDep,
    ReadableConnection,
    ReadSession,
    UnseenPayments,
    Writes,
    json_body,
)
from payables_sandbox.api.responses import continued
from payables_sandbox.api.routes.params import PAYABLES, Token
from payables_sandbox.service import bills, listing

router = APIRouter()

BillBody = Annotated[schemas.BillPrototype, Depends(json_body(schemas.BillPrototype))]


async def bill_filter(config: ConfigDep, query: str | None = None) -> listing.RecordFilter | None:
    """`query`, on the fields list bills can be queried on (strict: only those the spec names)."""
    allowed = bills.STRICT_BILL_FIELDS if config.strict else bills.BILL_FIELDS
    return listing.compile_query(query, allowed)


# Checked before the connection is looked up, as the query is the first thing read.
BillFilter = Annotated[listing.RecordFilter | None, Depends(bill_filter)]


@router.get(PAYABLES + "/bills", operation_id="list-bills")
async def list_bills(
    request: Request,
    predicate: BillFilter,
    session: ReadSession,
    connection: ReadableConnection,
    unseen: UnseenPayments,
    config: ConfigDep,
    continuation_token: Token = None,
    query: str | None = None,
) -> Response:
    in_scope = await bills.listed_bills(
        session,
        connection,
        unseen,
        predicate,
        query,
        strict=config.strict,
        outstanding_only=config.outstanding_only,
        null_amount_due=config.null_amount_due,
    )
    return await continued(request, session, config, continuation_token, results=in_scope)


@router.post(PAYABLES + "/bills", operation_id="create-bill")
async def create_bill(
    companyId: str, connectionId: str, body: BillBody, writes: Writes, config: ConfigDep
) -> Response:
    async def create(session: AsyncSession, connection: store.Connection) -> dict[str, Any]:
        bill = await bills.create_bill(session, connection, body)
        return bills.served(bill, null_amount_due=config.null_amount_due)

    return await writes.on_connection(companyId, connectionId, create, status_code=201)


@router.put(PAYABLES + "/bills/{billId}", operation_id="update-bill")
async def update_bill(
    companyId: str,
    connectionId: str,
    billId: str,
    body: BillBody,
    writes: Writes,
    config: ConfigDep,
) -> Response:
    async def replace(session: AsyncSession, connection: store.Connection) -> dict[str, Any]:
        bill = await bills.replace_bill(session, connection, billId, body)
        return bills.served(bill, null_amount_due=config.null_amount_due)

    return await writes.on_connection(companyId, connectionId, replace)
