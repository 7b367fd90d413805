"""The sandbox's clock: the one "now" its write times, `sourceModifiedDate`s, the
`Idempotency-Key` window and the payment read lag are measured by.

A `SandboxClock` follows the wall clock until a test moves it: `advance(timedelta(minutes=10))`
moves it on (and it keeps running), `set(moment)` stops it at `moment` (then `advance` moves the
stopped clock). Each sandbox has its own (`Sandbox.clock`); while it handles a request, that
clock is the one `now()` reads (`in_effect`), so the rows' default timestamps follow it too.
The rate limiter alone keeps to real time: it counts requests per real second.

    sandbox.clock.advance(timedelta(minutes=91))   # past the idempotency window
    sandbox.clock.set(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """The wall clock (UTC), moved on by `advance`, or stopped at a moment by `set`."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._stopped_at: datetime | None = None

    def now(self) -> datetime:
        if self._stopped_at is not None:
            return self._stopped_at
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by `delta` (a stopped clock stays stopped, `delta` later)."""
        if self._stopped_at is not None:
            self._stopped_at += delta
        else:
            self._offset += delta

    def set(self, moment: datetime) -> None:
        """Stop the clock at `moment` (a naive moment is taken as UTC)."""
        self._stopped_at = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def run(self) -> None:
        """Let a stopped clock run again from where it stands."""
        if self._stopped_at is not None:
            self._offset = self._stopped_at - datetime.now(UTC)
            self._stopped_at = None

    @property
    def stopped(self) -> bool:
        return self._stopped_at is not None


WALL_CLOCK = SandboxClock()
_current: ContextVar[SandboxClock] = ContextVar("sandbox_clock", default=WALL_CLOCK)


def now() -> datetime:
    """Now, by the clock of the sandbox handling the current request (else the wall clock)."""
    return _current.get().now()


@contextmanager
def in_effect(clock: SandboxClock) -> Iterator[None]:
    """Make `clock` the one `now()` reads, for the block."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
