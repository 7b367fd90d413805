"""Fault injection for the sandbox: rate limits, gateway errors, latency, errors of one
operation, payments that fail before or after they are written, are accepted as pending or
stay in progress, and uploads that fail.

Three kinds of fault, told apart by where they strike:

- Gateway faults (`FaultConfig.rate_limit_requests`, `error_rate`, `Faults.fail_next`) are
  answered before a request reaches the API, as a rate-limiting or failing gateway would. They are
  never stored against an `Idempotency-Key`: the key stays free and a retry is a fresh attempt.
  While the rate limiter is on, every answer carries `X-Rate-Limit-Limit`,
  `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`; a 429 carries `Retry-After` in seconds, or
  as an HTTP date with `retry_after_format="http-date"`.
- Operation faults (`FaultConfig.operation_faults`, `Faults.fail_operation`) answer one
  operation, named by the spec's operationId (`list-bills`, `create-bill-payment`...), with one
  of the statuses the spec documents for it and Codat's `ErrorMessage` body: 402 (an account
  limit), 403 (a key not allowed the resource), 409 on `list-bills`, `list-suppliers` and
  `list-bill-attachments` (the data set is still syncing). They happen inside the API, so a
  keyed write stores them like any other answer.
- Payment faults strike the next create-bill-payment (on one bill, or on any):
  `fail_next_payment` answers a 5xx, either before anything is written (`after_write=False`:
  nothing changes) or after the payment is committed (`after_write=True`: the bill is paid, the
  caller is told 500); `accept_next_payment` writes the payment and answers 202 Accepted
  (pending), an `ErrorMessage`-shaped body that claims no success; `hold_next_payment` writes
  it and holds the answer back until released, so the request stays in progress (a repeat
  with its `Idempotency-Key` meanwhile is a 409). Every answer is stored against the request's
  key, as Codat stores every answer but a 429: a retry with the same key replays it until
  `SandboxConfig.idempotency_window` has passed, after which the key is free and a retry writes
  again. `fail_next_upload` and `hold_next_upload` do the same to upload-bill-attachment.

    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)   # landed, then 500
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=False)  # 500, nothing written
    sandbox.faults.accept_next_payment(bill_id=bill.id)                   # landed, 202 pending
    release = sandbox.faults.hold_next_payment(bill_id=bill.id)           # landed, no answer...
    await release.reached(); ...; release()                               # ...until released
    sandbox.faults.fail_next_upload(bill_id=bill.id, after_write=True)    # attached, then 500
    release = sandbox.faults.hold_next_upload(bill_id=bill.id)            # attached, no answer
    sandbox.faults.fail_operation("list-bills", 409)                      # still syncing
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Literal

from pydantic import BaseModel, Field

# The statuses each operation documents, besides those every operation has (402, 403).
SYNCING_OPERATIONS = frozenset({"list-bills", "list-suppliers", "list-bill-attachments"})
OPERATION_STATUSES = frozenset({402, 403, 409})


class FaultConfig(BaseModel):
    rate_limit_requests: int | None = Field(
        default=None, ge=1, description="Requests allowed per window before answering 429."
    )
    rate_limit_window_seconds: float = Field(default=1.0, gt=0)
    retry_after_seconds: int | None = Field(
        default=None, ge=0, description="Retry-After sent with a 429; default: rest of the window."
    )
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=500, le=599)
    latency_ms: int = Field(default=0, ge=0)
    random_seed: int = 0
    operation_faults: dict[str, int] = Field(
        default_factory=dict,
        description="operationId -> status answered on every call (402, 403, or 409 while a "
        "data set syncs).",
    )

    def model_post_init(self, _context: object) -> None:
        for operation, status in self.operation_faults.items():
            check_operation_fault(operation, status)


def check_operation_fault(operation: str, status_code: int) -> None:
    if status_code not in OPERATION_STATUSES:
        raise ValueError(f"operation faults are 402, 403 or 409, not {status_code}")
    if status_code == 409 and operation not in SYNCING_OPERATIONS:
        raise ValueError(
            f"the spec documents a syncing 409 only for {sorted(SYNCING_OPERATIONS)}, "
            f"not {operation}"
        )


@dataclass(frozen=True)
class Fault:
    status_code: int
    retry_after: int | None = None


class WriteHold:
    """A write (a payment, an upload) kept in progress: done, its answer held back until
    `release()` (or a call of the hold itself). `await reached()` waits until one is held."""

    def __init__(self) -> None:
        self._reached = asyncio.Event()
        self._released = asyncio.Event()

    def __call__(self) -> None:
        self.release()

    def release(self) -> None:
        self._released.set()

    async def reached(self) -> None:
        await self._reached.wait()

    @property
    def holding(self) -> bool:
        return self._reached.is_set() and not self._released.is_set()

    async def hold(self) -> None:
        """Keep the request waiting here until released (called by the route)."""
        self._reached.set()
        await self._released.wait()


WriteFaultKind = Literal["fail", "accept", "hold"]


@dataclass(frozen=True)
class WriteFault:
    """What happens to the next write on a bill (`bill_id`, or any): `fail` answers
    `status_code` (a 5xx) before or after the write; `accept` writes and answers 202;
    `hold` writes and keeps the answer until `hold` is released."""

    bill_id: str | None
    after_write: bool
    status_code: int
    kind: WriteFaultKind = "fail"
    hold: WriteHold | None = None


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: datetime


class Faults:
    """Decides, request by request, whether to answer with a fault instead of the API."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.random_seed)
        self._queued: deque[Fault] = deque()
        self._operations: dict[str, deque[int]] = {}
        self._payments: list[WriteFault] = []
        self._uploads: list[WriteFault] = []
        self._window_start = time.monotonic()
        self._window_count = 0

    def fail_next(
        self, count: int = 1, *, status_code: int = 503, retry_after: int | None = None
    ) -> None:
        """Answer the next `count` requests with `status_code` (and `Retry-After`, if given)."""
        for _ in range(count):
            self._queued.append(Fault(status_code, retry_after))

    def fail_operation(self, operation: str, status_code: int, count: int = 1) -> None:
        """Answer the next `count` calls of `operation` (a spec operationId) with 402, 403 or
        (for the three list operations that document it) a syncing 409."""
        check_operation_fault(operation, status_code)
        self._operations.setdefault(operation, deque()).extend([status_code] * count)

    def fail_next_payment(
        self, *, bill_id: str | None = None, after_write: bool, status_code: int = 500
    ) -> None:
        """Fail the next payment POST (on `bill_id`, or on any bill) with `status_code`, before
        anything is written or after the payment is committed."""
        if not 500 <= status_code <= 599:
            raise ValueError("a payment fault is a 5xx")
        self._payments.append(WriteFault(bill_id, after_write, status_code))

    def accept_next_payment(self, *, bill_id: str | None = None) -> None:
        """Write the next payment (on `bill_id`, or on any bill) and answer 202 Accepted
        (pending), with an `ErrorMessage`-shaped body that does not claim success."""
        self._payments.append(WriteFault(bill_id, True, 202, kind="accept"))

    def hold_next_payment(self, *, bill_id: str | None = None) -> WriteHold:
        """Write the next payment (on `bill_id`, or on any bill) and keep its request in
        progress until the returned hold is released (called)."""
        hold = WriteHold()
        self._payments.append(WriteFault(bill_id, True, 201, kind="hold", hold=hold))
        return hold

    def hold_next_upload(self, *, bill_id: str | None = None) -> WriteHold:
        """Attach the next upload (to `bill_id`, or to any bill) and keep its request in
        progress until the returned hold is released (called)."""
        hold = WriteHold()
        self._uploads.append(WriteFault(bill_id, True, 201, kind="hold", hold=hold))
        return hold

    def fail_next_upload(
        self, *, bill_id: str | None = None, after_write: bool, status_code: int = 500
    ) -> None:
        """Fail the next attachment upload (to `bill_id`, or to any bill) with `status_code`,
        before anything is stored or after the file is attached."""
        if not 500 <= status_code <= 599:
            raise ValueError("an upload fault is a 5xx")
        self._uploads.append(WriteFault(bill_id, after_write, status_code))

    def operation_fault(self, operation: str) -> int | None:
        queued = self._operations.get(operation)
        if queued:
            return queued.popleft()
        return self.config.operation_faults.get(operation)

    def payment_fault(self, bill_id: str) -> WriteFault | None:
        return _take(self._payments, bill_id)

    def upload_fault(self, bill_id: str) -> WriteFault | None:
        return _take(self._uploads, bill_id)

    async def delay(self) -> None:
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)

    def next_fault(self) -> tuple[Fault | None, RateLimitState | None]:
        """The fault for this request, if any, and the rate limit's state after counting it."""
        state = self._count_request()
        if self._queued:
            return self._queued.popleft(), state
        if state is not None and state.remaining < 0:
            retry_after = self.config.retry_after_seconds
            if retry_after is None:
                retry_after = max(1, math.ceil((state.reset - _now()).total_seconds()))
            return Fault(429, retry_after), state
        if self.config.error_rate and self._random.random() < self.config.error_rate:
            return Fault(self.config.error_status), state
        return None, state

    def retry_after_header(self, seconds: int) -> str:
        if self.config.retry_after_format == "http-date":
            # An HTTP date has whole seconds: round up, so the wait is never shorter than asked.
            moment = _now().replace(microsecond=0) + timedelta(seconds=seconds + 1)
            return format_datetime(moment, usegmt=True)
        return str(seconds)

    def _count_request(self) -> RateLimitState | None:
        limit = self.config.rate_limit_requests
        if limit is None:
            return None
        now = time.monotonic()
        window = self.config.rate_limit_window_seconds
        if now - self._window_start >= window:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        reset = _now() + timedelta(seconds=window - (now - self._window_start))
        return RateLimitState(limit, limit - self._window_count, reset)


def _take(queued: list[WriteFault], bill_id: str) -> WriteFault | None:
    """The first fault queued for `bill_id` (or for any bill), taken off the queue."""
    for fault in queued:
        if fault.bill_id in (None, bill_id):
            queued.remove(fault)
            return fault
    return None


def _now() -> datetime:
    return datetime.now(UTC)
