"""The call budget, against a payables API served over HTTP by the test (it counts requests in
flight per company and sends Codat's `X-Rate-Limit-*` headers as the test sets them): never
more than 10 requests of a company in flight, those waiting served payments first; under the
reserve, reads for display and sync are refused at once (the API never sees them) while
payments go on; calls are counted in memory and written down by the scheduler's flush, then
shown by `billpay status`; a person reading bills hears it plainly, and each channel is told
once a day."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from rich.console import Console
from sqlalchemy import func, select

from billpay.payables.budget import (
    CONCURRENT_PER_COMPANY,
    CallBudget,
    PayablesBudgetExhausted,
    Priority,
)
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.runtime.calls import flush_calls
from billpay.runtime.status import report
from billpay.services import Services
from billpay.slack.notices.quota import QuotaNotices
from billpay.store.db import Database
from billpay.store.models import PayablesCallCount
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, in_process_bot, replica_of, serve
from testkit.slack import fake_slack_session
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, NOW, bot_settings


@dataclass
class Api:
    """A payables API whose answers take `delay` seconds (or wait for `gate`), counting
    requests in flight per company and noting each request's `tag` as it arrives."""

    delay: float = 0.0
    remaining: int | None = None
    limit: int = 2_000
    reset_at: datetime = datetime(2026, 11, 23, tzinfo=UTC)
    gate: asyncio.Semaphore | None = None  # each answer waits for a token when set
    in_flight: Counter[str] = field(default_factory=Counter)
    most: Counter[str] = field(default_factory=Counter)
    arrived: list[str] = field(default_factory=list)
    hits: int = 0
    arrival: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def arrived_count(self, count: int) -> None:
        """Wait until `count` requests have arrived."""
        async with self.arrival:
            await self.arrival.wait_for(lambda: len(self.arrived) >= count)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/companies/{company_id}/{rest:path}")
        async def company(company_id: str, rest: str, request: Request) -> JSONResponse:
            self.hits += 1
            self.in_flight[company_id] += 1
            self.most[company_id] = max(self.most[company_id], self.in_flight[company_id])
            self.arrived.append(request.query_params.get("tag", ""))
            async with self.arrival:
                self.arrival.notify_all()
            try:
                if self.gate is not None:
                    await self.gate.acquire()
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight[company_id] -= 1
            headers = {}
            if self.remaining is not None:
                headers = {
                    "X-Rate-Limit-Limit": str(self.limit),
                    "X-Rate-Limit-Remaining": str(self.remaining),
                    "X-Rate-Limit-Reset": self.reset_at.isoformat().replace("+00:00", "Z"),
                }
            return JSONResponse({"results": []}, headers=headers)

        return app


@dataclass
class Served:
    api: Api
    client: PayablesClient
    budget: CallBudget

    async def get(self, company: str, priority: Priority, tag: str = "") -> None:
        await self.client.with_priority(priority).request(
            "GET", f"/companies/{company}/connections", params={"tag": tag}
        )


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    api = Api()
    budget = CallBudget(reserve=100, clock=lambda: NOW)
    async with serve(api.app()) as url:
        client = PayablesClient(
            base_url=url, api_key="key", retry=RetryPolicy(deadline=30), budget=budget
        )
        try:
            yield Served(api, client, budget)
        finally:
            await client.aclose()


async def test_never_more_than_ten_requests_of_a_company_in_flight(served: Served) -> None:
    served.api.delay = 0.02
    priorities = [Priority.PAYMENT, Priority.DISPLAY, Priority.SYNC]
    calls = [
        served.get(company, priorities[i % 3]) for i in range(50) for company in ("acme", "globex")
    ]
    await asyncio.gather(*calls)

    assert served.api.hits == 100
    assert served.api.most == {"acme": CONCURRENT_PER_COMPANY, "globex": CONCURRENT_PER_COMPANY}
    assert served.budget.in_flight("acme") == 0
    today = served.budget.today("acme")
    assert (today.payment, today.display, today.sync) == (17, 17, 16)


