"""The time the bot's services read, from one place. The services of one process share one
`Clock`, so everything a transaction records agrees on "now"; tests move it in one step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self._now = now

    def __call__(self) -> datetime:
        return self._now()

    def set(self, now: Callable[[], datetime]) -> None:
        """Read the time from `now` from here on."""
        self._now = now
