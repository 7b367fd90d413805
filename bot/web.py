"""The ASGI app for HTTP mode: Slack's requests at `/slack/events` (signatures verified by Bolt)
and `/healthz` for load balancers. `billpay run --http` serves it with uvicorn."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

from bot.app import create_app
from bot.services import Services


def create_web_app(services: Services) -> FastAPI:
    """The web app around already-open services (the caller closes them)."""
    handler = AsyncSlackRequestHandler(create_app(services))
    web = FastAPI(title="Bill Pay for Slack", docs_url=None, redoc_url=None, openapi_url=None)

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return web
