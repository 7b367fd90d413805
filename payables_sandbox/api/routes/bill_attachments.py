"""Bill attachments: upload, list and download (`.../payables/bills/{billId}/attachments`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from payables_sandbox.api.deps import ReadableConnection, ReadSession, Writes
from payables_sandbox.api.responses import ApiResponse, content_disposition
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.errors import ApiError
from payables_sandbox.service import attachments

MAX_FILENAME = 255

router = APIRouter()


@router.post(PAYABLES + "/bills/{billId}/attachments", operation_id="upload-bill-attachment")
async def upload_attachment(
    request: Request, companyId: str, connectionId: str, billId: str, writes: Writes
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
    return await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: attachments.add_attachment(
            session, connection, billId, name=name, content_type=content_type, content=content
        ),
        status_code=201,
    )


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
