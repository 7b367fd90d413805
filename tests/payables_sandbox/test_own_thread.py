"""The sandbox on a thread and event loop of its own, as the bot runs it in-process: requests
are served there, the caller's loop keeps going while the sandbox is busy, and the methods
tests call (from their own loop) run on the sandbox's, where its database engine lives."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from payables_sandbox.app import Sandbox
from payables_sandbox.threaded import ThreadedTransport
from testkit.payables import bill_json
from tests.payables_sandbox.conftest import AUTH


async def test_requests_are_served_on_the_sandboxs_thread_without_holding_up_the_caller(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox()
    await sandbox.start_on_own_thread()
    own = sandbox.own_loop
    assert own is not None
    threads: list[str] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        threads.append(threading.current_thread().name)
        await sandbox.app(scope, receive, send)

    transport = ThreadedTransport(recording, own)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=AUTH
    ) as http:
        # The sandbox's loop is stuck in blocking work; the caller's goes on meanwhile.
        own.loop.call_soon_threadsafe(time.sleep, 0.3)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        answer = await http.get("/companies")
        ticker.cancel()
    assert answer.status_code == 200
    assert threads == ["payables-sandbox"]
    assert ticks > 0


async def test_the_sandboxs_methods_run_on_its_loop_whichever_loop_awaits_them(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(payments_need_approval=True, payment_read_lag=timedelta(0))
    await sandbox.start_on_own_thread()
    demo = sandbox.demo
    assert demo is not None
    path = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as http:
        bill = await bill_json(http, path, "KC-40019")
        paid = await http.post(
            f"{path}/bills/{bill['id']}/payment",
            json={
                "amount": "5.00",
                "date": "2026-11-22",
                "accountRef": {"id": demo.bank_accounts["GBP"]},
            },
        )
        assert paid.status_code == 201, paid.text
        assert (await bill_json(http, path, "KC-40019"))["amountDue"] == bill["amountDue"]
        assert await sandbox.approve_payments(bill["id"]) == 1
        assert [p["amount"] for p in await sandbox.payments(bill["id"])] == [5]
        shown = await bill_json(http, path, "KC-40019")
    assert shown["status"] == "PartiallyPaid"
    await sandbox.deauthorize(demo.company_id, demo.connection_id)
    await sandbox.stop()
    assert sandbox.own_loop is None
