"""Mapping options: what a bill's lines can be coded to (accounts, tax rates) and what a payment
can come from (bank accounts) (`.../payables/mappingOptions/bills`, `.../payments`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from payables_sandbox.api.deps import ConfigDep, ReadableConnection, ReadSession
from payables_sandbox.api.responses import continued
from payables_sandbox.api.routes.params import PAYABLES, StatusQuery, Token
from payables_sandbox.service import listing, mapping_options

router = APIRouter()


async def status_filter(status_query: StatusQuery = None) -> listing.RecordFilter | None:
    """`statusQuery`, active options only when it is not given."""
    return listing.compile_query(
        status_query or "status=Active", mapping_options.MAPPING_FIELDS, param="statusQuery"
    )


# Checked before the connection is looked up, as the query is the first thing read.
StatusFilter = Annotated[listing.RecordFilter | None, Depends(status_filter)]


@router.get(PAYABLES + "/mappingOptions/bills", operation_id="get-mapping-options-bills")
async def bill_mapping_options(
    request: Request,
    predicate: StatusFilter,
    session: ReadSession,
    connection: ReadableConnection,
    config: ConfigDep,
    continuation_token: Token = None,
) -> Response:
    accounts, tax_rates = await mapping_options.bill_mapping_options(session, connection, predicate)
    return await continued(
        request, session, config, continuation_token, accounts=accounts, taxRates=tax_rates
    )


@router.get(PAYABLES + "/mappingOptions/payments", operation_id="get-mapping-options-payments")
async def payment_mapping_options(
    request: Request,
    predicate: StatusFilter,
    session: ReadSession,
    connection: ReadableConnection,
    config: ConfigDep,
    continuation_token: Token = None,
) -> Response:
    accounts = await mapping_options.payment_mapping_options(session, connection, predicate)
    return await continued(request, session, config, continuation_token, bankAccounts=accounts)
