"""Suppliers: list, create and update (`.../payables/suppliers`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from payables_sandbox import schemas
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
from payables_sandbox.service import listing, suppliers

router = APIRouter()

SupplierBody = Annotated[schemas.SupplierPrototype, Depends(json_body(schemas.SupplierPrototype))]


async def supplier_filter(
    config: ConfigDep, query: str | None = None
) -> listing.RecordFilter | None:
    """`query`, on the fields list suppliers can be queried on (strict: only those the spec
    names, `sourceModifiedDate` and `status`)."""
    allowed = suppliers.STRICT_SUPPLIER_FIELDS if config.strict else suppliers.SUPPLIER_FIELDS
    return listing.compile_query(query, allowed)


# Checked before the connection is looked up, as the query is the first thing read.
SupplierFilter = Annotated[listing.RecordFilter | None, Depends(supplier_filter)]


@router.get(PAYABLES + "/suppliers", operation_id="list-suppliers")
async def list_suppliers(
    request: Request,
    predicate: SupplierFilter,
    session: ReadSession,
    connection: ReadableConnection,
    unseen: UnseenPayments,
    config: ConfigDep,
    continuation_token: Token = None,
) -> Response:
    listed = await suppliers.listed_suppliers(session, connection, unseen, predicate)
    return await continued(request, session, config, continuation_token, results=listed)


@router.post(PAYABLES + "/suppliers", operation_id="create-supplier")
async def create_supplier(
    companyId: str, connectionId: str, body: SupplierBody, writes: Writes
) -> Response:
    return await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: suppliers.create_supplier(session, connection, body),
        status_code=201,
    )


@router.put(PAYABLES + "/suppliers/{supplierId}", operation_id="update-supplier")
async def update_supplier(
    companyId: str, connectionId: str, supplierId: str, body: SupplierBody, writes: Writes
) -> Response:
    return await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: suppliers.replace_supplier(
            session, connection, supplierId, body
        ),
    )
