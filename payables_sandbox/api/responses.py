"""How the sandbox answers: JSON with exact decimals, request bodies read the same way, pages of
the payables lists with their continuation token, and downloads named as sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import exact_json
from payables_sandbox.config import SandboxConfig
from payables_sandbox.errors import ApiError
from payables_sandbox.service import listing
from payables_sandbox.service.pages import Source


class ApiResponse(Response):
    """JSON with exact decimals."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return exact_json.dumps(content).encode()


async def read_json(request: Request) -> Any:
    """The request's JSON body, numbers with a fraction as `Decimal`; a 400 when there is none."""
    raw = await request.body()
    if not raw:
        raise ApiError(400, "The request body is empty; send a JSON object.")
    try:
        return exact_json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from None


async def continued(
    request: Request,
    session: AsyncSession,
    config: SandboxConfig,
    token: str | None,
    **lists: Source,
) -> Response:
    """A page of each list, with `pagination` holding the next page's token, if any."""
    scope = "|".join(
        [
            request.url.path,
            *(f"{k}={request.query_params.get(k)}" for k in ("query", "statusQuery")),
        ]
    )
    pages, next_token = await listing.continuation_pages(
        session,
        lists,
        token=token,
        scope=scope,
        page_size=config.page_size,
        offsets=config.paging == "offset",
    )
    pagination = {"continuationToken": next_token} if next_token else {}
    return ApiResponse({**pages, "pagination": pagination})


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback, and the exact name in UTF-8 for clients that read it."""
    fallback = name.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
