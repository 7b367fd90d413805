"""A company's connections: list, create, read, delete and unlink
(`/companies/{companyId}/connections`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from payables_sandbox import schemas, views
from payables_sandbox.api.deps import ConfigDep, ConnectionRow, ReadSession, Writes, json_body
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes.params import OrderBy, PageSize
from payables_sandbox.service import connections, listing

router = APIRouter()

ConnectionBody = Annotated[schemas.ConnectionRequest, Depends(json_body(schemas.ConnectionRequest))]
ConnectionChanges = Annotated[
    schemas.ConnectionUpdate, Depends(json_body(schemas.ConnectionUpdate))
]


@router.get("/companies/{companyId}/connections", operation_id="list-connections")
async def list_connections(
    request: Request,
    companyId: str,
    session: ReadSession,
    page: int = 1,
    page_size_: PageSize = 100,
    query: str | None = None,
    order_by: OrderBy = None,
) -> Response:
    predicate = listing.compile_query(query, connections.CONNECTION_FIELDS)
    items = await connections.list_connections(session, companyId)
    items = listing.ordered(listing.filtered(items, predicate), order_by)
    return ApiResponse(
        listing.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
    )


@router.post("/companies/{companyId}/connections", operation_id="create-connection")
async def create_connection(
    companyId: str, body: ConnectionBody, config: ConfigDep, writes: Writes
) -> Response:
    return await writes.respond(
        lambda s: connections.create_connection(
            s, companyId, body, base_currency=config.base_currency
        ),
    )


@router.get("/companies/{companyId}/connections/{connectionId}", operation_id="get-connection")
async def get_connection(connection: ConnectionRow) -> Response:
    return ApiResponse(views.connection(connection))


@router.delete(
    "/companies/{companyId}/connections/{connectionId}", operation_id="delete-connection"
)
async def delete_connection(companyId: str, connectionId: str, writes: Writes) -> Response:
    await writes.run(lambda s: connections.delete_connection(s, companyId, connectionId))
    return Response(status_code=200)


@router.patch("/companies/{companyId}/connections/{connectionId}", operation_id="unlink-connection")
async def unlink_connection(
    companyId: str, connectionId: str, body: ConnectionChanges, writes: Writes
) -> Response:
    return await writes.respond(
        lambda s: connections.update_connection(s, companyId, connectionId, body)
    )