async def test_requests_waiting_for_a_place_are_served_payments_first(served: Served) -> None:
    """Ten payments in flight; those waiting go payments first. A display takes a place only
    while two are free and a sync while three are, so as answers come back one by one the
    payments come in at once, displays a place later, syncs two places later."""
    served.api.gate = gate = asyncio.Semaphore(0)
    first = [asyncio.create_task(served.get("acme", Priority.PAYMENT, "first")) for _ in range(10)]
    await served.api.arrived_count(10)
    waiting = []
    for tag, priority in [
        ("sync", Priority.SYNC),
        ("display", Priority.DISPLAY),
        ("payment", Priority.PAYMENT),
        ("sync", Priority.SYNC),
        ("payment", Priority.PAYMENT),
        ("display", Priority.DISPLAY),
    ]:
        waiting.append(asyncio.create_task(served.get("acme", priority, tag)))
        for _ in range(100):  # let it reach its place in the queue before the next comes
            if served.budget.waiting("acme") == len(waiting):
                break
            await asyncio.sleep(0)
    # Answers released one at a time (two where one frees too few places): each place freed
    # goes to the first of those waiting that may take it; it is let arrive before the next.
    for arrived, answers in zip(range(11, 17), [1, 1, 2, 1, 2, 1], strict=True):
        for _ in range(answers):
            gate.release()
        await served.api.arrived_count(arrived)
    for _ in range(16):
        gate.release()
    await asyncio.gather(*first, *waiting)

    assert served.api.arrived[10:] == [
        "payment",
        "payment",
        "display",
        "display",
        "sync",
        "sync",
    ]
    assert served.api.most["acme"] == CONCURRENT_PER_COMPANY


async def test_background_reads_leave_places_to_payments_and_displays(served: Served) -> None:
    """Twelve syncs at once take eight places; a person's reads take the ninth, a payment the
    tenth at once, however many syncs wait."""
    served.api.gate = gate = asyncio.Semaphore(0)
    syncs = [asyncio.create_task(served.get("acme", Priority.SYNC, "sync")) for _ in range(12)]
    await served.api.arrived_count(8)
    displays = [
        asyncio.create_task(served.get("acme", Priority.DISPLAY, "display")) for _ in range(3)
    ]
    await served.api.arrived_count(9)
    payment = asyncio.create_task(served.get("acme", Priority.PAYMENT, "payment"))
    await served.api.arrived_count(10)
    first, waiting = list(served.api.arrived), served.budget.waiting("acme")
    for _ in range(30):
        gate.release()
    await asyncio.gather(*syncs, *displays, payment)
    assert first == ["sync"] * 8 + ["display", "payment"]
    assert waiting == 4 + 2
    assert served.api.most["acme"] == CONCURRENT_PER_COMPANY


async def test_under_the_reserve_only_payments_reach_the_api(served: Served) -> None:
    reset = datetime(2026, 11, 23, tzinfo=UTC)
    served.api.remaining = 500
    await served.get("acme", Priority.DISPLAY)
    assert served.budget.left() == 500
    assert not served.budget.sync_paused()

    served.api.remaining = 100  # the reserve: payments only from here on
    await served.get("acme", Priority.SYNC)
    hits = served.api.hits
    for priority in (Priority.DISPLAY, Priority.SYNC):
        with pytest.raises(PayablesBudgetExhausted) as refused:
            await served.get("acme", priority)
        assert refused.value.reset_at == reset
        assert refused.value.maybe_applied is False
    assert served.api.hits == hits  # refused at once, never sent
    assert served.budget.sync_paused()

    served.api.remaining = 99
    await served.get("acme", Priority.PAYMENT)
    assert served.api.hits == hits + 1
    assert served.budget.today("acme").refused == 2

    # Another replica's calls, or a new day, show in the API's count: reads go again.
    served.api.remaining = 1_500
    await served.get("acme", Priority.PAYMENT)
    await served.get("acme", Priority.DISPLAY)


async def test_the_reset_time_passing_lets_reads_go_again(served: Served) -> None:
    now = [NOW]
    served.budget.clock = lambda: now[0]
    served.api.remaining = 10
    served.api.reset_at = NOW + timedelta(hours=14)
    await served.get("acme", Priority.PAYMENT)
    with pytest.raises(PayablesBudgetExhausted):
        await served.get("acme", Priority.DISPLAY)
    now[0] = NOW + timedelta(hours=14)
    served.api.remaining = None  # this answer carries no count
    await served.get("acme", Priority.DISPLAY)


