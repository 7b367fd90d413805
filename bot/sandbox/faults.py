"""Fault injection for the sandbox: rate limits, server errors and latency, for testing clients.

Faults come from configuration (a steady rate limit, a random error rate, added latency) or are
queued by a test (`fail_next`), which is deterministic. A fault is answered before the request
reaches the API, exactly as a rate-limited or failing gateway would.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from dataclasses import dataclass

from pydantic import BaseModel, Field


class FaultConfig(BaseModel):
    rate_limit_requests: int | None = Field(
        default=None, ge=1, description="Requests allowed per window before answering 429."
    )
    rate_limit_window_seconds: float = Field(default=1.0, gt=0)
    retry_after_seconds: int | None = Field(
        default=None, ge=0, description="Retry-After sent with a 429; default: rest of the window."
    )
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=500, le=599)
    latency_ms: int = Field(default=0, ge=0)
    random_seed: int = 0


@dataclass(frozen=True)
class Fault:
    status_code: int
    retry_after: int | None = None


class Faults:
    """Decides, request by request, whether to answer with a fault instead of the API."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.random_seed)
        self._queued: deque[Fault] = deque()
        self._window_start = time.monotonic()
        self._window_count = 0

    def fail_next(
        self, count: int = 1, *, status_code: int = 503, retry_after: int | None = None
    ) -> None:
        """Answer the next `count` requests with `status_code` (and `Retry-After`, if given)."""
        for _ in range(count):
            self._queued.append(Fault(status_code, retry_after))

    async def delay(self) -> None:
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)

    def next_fault(self) -> Fault | None:
        if self._queued:
            return self._queued.popleft()
        limit = self.config.rate_limit_requests
        if limit is not None:
            now = time.monotonic()
            window = self.config.rate_limit_window_seconds
            if now - self._window_start >= window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            if self._window_count > limit:
                retry_after = self.config.retry_after_seconds
                if retry_after is None:
                    retry_after = max(1, math.ceil(window - (now - self._window_start)))
                return Fault(429, retry_after)
        if self.config.error_rate and self._random.random() < self.config.error_rate:
            return Fault(self.config.error_status)
        return None
