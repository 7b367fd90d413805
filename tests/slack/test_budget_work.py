"""Work nobody waits for any more (its placeholder could not be shown: a trigger id Slack
refused) finishes on its own instead of being cancelled in the middle of a database read,
which would leave the connection checked out and, on SQLite, every writer locked out."""

from __future__ import annotations

import asyncio

import pytest

from billpay.slack.budget import within_budget


async def test_a_placeholder_that_fails_leaves_the_work_to_finish() -> None:
    release, finished = asyncio.Event(), asyncio.Event()

    async def work() -> str:
        await release.wait()  # as a read the payables API or the database has not answered
        finished.set()
        return "the form"

    async def placeholder() -> None:
        raise RuntimeError("invalid_trigger_id")

    with pytest.raises(RuntimeError, match="invalid_trigger_id"):
        await within_budget(work(), placeholder)

    release.set()
    await asyncio.wait_for(finished.wait(), timeout=5)
    assert finished.is_set()
