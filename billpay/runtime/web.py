"""The ASGI app: Slack's requests at `/slack/events` in HTTP mode; with many workspaces (OAuth),
`/slack/install` and `/slack/oauth_redirect` (Bolt's OAuth flow, `billpay.slack.oauth`); and in
both modes `/healthz` for load balancers and Codat's webhooks at `/webhooks/codat`
(`billpay.webhooks.service`: verified, recorded, answered at once, worked after the answer).
The process host serves it with uvicorn.

A Slack request passes the gate (`billpay.slack.gate`: signed, and shaped so that Bolt can read
it) before Bolt dispatches it; whatever still escapes is answered in plain words, its traceback
in the log under a reference, never in the answer."""

from __future__ import annotations

import logging

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from billpay.services import Services
from billpay.slack.app import create_app
from billpay.slack.explain import new_reference
from billpay.slack.gate import refusal
from billpay.slack.oauth import INSTALL_PATH, REDIRECT_PATH
from billpay.webhooks.service import WebhookRefused

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's full state) stay far below this.
MAX_BODY_BYTES = 256 * 1024
# Codat's webhook bodies are a few kilobytes; a read event lists its data types.
MAX_WEBHOOK_BYTES = 1024 * 1024


def create_web_app(
    services: Services, app: AsyncApp | None = None, *, slack_requests: bool = True
) -> Starlette:
    """The web app around already-open services (the caller closes them): `/healthz` always,
    and Slack's request URL unless Slack reaches the app over Socket Mode.

    Starlette, not FastAPI: three routes need neither validation nor an OpenAPI schema, and
    FastAPI's import would be a good part of the bot's start-up."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def codat_webhook(request: Request) -> Response:
        webhooks = services.webhooks
        if webhooks is None:
            log.warning("a webhook came but CODAT_WEBHOOK_SECRET is not set; refused")
            return PlainTextResponse("webhooks are not configured", status_code=404)
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
            return PlainTextResponse("request too large", status_code=413)
        try:
            body = await request.body()
        except ClientDisconnect:
            return PlainTextResponse("incomplete request", status_code=400)
        if len(body) > MAX_WEBHOOK_BYTES:
            return PlainTextResponse("request too large", status_code=413)
        try:
            accepted = await webhooks.accept(body, request.headers)
        except WebhookRefused as refused:
            # Never the body: it is not known to be the API's.
            log.warning(
                "refused a webhook (id %r from %s): %s",
                request.headers.get("webhook-id", "")[:80],
                request.client.host if request.client else "?",
                refused,
            )
            return PlainTextResponse("refused", status_code=refused.status)
        if accepted.new:
            webhooks.start(accepted)
        return PlainTextResponse("ok")

    routes = [Route("/healthz", healthz), Route("/webhooks/codat", codat_webhook, methods=["POST"])]
    oauth = services.installations is not None
    if not slack_requests and not oauth:
        return Starlette(routes=routes)
    handler = AsyncSlackRequestHandler(app or create_app(services))
    if oauth:
        # A browser's, not Slack's: unsigned, and answered by Bolt's OAuth flow with a page.
        async def installing(request: Request) -> Response:
            try:
                return await handler.handle(request)
            except Exception as exc:
                # Nothing was stored (an installation is stored last); the traceback goes to
                # the log under a reference, the person is asked to start again.
                reference = new_reference()
                log.error("an installation failed, reference %s", reference, exc_info=exc)
                return PlainTextResponse(
                    f"Something went wrong on our side (reference {reference}); nothing was "
                    "installed. Please start again from the install link.",
                    status_code=500,
                )

        routes += [
            Route(INSTALL_PATH, installing, methods=["GET"]),
            Route(REDIRECT_PATH, installing, methods=["GET"]),
        ]
    if not slack_requests:
        return Starlette(routes=routes)
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise ValueError("SLACK_SIGNING_SECRET is needed to serve Slack's requests")
    signing_secret = secret.get_secret_value()

    async def answer(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return PlainTextResponse("request too large", status_code=413)
        try:
            body = await request.body()
        except ClientDisconnect:
            log.info("a Slack request was cut off before its body arrived")
            return PlainTextResponse("incomplete request", status_code=400)
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("request too large", status_code=413)
        refused = refusal(body, request.headers, signing_secret)
        if refused is not None:
            if refused.status == 400:
                log.warning("refused a malformed Slack request: %s", refused.reason)
            return PlainTextResponse(refused.text, status_code=refused.status)
        try:
            return await handler.handle(request)
        except (AttributeError, LookupError, TypeError, ValueError) as exc:
            # Bolt read something of the payload the gate (billpay.slack.gate) did not check:
            # still a malformed request, not a fault of ours; the gate should learn it.
            log.warning("refused a malformed Slack request Bolt failed on: %r", exc)
            return PlainTextResponse("malformed request", status_code=400)

    async def slack_events(request: Request) -> Response:
        try:
            return await answer(request)
        except Exception as exc:
            # The last resort: the traceback goes to the log under a reference, never into
            # the answer (uvicorn's own 500 would log it without one).
            reference = new_reference()
            log.error("a Slack request failed, reference %s", reference, exc_info=exc)
            return PlainTextResponse(
                f"Something went wrong on our side (reference {reference}).", status_code=500
            )

    routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    return Starlette(routes=routes)
