"""Company information: the company's name and base currency as its linked platform gives them
(`.../payables/info`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from payables_sandbox.api.deps import ReadableConnection, ReadSession
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.service import connections

router = APIRouter()


@router.get(PAYABLES + "/info", operation_id="get-company-information")
async def company_information(session: ReadSession, connection: ReadableConnection) -> Response:
    return ApiResponse(await connections.company_information(session, connection))
