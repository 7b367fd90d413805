"""The services' clock: a wait measured on it passes as the wall's time does, and on a clock a
test set it passes only when the test moves the clock far enough, never by itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from billpay.core.clock import Clock

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_a_wait_on_a_set_clock_ends_when_the_test_moves_it_far_enough() -> None:
    clock = Clock(lambda: NOON)
    waiting = asyncio.create_task(clock.sleep(1.0))
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.set(lambda: NOON + timedelta(seconds=0.5))  # not far enough
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.set(lambda: NOON + timedelta(seconds=1))
    await asyncio.wait_for(waiting, timeout=5)


async def test_a_wait_that_is_cancelled_leaves_nothing_behind() -> None:
    clock = Clock(lambda: NOON)
    waiting = asyncio.create_task(clock.sleep(1.0))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    clock.set(lambda: NOON + timedelta(seconds=2))  # wakes nobody, fails nothing


async def test_a_wait_on_the_wall_clock_is_a_plain_sleep() -> None:
    clock = Clock()
    await asyncio.wait_for(clock.sleep(0), timeout=5)
