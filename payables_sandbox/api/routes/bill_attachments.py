"""Bill attachments: upload, list and download (`.../payables/bills/{billId}/attachments`).
An upload carries an `Idempotency-Key` like any POST (`IdempotencyMiddleware`); the injected
upload faults strike before the file is stored or once it is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from payables_sandbox.api.deps import FaultsDep, ReadableConnection, ReadSession, Writes
from payables_sandbox.api.responses import ApiResponse, content_disposition
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.errors import ApiError, injected_server_error
from payables_sandbox.faults import WriteFault
from payables_sandbox.service import attachments

MAX_FILENAME = 255

router = APIRouter()


async def upload_fault(billId: str, faults: FaultsDep) -> WriteFault | None:
    """The upload fault injected for this bill: one that strikes before the file is stored
    answers at once; one that strikes after is returned."""
    fault = faults.upload_fault(billId)
    if fault is not None and not fault.after_write:
        raise injected_server_error(fault.status_code)
    return fault


PendingFault = Annotated[WriteFault | None, Depends(upload_fault)]


@router.post(PAYABLES + "/bills/{billId}/attachments", operation_id="upload-bill-attachment")
async def upload_attachment(
    request: Request,
    companyId: str,
    connectionId: str,
    billId: str,
    fault: PendingFault,
    writes: Writes,
) -> Response:
    async with request.form() as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "Send the file as multipart/form-data in a part named 'file'.")
        content = await upload.read()
        name = upload.filename
        content_type = upload.content_type
    if name is not None and len(name) > MAX_FILENAME:
        raise ApiError(400, f"The file name is longer than {MAX_FILENAME} characters.")
    response = await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: attachments.add_attachment(
            session, connection, billId, name=name, content_type=content_type, content=content
        ),
        status_code=201,
    )
    if fault is None:
        return response
    if fault.kind == "hold" and fault.hold is not None:
        await fault.hold.hold()
        return response
    raise injected_server_error(fault.status_code)  # the file is attached


@router.get(PAYABLES + "/bills/{billId}/attachments", operation_id="list-bill-attachments")
async def list_attachments(
    companyId: str,  # declared here too, so the schema lists the path's parameters in order
    connectionId: str,
    billId: str,
    session: ReadSession,
    connection: ReadableConnection,
) -> Response:
    return ApiResponse(await attachments.list_attachments(session, connection, billId))


@router.get(
    PAYABLES + "/bills/{billId}/attachments/{attachmentId}/download",
    operation_id="download-bill-attachment",
)
async def download_attachment(
    companyId: str,  # declared here too, so the schema lists the path's parameters in order
    connectionId: str,
    billId: str,
    attachmentId: str,
    session: ReadSession,
    connection: ReadableConnection,
) -> Response:
    row = await attachments.get_attachment(session, connection, billId, attachmentId)
    return Response(
        row.content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": content_disposition(row.name or "attachment")},
    )
