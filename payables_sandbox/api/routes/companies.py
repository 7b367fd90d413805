"""Companies: list, create, read, replace, update and delete (`/companies`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from payables_sandbox import schemas
from payables_sandbox.api.deps import CompanyRow, ReadSession, Writes, json_body
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes.params import OrderBy, PageSize
from payables_sandbox.service import companies, listing

router = APIRouter()

CompanyBody = Annotated[schemas.CompanyRequest, Depends(json_body(schemas.CompanyRequest))]
CompanyChanges = Annotated[schemas.CompanyUpdate, Depends(json_body(schemas.CompanyUpdate))]


@router.get("/companies", operation_id="list-companies")
async def list_companies(
    request: Request,
    session: ReadSession,
    page: int = 1,
    page_size_: PageSize = 100,
    query: str | None = None,
    order_by: OrderBy = None,
    tags: str | None = None,
) -> Response:
    predicate = listing.compile_query(query, companies.COMPANY_FIELDS)
    tag_predicate = listing.compile_query(tags, None, param="tags")
    items = await companies.list_companies(session)
    items = listing.filtered(items, predicate)
    if tag_predicate is not None:
        items = [item for item in items if tag_predicate(item.get("tags") or {})]
    items = listing.ordered(items, order_by)
    return ApiResponse(
        listing.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
    )


@router.post("/companies", operation_id="create-company")
async def create_company(body: CompanyBody, writes: Writes) -> Response:
    return await writes.respond(lambda s: companies.create_company(s, body))


@router.get("/companies/{companyId}", operation_id="get-company")
async def get_company(session: ReadSession, company: CompanyRow) -> Response:
    return ApiResponse(await companies.company_view(session, company))


@router.put("/companies/{companyId}", operation_id="replace-company")
async def replace_company(companyId: str, body: CompanyBody, writes: Writes) -> Response:
    return await writes.respond(lambda s: companies.replace_company(s, companyId, body))


@router.patch("/companies/{companyId}", operation_id="update-company")
async def update_company(companyId: str, body: CompanyChanges, writes: Writes) -> Response:
    return await writes.respond(lambda s: companies.update_company(s, companyId, body))


@router.delete("/companies/{companyId}", status_code=204, operation_id="delete-company")
async def delete_company(companyId: str, writes: Writes) -> Response:
    await writes.run(lambda s: companies.delete_company(s, companyId))
    return Response(status_code=204)
