"""What answers before the API does: Codat's quota and concurrency limits
(`payables_sandbox.quota`), injected gateway faults and Codat's rate-limit headers; and what is
announced after it answered (the events a request noted, its write's outcome).

`GatewayFaultMiddleware` answers with an injected gateway fault (a 429 from the rate limiter, a
5xx from `fail_next` or `error_rate`) before a request reaches the API, so that such answers are
never stored against an `Idempotency-Key`, and adds `X-Rate-Limit-*` to every answer while a
limit is set (docs/using-the-api/rate-limits.md). It also records the address the request came
to, the base of the `linkUrl`s the answer holds, and makes the sandbox's clock the one the
request is handled by (`payables_sandbox.clock`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payables_sandbox import clock, events, views
from payables_sandbox.api.deps import Running
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes import link
from payables_sandbox.errors import error_body
from payables_sandbox.quota import (
    QuotaState,
    Refusal,
    company_of,
    concurrency_refusal,
    quota_refusal,
)

WRITES = re.compile(
    r"^/companies/(?P<company>[^/]+)/connections/(?P<connection>[^/]+)/payables/"
    r"(?P<rest>bills|bills/[^/]+|bills/[^/]+/payment|suppliers|suppliers/[^/]+|bankAccounts)$"
)


def write_target(method: str, path: str) -> tuple[str, str, str, str] | None:
    """The data type and kind of write (`Create`, `Update`) a request is, with its company and
    connection; None for anything else."""
    match = WRITES.match(path)
    if match is None:
        return None
    parts = match["rest"].split("/")
    if method == "POST" and len(parts) == 1:
        data_type, kind = parts[0], "Create"
    elif method == "PUT" and len(parts) == 2 and parts[0] in ("bills", "suppliers"):
        data_type, kind = parts[0], "Update"
    elif method == "POST" and len(parts) == 3:
        data_type, kind = "billPayments", "Create"
    else:
        return None
    return data_type, kind, match["company"], match["connection"]


class GatewayFaultMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Running) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with clock.in_effect(self.sandbox.clock), events.collecting() as notes:
            status = await self._handle(scope, receive, send)
            if status is not None and status < 400 and notes:
                await self.sandbox.announcer.notes(notes)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> int | None:
        views.link_base.set(self.sandbox.config.public_url or str(Request(scope).base_url))
        path = scope["path"]
        answered: dict[str, int] = {}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
            await send(message)

        if path == "/healthz" or path.startswith(link.PREFIX):
            await self.app(scope, receive, record)
            return answered.get("status")
        config = self.sandbox.config
        headers, refusal = await self._quota(path)
        company = company_of(path)
        cap = config.concurrent_per_company
        if refusal is None and not self.sandbox.quota.enter(company, cap):
            assert cap is not None
            refusal = concurrency_refusal(cap)
            company = None  # nothing entered, nothing to leave
        if refusal is not None:
            headers["Retry-After"] = str(refusal.retry_after)
            body = error_body(429, refusal.message, can_be_retried="True")
            await ApiResponse(body, status_code=429, headers=headers)(scope, receive, send)
            return 429
        try:
            # Injected latency is time the request is in progress (and holds its place).
            await self.sandbox.faults.delay()
            return await self._serve(scope, receive, record, headers, answered)
        finally:
            self.sandbox.quota.leave(company, cap)

    async def _quota(self, path: str) -> tuple[dict[str, str], Refusal | None]:
        """Count the call against the daily quota: the headers that say where the client stands,
        and the refusal when the quota is used up."""
        per_unit = self.sandbox.config.daily_quota
        if per_unit is None:
            return {}, None
        now = clock.now()
        quota = self.sandbox.quota
        limit = per_unit * (1 + await self.sandbox.active_companies())
        if quota.roll(now):
            self.sandbox.announcer.quota_reset(QuotaState(limit, limit, quota.period_end or now))
        state, allowed = quota.take(limit, now)
        headers = {
            "X-Rate-Limit-Limit": str(state.limit),
            "X-Rate-Limit-Remaining": str(state.remaining),
            "X-Rate-Limit-Reset": state.reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if allowed:
            return headers, None
        if not quota.reached:
            quota.reached = True
            self.sandbox.announcer.quota_reached(state)
        return headers, quota_refusal(state, now)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        record: Send,
        headers: dict[str, str],
        answered: dict[str, int],
    ) -> int | None:
        faults = self.sandbox.faults
        fault, limit = faults.next_fault()
        if limit is not None:
            headers = {
                **headers,
                "X-Rate-Limit-Limit": str(limit.limit),
                "X-Rate-Limit-Remaining": str(max(0, limit.remaining)),
                "X-Rate-Limit-Reset": limit.reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        if fault is not None:
            if fault.retry_after is not None:
                headers["Retry-After"] = faults.retry_after_header(fault.retry_after)
            await _fault_response(fault.status_code, headers)(scope, receive, record)
            return fault.status_code
        requested = clock.now()
        chunks: list[bytes] = []
        replayed: dict[str, bool] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = MutableHeaders(scope=message)
                for name, value in headers.items():
                    extra[name] = value
                replayed["yes"] = extra.get("Idempotent-Replayed") == "true"
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await record(message)

        await self.app(scope, receive, send_with_headers)
        status = answered.get("status")
        target = write_target(scope["method"], scope["path"])
        if target is not None and status is not None and not replayed.get("yes"):
            await self._announce_write(target, status, b"".join(chunks), requested)
        return status

    async def _announce_write(
        self, target: tuple[str, str, str, str], status: int, body: bytes, requested: datetime
    ) -> None:
        if status not in (200, 201, 400):
            return
        data_type, kind, company_id, connection_id = target
        record_id: str | None = None
        if status < 300:
            try:
                record_id = str(json.loads(body)["id"])
            except (ValueError, KeyError, TypeError):
                return
        await self.sandbox.announcer.write(
            data_type, kind, company_id, connection_id, requested=requested, record_id=record_id
        )


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
