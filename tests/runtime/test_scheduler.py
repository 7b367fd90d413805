"""The scheduler stops without cutting off its work: APScheduler cancels the jobs still running
when it shuts down, but a job's work (a payment being sent) runs on, and shutdown waits for it."""

from __future__ import annotations

import asyncio

from billpay.payables.client import PayablesClient
from billpay.runtime.scheduler import Scheduler
from billpay.services import build_services
from billpay.store.db import Database
from testkit.bot import BOT_TOKEN, SIGNING_SECRET
from testkit.world import bot_settings


async def test_shutdown_waits_for_running_work_even_when_its_job_is_cancelled(
    bot_db: Database, payables: PayablesClient
) -> None:
    settings = bot_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    scheduler = Scheduler(build_services(settings, db=bot_db, payables=payables))
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def sending_a_payment() -> None:
        started.set()
        await release.wait()
        finished.append("sent and recorded")

    job = asyncio.ensure_future(scheduler._job(sending_a_payment)())
    await started.wait()
    job.cancel()  # as APScheduler's executor does to running jobs at shutdown
    stopping = asyncio.ensure_future(scheduler.shutdown())
    await asyncio.sleep(0)
    assert not stopping.done()  # shutdown waits for the work
    release.set()
    await stopping
    assert finished == ["sent and recorded"]


async def test_shutdown_cuts_off_reads_such_as_a_whole_read_of_the_mirror(
    bot_db: Database, payables: PayablesClient
) -> None:
    """A whole read of a big company takes minutes; stopping does not wait for it (another
    replica, or the next start, reads again), while a payment is still waited for."""
    settings = bot_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    scheduler = Scheduler(build_services(settings, db=bot_db, payables=payables))
    reading, paying = asyncio.Event(), asyncio.Event()
    cut_off: list[str] = []

    async def a_long_read() -> None:
        reading.set()
        try:
            await asyncio.Event().wait()  # never ends on its own
        except asyncio.CancelledError:
            cut_off.append("read")
            raise

    async def a_payment() -> None:
        paying.set()
        await asyncio.sleep(0.05)
        cut_off.append("payment finished")

    read = asyncio.ensure_future(scheduler._job(a_long_read, reads_only=True)())
    pay = asyncio.ensure_future(scheduler._job(a_payment)())
    await reading.wait()
    await paying.wait()
    async with asyncio.timeout(5):
        await scheduler.shutdown()
    assert cut_off == ["read", "payment finished"]
    assert read.done() and pay.done()
