"""Codat's own rate limits (docs/using-the-api/rate-limits.md): a daily quota per client and a
cap on concurrent requests per company.

- The quota is `SandboxConfig.daily_quota` x (1 + active connected companies) calls a day,
  1,000 x (1 + ACCs) as Codat has it, an ACC being a company with a `Linked` connection. It
  resets at 00:00 UTC by the sandbox's clock. Every answer says where the client stands
  (`X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset`); once it is used up
  each call is a 429 `ErrorMessage` with `Retry-After` (seconds until the reset) and is not
  counted.
- At most `SandboxConfig.concurrent_per_company` requests on one company are in progress at
  once; one more is a 429 with `Retry-After: 1`. `Quota.most_at_once` is the most requests a
  company had at once (one refused included), `Quota.refused_at_once` how many were refused.

`client.rateLimit.reached` is announced when the first call is refused for the quota, and
`client.rateLimit.reset` when a day starts after one that reached it (noticed at the first
request of the new day, or by `Sandbox.check_quota`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

COMPANY_PATH = re.compile(r"^/companies/([^/]+)")


@dataclass(frozen=True)
class QuotaState:
    limit: int
    remaining: int
    reset: datetime


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int


def next_reset(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(), UTC)


class Quota:
    """The client's calls today and the requests in progress per company."""

    def __init__(self) -> None:
        self.used = 0
        self.period_end: datetime | None = None
        self.reached = False
        self._in_progress: Counter[str] = Counter()
        # The most requests on each company at once, counting one refused for being over the
        # cap, and how many were refused so: what a test of the client's limit reads.
        self.most_at_once: Counter[str] = Counter()
        self.refused_at_once: Counter[str] = Counter()

    def roll(self, now: datetime) -> bool:
        """Start a new day if `now` is past the reset; True when the day that ended had
        reached the quota (so its reset is announced)."""
        if self.period_end is None:
            self.period_end = next_reset(now)
            return False
        if now < self.period_end:
            return False
        was_reached = self.reached
        self.used, self.reached, self.period_end = 0, False, next_reset(now)
        return was_reached

    def take(self, limit: int, now: datetime) -> tuple[QuotaState, bool]:
        """Count one call if the quota allows it. The state after it, and whether it was
        allowed."""
        assert self.period_end is not None
        allowed = self.used < limit
        if allowed:
            self.used += 1
        state = QuotaState(limit, max(0, limit - self.used), self.period_end)
        return state, allowed

    def enter(self, company: str | None, cap: int | None) -> bool:
        """Start a request on `company`; False (nothing started) when `cap` are in progress."""
        if company is None or cap is None:
            return True
        at_once = self._in_progress[company] + 1
        self.most_at_once[company] = max(self.most_at_once[company], at_once)
        if at_once > cap:
            self.refused_at_once[company] += 1
            return False
        self._in_progress[company] += 1
        return True

    def leave(self, company: str | None, cap: int | None) -> None:
        if company is None or cap is None:
            return
        self._in_progress[company] -= 1
        if self._in_progress[company] <= 0:
            del self._in_progress[company]


def company_of(path: str) -> str | None:
    match = COMPANY_PATH.match(path)
    return match.group(1) if match else None


def quota_refusal(state: QuotaState, now: datetime) -> Refusal:
    seconds = max(1, int((state.reset - now).total_seconds() + 0.999))
    return Refusal(
        f"The daily quota of {state.limit} requests is used up; it resets at "
        f"{state.reset.strftime('%Y-%m-%dT%H:%M:%SZ')}.",
        seconds,
    )


def concurrency_refusal(cap: int) -> Refusal:
    return Refusal(
        f"Too many concurrent requests for this company: at most {cap} at once; "
        "please retry later.",
        1,
    )
