"""Each size's world: the payables sandbox grown in bulk, the bot served on a free port, the fake
Slack, the wire that counts the bot's payables requests, the shared clock, and the errors the
bot logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from billpay.core.clock import Clock
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.runtime.web import create_web_app
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import CompanyLink
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground import FakeSlack, SlackRequests
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, serve, settle_listeners
from testkit.payables import SANDBOX_KEY, SANDBOX_URL
from testkit.world import bot_settings

TODAY = date(2026, 11, 23)  # a Monday: the digest goes out
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=15)
# Bulk bills are outstanding 88 in 100 (`payables_sandbox.bulk_seed`): one in ten paid, one in
# fifty void.
OUTSTANDING_SHARE = 0.88
WAIT = 300.0  # seconds a bench step may wait for the fake Slack


class BenchClock(Clock):
    """The wall clock from `START`, moved on by `advance`; waits take wall time (a person
    waiting for the placeholder waits that long)."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)
        super().__init__(lambda: datetime.now(UTC) + self.offset)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Wire(httpx.AsyncBaseTransport):
    """The bot's payables requests as they leave it: counted, and how many are in flight per
    company (the most since `reset_most`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        parts = request.url.path.split("/")
        company = parts[2] if len(parts) > 2 and parts[1] == "companies" else ""
        self.in_flight[company] += 1
        self.most[company] = max(self.most[company], self.in_flight[company])
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight[company] -= 1

    def reset_most(self) -> None:
        self.most = Counter(self.in_flight)

    def since(self, before: int) -> Counter[str]:
        """The requests after the first `before`, by kind."""
        return Counter(kind(r) for r in self.requests[before:])


def kind(request: httpx.Request) -> str:
    """A request as "GET bills (changed since)": the operation, ids left out, and for list
    bills what its query asks."""
    parts = request.url.path.strip("/").split("/")
    if "payables" in parts:
        parts = parts[parts.index("payables") + 1 :]
    name = "/".join(p if i % 2 == 0 else "{id}" for i, p in enumerate(parts))
    query = request.url.params.get("query", "")
    if name == "bills":
        if "status=PartiallyPaid" in query and "sourceModifiedDate" in query:
            name += " (a slice of the weekly re-read)"
        elif "sourceModifiedDate>" in query:
            name += " (changed since)"
        elif "sourceModifiedDate=" in query:
            name += " (unchanged?)"
        elif "Paid" in query:
            name += " (paid)"
        elif query:
            name += " (other query)"
    return f"{request.method} {name}"


@dataclass
class World:
    size: int
    folder: Path
    sandbox: Sandbox
    wire: Wire
    clock: BenchClock
    slack: FakeSlack
    bot: Bot
    bot_url: str  # the bot's database
    link: CompanyLink | None = None
    outstanding: int = 0
    fill_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def services(self) -> Services:
        return self.bot.services

    @property
    def ids(self) -> tuple[str, str]:
        demo = self.sandbox.demo
        assert demo is not None
        return demo.company_id, demo.connection_id

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.sandbox.clock.advance(delta)


@contextlib.asynccontextmanager
async def world(size: int, **settings: Any) -> AsyncIterator[World]:
    with tempfile.TemporaryDirectory(prefix=f"bench-scale-{size}-") as tmp:
        folder = Path(tmp)
        config = SandboxConfig(
            api_key=SANDBOX_KEY,
            database_url=f"sqlite+aiosqlite:///{folder / 'sandbox.db'}",
            today=TODAY,
            # The calls are counted here against Codat's share; the sandbox's quota would
            # refuse the bench's later parts, which are not one day's work.
            daily_quota=None,
        )
        sandbox = Sandbox(config)
        sandbox.clock.advance(START - datetime.now(UTC))
        await sandbox.start_on_own_thread()
        await sandbox.seed_bulk(max(0, round(size / OUTSTANDING_SHARE) - 30))
        bot_url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
        await asyncio.to_thread(upgrade, bot_url)
        db = Database(bot_url)
        clock = BenchClock(START)
        wire = Wire(sandbox.transport())
        payables = PayablesClient(
            base_url=SANDBOX_URL, api_key=SANDBOX_KEY, transport=wire, retry=RetryPolicy()
        )
        try:
            async with FakeSlack(bot_token=BOT_TOKEN) as slack:
                config_ = bot_settings(
                    slack_bot_token=BOT_TOKEN,
                    slack_signing_secret=SIGNING_SECRET,
                    slack_api_url=slack.api_url,
                    sandbox_today=TODAY,
                    # Counted against Codat's share below; the budget's own count of the day
                    # would hold the bench's later parts back.
                    payables_daily_quota=10**7,
                    **settings,
                )
                services = build_services(config_, db=db, payables=payables, clock=clock)
                web = create_web_app(services)
                # A new connection per request: uvicorn closes idle ones after 5 s, and a
                # request sent on one it is closing would fail for the bench, not the bot.
                no_reuse = httpx.Limits(max_keepalive_connections=0)
                async with (
                    serve(web) as url,
                    httpx.AsyncClient(timeout=WAIT, limits=no_reuse) as http,
                ):
                    bot = Bot(
                        url=url,
                        http=http,
                        slack=slack,
                        requests=SlackRequests(SIGNING_SECRET, slack),
                        sandbox=sandbox,
                        services=services,
                        payables_transport=wire,  # type: ignore[arg-type]
                    )
                    yield World(size, folder, sandbox, wire, clock, slack, bot, bot_url)
                    mirror = getattr(services, "mirror", None)
                    if mirror is not None:
                        await mirror.settled()
                    await settle_listeners()
                    if mirror is not None:
                        await mirror.aclose()
        finally:
            await payables.aclose()
            await db.dispose()
            await sandbox.stop()


def mirror_of(services: Services) -> Any:
    mirror = getattr(services, "mirror", None)
    if mirror is None:
        raise MissingMirror
    return mirror


class MissingMirror(Exception):
    """This checkout of the bot has no mirror (`billpay.mirror.service.Mirror`) yet."""


class Errors(logging.Handler):
    """The errors the bot logs, counted by their first line (the tracebacks are not printed:
    the bench says how many and which)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        cause = record.exc_info[1] if record.exc_info else None
        what = f"{type(cause).__name__}: {cause}" if cause else record.getMessage()
        self.seen[what.splitlines()[0][:120]] += 1


ERRORS = Errors()