async def test_the_rate_limit_webhooks_pause_reads_and_sync_until_reset(served: Served) -> None:
    told: list[datetime] = []
    served.budget.on_exhausted = told.append
    until = NOW + timedelta(hours=2)
    await served.budget.rate_limit_reached(until)
    assert served.budget.sync_paused()
    with pytest.raises(PayablesBudgetExhausted) as refused:
        await served.get("acme", Priority.SYNC)
    assert refused.value.reset_at == until
    await served.get("acme", Priority.PAYMENT)
    assert told == [until]

    await served.budget.rate_limit_reset()
    assert not served.budget.sync_paused()
    await served.get("acme", Priority.SYNC)
    # Told once a day, however often the limit is reached.
    await served.budget.rate_limit_reached(None)
    assert len(told) == 1


async def test_calls_are_written_by_the_flush_and_shown_by_billpay_status(
    services: Services, bot_database_url: str
) -> None:
    link = await services.links.link_for("T0001", CHANNEL)
    linking = services.budget.today(link.company_id)  # the reads of `/billpay connect`
    await services.reads.list_bills(link.company_id, link.connection_id)
    await services.sync.list_bills(link.company_id, link.connection_id)
    await services.payables.with_priority(Priority.PAYMENT).list_bills(
        link.company_id, link.connection_id
    )
    async with services.db.read() as s:
        # Counted in memory only: no write per call.
        assert await s.scalar(select(func.count()).select_from(PayablesCallCount)) == 0

    await flush_calls(services)
    await flush_calls(services)  # whole values: writing again changes nothing
    async with services.db.read() as s:
        (row,) = await s.scalars(
            select(PayablesCallCount).where(PayablesCallCount.company_id == link.company_id)
        )
    assert (row.payment, row.display, row.sync, row.replica) == (
        linking.payment + 1,
        linking.display + 1,
        linking.sync + 1,
        services.claimant.holder,
    )

    out = io.StringIO()
    code = await report(
        bot_settings(database_url=bot_database_url),
        Console(file=out, width=80),
        last_synced=lambda company: _synced(company, link.company_id),
    )
    text = out.getvalue()
    assert code == 0
    said = " ".join(text.split())
    assert "Calls to the payables API today: " in said
    assert "left (as the API last counted; 200 kept for payments), resets" in said
    (line,) = [line for line in text.splitlines() if link.company_name[:12] in line]
    assert f"{row.payment}/{row.display}/{row.sync}" in line and "11-22 09:30" in line


async def _synced(company: str, linked: str) -> datetime | None:
    return datetime(2026, 11, 22, 9, 30, tzinfo=UTC) if company == linked else None


@pytest.fixture
async def bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        in_process_bot(sandbox, bot_db, slack) as running,
    ):
        await running.command("/billpay", CONNECT_DEMO, user=ANA)
        await running.slack.wait_for_responses(count=1)
        yield running


async def test_a_person_reading_bills_past_the_allowance_is_told_plainly(bot: Bot) -> None:
    await bot.services.budget.rate_limit_reached(datetime(2026, 11, 23, tzinfo=UTC))
    before = len(bot.slack.responses)
    await bot.command("/bills", user=ANA)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert (
        "Bill Pay has used today's allowance of calls to the accounting platform"
        in (answer["text"])
    )
    assert "Payments still go through. The allowance resets at 00:00 UTC." in answer["text"]
    assert "companies/" not in answer["text"]

    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=ANA)
    (status,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "Calls to the accounting platform today: " in status["text"]
    assert "Today's allowance is used up: payments still go through" in status["text"]
    assert "Bills last synced: not yet." in status["text"]


async def test_each_linked_channel_is_told_once_a_day_across_replicas(bot: Bot) -> None:
    reset = datetime(2026, 11, 23, tzinfo=UTC)
    assert await QuotaNotices(bot.services).tell(reset) == 1
    assert await QuotaNotices(replica_of(bot, NOW)).tell(reset) == 0
    posted = [
        call.args["text"]
        for call in bot.slack.calls_to("chat.postMessage")
        if "allowance" in str(call.args.get("text"))
    ]
    assert posted == [
        ":warning: Bill Pay has used today's allowance of calls to the accounting platform. "
        "Payments still go through; bills and suppliers shown may not be the latest until the "
        "allowance resets at 00:00 UTC."
    ]
    tomorrow = replica_of(bot, NOW + timedelta(days=1))
    assert await QuotaNotices(tomorrow).tell(reset + timedelta(days=1)) == 1
