"""What answers before the API does: injected gateway faults and Codat's rate-limit headers.

`GatewayFaultMiddleware` answers with an injected gateway fault (a 429 from the rate limiter, a
5xx from `fail_next` or `error_rate`) before a request reaches the API, so that such answers are
never stored against an `Idempotency-Key`, and adds `X-Rate-Limit-*` to every answer while a
limit is set (docs/using-the-api/rate-limits.md). It also records the address the request came
to, the base of the `linkUrl`s the answer holds, and makes the sandbox's clock the one the
request is handled by (`payables_sandbox.clock`).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payables_sandbox import clock, views
from payables_sandbox.api.deps import Running
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes import link
from payables_sandbox.errors import error_body


class GatewayFaultMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Running) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with clock.in_effect(self.sandbox.clock):
            await self._handle(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        views.link_base.set(self.sandbox.config.public_url or str(Request(scope).base_url))
        path = scope["path"]
        if path == "/healthz" or path.startswith(link.PREFIX):
            await self.app(scope, receive, send)
            return
        faults = self.sandbox.faults
        await faults.delay()
        fault, limit = faults.next_fault()
        headers: dict[str, str] = {}
        if limit is not None:
            headers = {
                "X-Rate-Limit-Limit": str(limit.limit),
                "X-Rate-Limit-Remaining": str(max(0, limit.remaining)),
                "X-Rate-Limit-Reset": limit.reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        if fault is not None:
            if fault.retry_after is not None:
                headers["Retry-After"] = faults.retry_after_header(fault.retry_after)
            await _fault_response(fault.status_code, headers)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                extra = MutableHeaders(scope=message)
                for name, value in headers.items():
                    extra[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _fault_response(status_code: int, headers: dict[str, str]) -> ASGIApp:
    if status_code == 429:
        message = "You have made too many requests in a given amount of time; please retry later."
    else:
        message = "The service is temporarily unavailable; please retry later."
    return ApiResponse(
        error_body(status_code, message, can_be_retried="True"),
        status_code=status_code,
        headers=headers or None,
    )
