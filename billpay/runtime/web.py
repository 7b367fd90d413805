"""The ASGI app: Slack's requests at `/slack/events` in HTTP mode (signatures verified by Bolt)
and `/healthz` for load balancers in both modes. The process host serves it with uvicorn."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from billpay.services import Services
from billpay.slack.app import create_app

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's full state) stay far below this.
MAX_BODY_BYTES = 256 * 1024


def create_web_app(
    services: Services, app: AsyncApp | None = None, *, slack_requests: bool = True
) -> FastAPI:
    """The web app around already-open services (the caller closes them): `/healthz` always,
    and Slack's request URL unless Slack reaches the app over Socket Mode."""
    web = FastAPI(title="Bill Pay for Slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if not slack_requests:
        return web
    handler = AsyncSlackRequestHandler(app or create_app(services))

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        # Bolt would fail with a 500 on a timestamp that isn't a number; it is no more signed
        # than a wrong signature is.
        if not request.headers.get("x-slack-request-timestamp", "").isdigit():
            return Response("invalid request", status_code=401)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return Response("request too large", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response("request too large", status_code=413)
        try:
            return await handler.handle(request)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # Bolt reads ids from the payload before any listener runs, trusting its shape; a
            # signed request of another shape is malformed, not a fault of ours.
            log.warning("refused a malformed Slack request: %r", exc)
            return Response("malformed request", status_code=400)

    return web
