"""The time the bot's services read, from one place. The services of one process share one
`Clock`, so everything a transaction records agrees on "now"; tests move it in one step.

A wait measured in the clock's time (`Clock.sleep`: how long a person has waited for an
answer, say) passes as the wall's time does; on a clock a test set, it passes only when the
test moves the clock on, so the test decides when "a second later" is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self._now = now
        self._sleepers: set[asyncio.Event] = set()

    def __call__(self) -> datetime:
        return self._now()

    def set(self, now: Callable[[], datetime]) -> None:
        """Read the time from `now` from here on."""
        self._now = now
        for sleeper in self._sleepers:
            sleeper.set()

    async def sleep(self, seconds: float) -> None:
        """Wait until this clock reads `seconds` later than now: on the wall clock, that long;
        on a clock a test set, until the test sets it that far on."""
        if self._now is utcnow:
            await asyncio.sleep(seconds)
            return
        until = self() + timedelta(seconds=seconds)
        while self() < until:
            moved = asyncio.Event()
            self._sleepers.add(moved)
            try:
                await moved.wait()
            finally:
                self._sleepers.discard(moved)
