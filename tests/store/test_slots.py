"""Ten payables requests in flight per company across replicas: two bots on one database (each
its own engine, budget and process name, as two replicas are) send many requests at once to the
sandbox, which allows 10 at once per company and answers the 11th with a 429; it never sees
more than 10, and refuses none. A replica that dies holding places loses them a lease later.
On PostgreSQL with `BILLPAY_TEST_DATABASE_URL`, as replicas run; on SQLite the same statements
(there the bot, one process, counts its requests in memory alone: `build_services`). The slow
test runs the replicas as processes of their own (`testkit.payables_load`) and kills one."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from billpay.core.clock import utcnow
from billpay.payables.budget import CONCURRENT_PER_COMPANY, CallBudget, Priority
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.store.db import Database
from billpay.store.models import PayablesSlot
from billpay.store.slots import CallSlots, Place
from payables_sandbox.app import Sandbox
from payables_sandbox.faults import FaultConfig
from testkit.bot import serve
from testkit.payables import SANDBOX_KEY, SANDBOX_URL, CountingTransport, on_postgres
from testkit.payables_load import STARTED
from testkit.world import NOW

LEASE = timedelta(seconds=90)
PRIORITIES = [Priority.PAYMENT, Priority.DISPLAY, Priority.SYNC]


class Replica:
    """One bot's payables client, budget and database engine."""

    def __init__(
        self,
        sandbox: Sandbox,
        database_url: str,
        name: str,
        *,
        shared: bool = True,
        clock: Callable[[], datetime] = lambda: NOW,
    ) -> None:
        self.db = Database(database_url)
        self.slots = CallSlots(
            self.db, name, capacity=CONCURRENT_PER_COMPANY, lease=LEASE, clock=clock
        )
        self.budget = CallBudget(
            reserve=0, clock=lambda: NOW, shared=self.slots if shared else None
        )
        self.transport = CountingTransport(
            httpx.ASGITransport(app=sandbox.app, raise_app_exceptions=False)
        )
        self.client = PayablesClient(
            base_url=SANDBOX_URL,
            api_key=SANDBOX_KEY,
            transport=self.transport,
            retry=RetryPolicy(deadline=60, max_attempts=1),  # a 429 is not retried: it shows
            budget=self.budget,
        )

    async def get(self, sandbox: Sandbox, priority: Priority) -> None:
        await self.client.with_priority(priority).request(
            "GET", f"/companies/{sandbox.demo.company_id}/connections"
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.db.dispose()


@pytest.fixture
async def replicas(
    sandbox: Sandbox, bot_db: Database, bot_database_url: str
) -> AsyncIterator[Callable[..., Replica]]:
    async with AsyncExitStack() as stack:

        def start(name: str, **kwargs: object) -> Replica:
            replica = Replica(sandbox, bot_database_url, name, **kwargs)  # type: ignore[arg-type]
            stack.push_async_callback(replica.aclose)
            return replica

        yield start


@pytest.mark.sandbox(faults=FaultConfig(latency_ms=60))
@pytest.mark.parametrize("shared", [True, False], ids=["shared places", "per process"])
async def test_two_replicas_never_have_more_than_ten_requests_of_a_company_in_flight(
    sandbox: Sandbox, replicas: Callable[..., Replica], shared: bool
) -> None:
    first, second = replicas("host-a:1:aaa", shared=shared), replicas("host-b:2:bbb", shared=shared)
    calls = [
        replica.get(sandbox, PRIORITIES[i % 3]) for i in range(18) for replica in (first, second)
    ]
    failed = [r for r in await asyncio.gather(*calls, return_exceptions=True) if r is not None]

    company = sandbox.demo.company_id
    if not shared:  # what each process counting alone does: Codat refuses the excess
        assert sandbox.quota.most_at_once[company] > CONCURRENT_PER_COMPANY
        assert sandbox.quota.refused_at_once[company] > 0
        assert failed
        return
    assert sandbox.quota.most_at_once[company] <= CONCURRENT_PER_COMPANY
    assert sandbox.quota.refused_at_once[company] == 0
    assert failed == []
    assert first.transport.count("GET") + second.transport.count("GET") == 36
    assert await first.slots.in_flight(company) == 0  # every place given back


async def test_places_of_a_replica_that_died_come_back_after_their_lease(
    sandbox: Sandbox, replicas: Callable[..., Replica]
) -> None:
    company = sandbox.demo.company_id
    dead = replicas("host-a:1:dead")
    taken = [await dead.slots.take(company, CONCURRENT_PER_COMPANY) for _ in range(10)]
    assert all(isinstance(place, Place) for place in taken)
    assert await dead.slots.take(company, CONCURRENT_PER_COMPANY) is None
    # ...and the replica is killed: it never gives them back.

    now = [NOW + timedelta(seconds=1)]
    survivor = replicas("host-b:2:live", clock=lambda: now[0])
    payment = asyncio.create_task(survivor.get(sandbox, Priority.PAYMENT))
    await asyncio.sleep(0.3)
    assert not payment.done()  # the dead replica's places may still be a live one's
    assert survivor.transport.count("GET") == 0

    now[0] = NOW + LEASE
    await asyncio.wait_for(payment, 5)
    assert survivor.transport.count("GET") == 1
    assert await survivor.slots.in_flight(company) == 0  # given back; the dead ones passed
    assert sandbox.quota.refused_at_once[company] == 0

    # A place given back after its lease passed and another request took it frees nothing.
    late = taken[0]
    assert late is not None
    again = await survivor.slots.take(company, CONCURRENT_PER_COMPANY)
    assert again is not None and again.slot == late.slot
    await dead.slots.give_back(late)
    assert await survivor.slots.take(company, 1) is None


async def _start(
    bot_database_url: str,
    url: str,
    sandbox: Sandbox,
    holder: str,
    calls: int,
    lease: float,
    *extra: str,
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "testkit.payables_load",
        "--database-url",
        bot_database_url,
        "--payables-url",
        url,
        "--api-key",
        SANDBOX_KEY,
        "--company",
        sandbox.demo.company_id,
        "--holder",
        holder,
        "--calls",
        str(calls),
        "--lease",
        str(lease),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    assert (await process.stdout.readline()).decode().strip() == STARTED
    return process


async def _finished(process: asyncio.subprocess.Process) -> str:
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


@pytest.mark.slow  # processes of their own
@pytest.mark.skipif(
    not on_postgres(),
    reason="several replicas need PostgreSQL (processes of their own sharing one database)",
)
async def test_replicas_in_processes_share_ten_places_and_a_killed_one_loses_its_own(
    sandbox: Sandbox, bot_db: Database, bot_database_url: str
) -> None:
    company = sandbox.demo.company_id
    sandbox.faults.config.latency_ms = 100
    async with serve(sandbox.app) as url:
        first, second = [
            await _start(bot_database_url, url, sandbox, f"host:{n}:load", 30, 90) for n in (1, 2)
        ]
        await _finished(first)
        await _finished(second)
        assert sandbox.quota.most_at_once[company] <= CONCURRENT_PER_COMPANY
        assert sandbox.quota.refused_at_once[company] == 0

        # A replica takes every place, its answers on their way (3 s), and is killed
        # (SIGKILL); the API finishes its requests before their places' lease (5 s) passes.
        sandbox.faults.config.latency_ms = 3_000
        lease = 5.0
        dying = await _start(
            bot_database_url, url, sandbox, "host:3:dying", 10, lease, "--payments"
        )
        slots = CallSlots(bot_db, "host:4:watch", capacity=CONCURRENT_PER_COMPANY)
        for _ in range(100):
            if await slots.in_flight(company) == CONCURRENT_PER_COMPANY:
                break
            await asyncio.sleep(0.02)
        assert await slots.in_flight(company) == CONCURRENT_PER_COMPANY
        dying.kill()
        await dying.wait()
        async with bot_db.read() as s:
            leases = list(await s.scalars(select(PayablesSlot.lease_until)))
        freed_at = min(lease for lease in leases if lease is not None)

        sandbox.faults.config.latency_ms = 0
        started = utcnow()
        assert started < freed_at  # the survivor asks while the dead replica's places hold
        survivor = await _start(bot_database_url, url, sandbox, "host:5:live", 3, lease)
        await _finished(survivor)
        assert utcnow() >= freed_at  # its requests waited for the lease
        assert sandbox.quota.refused_at_once[company] == 0
