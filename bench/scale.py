"""What the bot costs as a company grows: 500, 5,000 and 50,000 outstanding bills (`--sizes`).

Run with `python -m bench.scale --sizes 500 5000 50000` (`make bench` runs 500 and 5,000,
`make bench-large` 50,000 and the digest of 200 channels; `--parts 2 3` leaves the simulated
days and the load out, for a quick look at a size). Each size is one world: the payables
sandbox on a thread and loop of its own (`Sandbox.start_on_own_thread`) with the demo company
grown in bulk (`Sandbox.seed_bulk`), the real bot served by uvicorn on a free port, signed
requests from the fake Slack, and every payables request the bot makes counted on the wire
(with the most in flight per company). The bot's clock and the sandbox's run with the wall clock
from Monday 23 November 2026, 08:00 UTC, and are moved on together for the simulated days.
Figures are ratios to a baseline measured in this process, each beside its target (no
threshold fails the run):

1. `/bills` to its first answer (the signed command leaving to the first `chat.postMessage` or
   response in the fake Slack) once the mirror is filled, and the payables calls it made:
   target at most 2x the time at the smallest size, 0 calls.
2. The live re-read a payment makes (`Mirror.live_bill`), of an outstanding bill and of one
   just paid in the platform: target at most 2 calls.
3. Start-up to `/healthz` (`billpay run --http` on the world's database, already linked and
   filled; the payables sandbox is the world's, served over HTTP from this process, so the
   bot's process starts no sandbox of its own) against a bare Bolt app (one listener, served by
   uvicorn the same way): target 2x. Both load compiled bytecode, as an installed bot does
   (`compile_bytecode`). Each process's CPU seconds at `/healthz` are beside (steadier than
   the wall clock on a shared machine). Then the first signed `/bills` sent once `/healthz`
   answered: its ack (target: 1 s, a third of the 3 s Slack waits) and its listing, so that
   no part of the start can move into the first request unseen.
4. With `--digest-channels N`: the digests of N channels (two per company) of companies of
   5,000 bills, from the mirror; the mirror's tables are filled by copying one company's rows
   filled by its own sync (the mirror has no bulk path): target 0 calls.
5. A simulated day: the link (the first fill), 20 `/bills`, the digest, 10 payments (approve,
   Pay…, submit), 5 `/supplier`, the reminders, and the mirror's tick every 15 minutes (96 a
   day, `Mirror.sync_due`), as calls against Codat's daily share for one company (1,000 x 2)
   and for one of 50 (1,000 x 51 / 50); the link day and a steady day apart. Target: under 25 %.
6. At the largest size: the ack of signed Refresh clicks (a card's overflow menu), 10 and 50
   at once, p99, without and during a whole sync of the mirror (target 1.5x); 300 `/bills`, 10
   at once (sent for `--load-seconds` at most): time to each first answer (target 3 s; answers
   paired with commands in order of arrival) and the most payables requests in flight per
   company (target 10).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, literal, select

from billpay.core.clock import Clock
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.runtime.web import create_web_app
from billpay.services import Services, build_services
from billpay.slack.blocks.ids import Action, Input, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import CompanyLink
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground import FakeSlack, SlackRequests
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, bill_ids, card_text, serve, settle_listeners
from testkit.payables import SANDBOX_KEY, SANDBOX_URL
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, SAM, TEAM, bot_settings

TODAY = date(2026, 11, 23)  # a Monday: the digest goes out
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=15)
# Bulk bills are outstanding 88 in 100 (`payables_sandbox.bulk_seed`): one in ten paid, one in
# fifty void.
OUTSTANDING_SHARE = 0.88
ROOT = Path(__file__).resolve().parents[1]
WAIT = 300.0  # seconds a bench step may wait for the fake Slack
STARTS = 3  # starts measured of each process, bare or the bot's: the figure is their median
QUOTA_UNIT = 1000
TARGET_SHARE = 0.25
console = Console(width=160)


# ---------------------------------------------------------------- the world's parts


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


# ---------------------------------------------------------------- what people do


async def first_answer(w: World, send: Callable[[], Awaitable[httpx.Response]]) -> float:
    """Seconds from the request leaving to the first chat.postMessage or response_url post
    the fake Slack receives after it."""
    posts, answers = len(w.slack.calls_to("chat.postMessage")), len(w.slack.responses)
    started = time.perf_counter()
    response = await send()
    assert response.status_code == 200, response.text
    while len(w.slack.calls_to("chat.postMessage")) == posts and len(w.slack.responses) == answers:
        if time.perf_counter() - started > WAIT:
            raise TimeoutError("no answer from the bot")
        await asyncio.sleep(0.002)
    return time.perf_counter() - started


async def bills(w: World, text: str = "", user: str = ANA) -> tuple[float, dict[str, Any]]:
    """`/bills`: seconds to the first answer, and the bills message it posted."""
    before = len(w.slack.calls_to("chat.postMessage"))
    took = await first_answer(w, lambda: w.bot.command("/bills", text, user=user))
    (call, *_) = (await w.slack.wait_for("chat.postMessage", count=before + 1, timeout=WAIT))[
        before:
    ]
    assert call.ok, call.response
    ts = call.response["ts"]
    for _ in range(int(WAIT * 100)):
        if await w.services.messages.get(CHANNEL, ts) is not None:
            break
        await asyncio.sleep(0.01)
    return took, w.slack.message(CHANNEL, ts)


async def supplier(w: World, name: str) -> float:
    """`/supplier <name>`: seconds to the first answer."""
    return await first_answer(w, lambda: w.bot.command("/supplier", name, user=ANA))


async def wait_for_card(w: World, ts: str, bill_id: str, text: str) -> dict[str, Any]:
    await w.slack.wait_for(
        "chat.update",
        timeout=WAIT,
        where=lambda c: c.ok and c.args.get("ts") == ts and text in card_text(c.args, bill_id),
    )
    return w.bot.message(ts)


async def pay(w: World, message: dict[str, Any], bill_id: str) -> dict[str, Any]:
    """Approve (Ana), Pay… and submit the form as it opens (Sam): the card shows it paid."""
    ts = message["ts"]
    await w.bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await wait_for_card(w, ts, bill_id, "Approved by")
    opened = len(w.slack.calls_to("views.open"))
    await w.bot.click(message, Action.PAY, bill_id, user=SAM)
    (call, *_) = (await w.slack.wait_for("views.open", count=opened + 1, timeout=WAIT))[opened:]
    view_id = call.response["view"]["id"]
    if call.args["view"].get("callback_id") == "loading":
        await w.slack.wait_for(
            "views.update", timeout=WAIT, where=lambda c: c.ok and c.args.get("view_id") == view_id
        )
    view = dict(w.slack.views[view_id])
    # A bill flagged (a possible duplicate, an open question) asks for its boxes ticked.
    confirm = [
        option["value"]
        for block in view["blocks"]
        if block.get("block_id") == Input.PAY_CONFIRM
        for option in block["element"]["options"]
    ]
    await w.bot.submit(view, {Input.PAY_CONFIRM: confirm} if confirm else None, user=SAM)
    return await wait_for_card(w, ts, bill_id, "Paid ")


async def link(w: World) -> None:
    """`/billpay connect`, then the first fill of the mirror, timed."""
    await w.bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await w.slack.wait_for_responses(timeout=WAIT)
    started = time.perf_counter()
    await mirror_of(w.services).settled()
    w.fill_seconds = time.perf_counter() - started
    w.link = await w.services.links.link_for(TEAM, CHANNEL)
    w.outstanding = await mirrored_outstanding(w)


async def mirrored_outstanding(w: World) -> int:
    from billpay.store.models import MirroredBill

    company, connection = w.ids
    async with w.services.db.read() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(MirroredBill)
                .where(
                    MirroredBill.company_id == company,
                    MirroredBill.connection_id == connection,
                    MirroredBill.status.in_(("Open", "PartiallyPaid")),
                )
            )
            or 0
        )


# ---------------------------------------------------------------- 1 and 5: the day


@dataclass
class BillsFigures:
    first: float  # the first /bills after the fill
    first_calls: Counter[str]
    later: float  # the median of the next four
    later_calls: int  # payables calls of those four together


@dataclass
class DayFigures:
    calls: Counter[str]
    by_activity: Counter[str]
    seconds: float
    pay_calls: list[int] = field(default_factory=list)


async def fresh_bills(w: World) -> BillsFigures:
    before = len(w.wire.requests)
    first, _ = await bills(w)
    await settle_listeners()
    first_calls = w.wire.since(before)
    before = len(w.wire.requests)
    later = [(await bills(w))[0] for _ in range(4)]
    await settle_listeners()
    return BillsFigures(first, first_calls, statistics.median(later), len(w.wire.requests) - before)


async def day(w: World, *, linking: bool) -> tuple[DayFigures, BillsFigures | None]:
    """One day (96 ticks of 15 minutes): the link first when `linking`, then people's work
    7 minutes into their tick (the mirror's figures 7 minutes old), the scheduler's jobs at
    each tick's end."""
    from billpay.runtime.scheduler import Scheduler

    scheduler = Scheduler(w.services)
    mirror = mirror_of(w.services)
    started_at, started = len(w.wire.requests), time.perf_counter()
    by_activity: Counter[str] = Counter()
    fresh: BillsFigures | None = None
    pay_calls: list[int] = []

    async def counted(name: str, work: Awaitable[Any]) -> Any:
        await mirror.settled()
        before = len(w.wire.requests)
        result = await work
        await settle_listeners()
        await mirror.settled()
        by_activity[name] += len(w.wire.requests) - before
        return result

    bills_left = 20
    if linking:
        await counted("link (the first fill)", link(w))
        fresh = await counted("/bills", fresh_bills(w))
        bills_left -= 5
    to_pay: list[str] = []
    pay_message: dict[str, Any] = {}
    for tick in range(96):
        w.advance(timedelta(minutes=7))
        if 1 <= tick <= bills_left:
            await counted("/bills", bills(w))
        elif tick == 30:
            _, pay_message = await counted("/bills", bills(w, "northridge"))
            to_pay = bill_ids(pay_message)[:10]
        elif 31 <= tick < 31 + len(to_pay):
            before = len(w.wire.requests)
            pay_message = await counted("payments", pay(w, pay_message, to_pay[tick - 31]))
            pay_calls.append(len(w.wire.requests) - before)
        elif 45 <= tick < 50:
            name = ("northridge", "brightwave", "office", "energy", "north")[tick - 45]
            await counted("/supplier", supplier(w, name))
        w.advance(STEP - timedelta(minutes=7))
        await counted("the digest", scheduler.send_due_digests())
        await counted("reminders", scheduler.send_reminders())
        await counted("the mirror's tick", mirror.sync_due())
    figures = DayFigures(
        w.wire.since(started_at), by_activity, time.perf_counter() - started, pay_calls
    )
    return figures, fresh


# ---------------------------------------------------------------- 2: live re-reads


async def live_rereads(w: World) -> tuple[int, int]:
    """Payables calls of `Mirror.live_bill` for an outstanding bill, and for one just paid in
    the platform (the mirror still shows it outstanding)."""
    assert w.link is not None
    mirror = mirror_of(w.services)
    _, message = await bills(w, "brightwave")
    outstanding, paid = bill_ids(message)[:2]
    before = len(w.wire.requests)
    await mirror.live_bill(w.link, outstanding)
    outstanding_calls = len(w.wire.requests) - before
    bill = await mirror.bill(w.link, paid)
    w.advance(timedelta(seconds=5))
    await w.sandbox.pay_in_platform(paid, bill.amount_due)
    w.advance(timedelta(seconds=5))
    before = len(w.wire.requests)
    read = await mirror.live_bill(w.link, paid)
    assert read.status == "Paid", read.status
    return outstanding_calls, len(w.wire.requests) - before


# ---------------------------------------------------------------- 3: start-up


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BARE_BOLT = """
import uvicorn
from slack_bolt.async_app import AsyncApp
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

bolt = AsyncApp(token={token!r}, signing_secret={secret!r})


@bolt.command("/hello")
async def hello(ack):
    await ack("hello")


handler = AsyncSlackRequestHandler(bolt)


async def events(request):
    return await handler.handle(request)


async def healthz(request):
    return JSONResponse({{"status": "ok"}})


routes = [Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz)]
app = Starlette(routes=routes)
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


@dataclass
class Started:
    """A process's start: seconds to `/healthz` answering 200, then, if a first request was
    sent, the seconds to its HTTP answer (Slack's ack) and to the first answer it posted."""

    healthy: float
    cpu: float  # the process's CPU seconds (user and system) when `/healthz` answered
    ack: float | None = None
    first_answer: float | None = None


FirstRequest = Callable[[int], Awaitable[tuple[float, float]]]


def cpu_seconds(pid: int) -> float:
    """The CPU seconds (user and system, all threads) process `pid` has used: on a shared
    machine a steadier measure of a start than the wall clock (Linux's `/proc/<pid>/stat`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def until_healthy(
    argv: list[str],
    env: dict[str, str],
    port: int,
    cwd: Path,
    first: FirstRequest | None = None,
) -> Started:
    """Seconds from spawning `argv` to its `/healthz` answering 200, then `first`'s figures
    (sent once `/healthz` answered, on the port); then SIGTERM."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            while time.perf_counter() - started < WAIT:
                if process.returncode is not None:
                    err = await process.stderr.read() if process.stderr else b""
                    raise RuntimeError(f"{argv[1]} exited: {err.decode()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        healthy = Started(time.perf_counter() - started, cpu_seconds(process.pid))
                        if first is not None:
                            healthy.ack, healthy.first_answer = await first(port)
                        return healthy
                await asyncio.sleep(0.01)
        raise RuntimeError("never answered /healthz")
    finally:
        if process.returncode is None:
            process.terminate()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await process.wait()
        if process.returncode is None:
            process.kill()


def base_environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BILLPAY_", "CODAT_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    # The checkout this bench runs from, whichever the installed package points at.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


async def compile_bytecode() -> None:
    """Compile the checkout's modules, as installing a package does: a start measured here
    loads bytecode, as a deployed bot's does, whether or not the shell running the bench lets
    Python write it (`PYTHONDONTWRITEBYTECODE`; the libraries were compiled when installed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "compileall",
        "-q",
        *(str(ROOT / name) for name in ("billpay", "payables_sandbox", "slack_playground")),
        env=base_environment(),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await process.wait()


# The libraries `billpay run` has loaded by the time `/healthz` answers, besides what Bolt,
# Starlette and uvicorn load (`python -X importtime`): the database layer, settings, the
# payables API's HTTP client, the scheduler, the log's console and the locale data. Their
# import is a floor under any bot built on them, whatever its own code does.
BOT_LIBRARIES = (
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "aiosqlite",
    "pydantic",
    "pydantic_settings",
    "httpx",
    "apscheduler.schedulers.asyncio",
    "rich.logging",
    "babel.core",
)


async def bare_bolt_start(folder: Path, libraries: tuple[str, ...] = ()) -> Started:
    """A bare Bolt app's start; with `libraries`, the same app that imports them first (with
    the collector held, as the bot's start does)."""
    port = free_port()
    script = BARE_BOLT.format(token=BOT_TOKEN, secret=SIGNING_SECRET, port=port)
    if libraries:
        script = f"import gc\ngc.disable()\nimport {', '.join(libraries)}\ngc.enable()\n{script}"
    return await until_healthy([sys.executable, "-c", script], base_environment(), port, folder)


async def import_seconds(folder: Path) -> float:
    """Seconds for a new Python process to import the bot's command and exit: what any start
    pays before it does anything."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import billpay.runtime.cli", env=base_environment(), cwd=folder
    )
    await process.wait()
    return time.perf_counter() - started


async def first_bills(w: World, port: int) -> tuple[float, float]:
    """A signed `/bills` sent to the bot on `port` (signed now: the process checks signatures
    against the wall clock): seconds to its ack (the HTTP answer Slack waits 3 s for) and to
    the listing it posts."""
    earlier = {id(c) for c in w.slack.calls_to("chat.postMessage")}
    request = w.bot.requests.command("/bills", user_id=ANA, timestamp=int(time.time()))
    sent = time.perf_counter()
    async with httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.post(
            f"http://127.0.0.1:{port}/slack/events", content=request.body, headers=request.headers
        )
    ack = time.perf_counter() - sent
    if response.status_code != 200:
        raise RuntimeError(f"the first /bills was answered {response.status_code}")
    await w.slack.wait_for(
        "chat.postMessage", where=lambda c: id(c) not in earlier and not c.args.get("thread_ts")
    )
    return ack, time.perf_counter() - sent


async def bot_starts(w: World) -> list[Started]:
    """`billpay run --http`, `STARTS` times, on this world's database (linked, filled) and its
    sandbox served over HTTP from the sandbox's own loop (the bot's process starts no sandbox
    of its own), each followed by its first `/bills`."""
    import uvicorn

    own = w.sandbox.own_loop
    assert own is not None
    config = uvicorn.Config(
        w.sandbox.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.run_coroutine_threadsafe(server.serve(), own.loop)
    while not server.started:  # noqa: ASYNC110 (set by uvicorn on another loop)
        await asyncio.sleep(0.01)
    sandbox_port = server.servers[0].sockets[0].getsockname()[1]
    home = w.folder / "bot-process"
    home.mkdir(exist_ok=True)
    env = base_environment() | {
        "BILLPAY_DATABASE_URL": w.bot_url,
        "CODAT_API_KEY": SANDBOX_KEY,
        "CODAT_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": w.slack.api_url,
        "BILLPAY_HOST": "127.0.0.1",
        "BILLPAY_LOG_LEVEL": "WARNING",
        "BILLPAY_PAYABLES_DAILY_QUOTA": str(10**7),
    }
    starts = []
    try:
        for _ in range(STARTS):
            port = free_port()
            starts.append(
                await until_healthy(
                    [sys.executable, "-m", "billpay.runtime.cli", "run", "--http"],
                    env | {"BILLPAY_PORT": str(port)},
                    port,
                    home,
                    lambda port: first_bills(w, port),
                )
            )
        return starts
    finally:
        server.should_exit = True
        await asyncio.wrap_future(serving)


# ---------------------------------------------------------------- 4: digests from the mirror


async def digests(w: World, channels: int) -> tuple[float, float, int, int]:
    """The digests of `channels` channels (two per company) of companies with this world's
    bills: (seconds for all, seconds for one channel alone, payables calls, digests)."""
    from billpay.digest.service import compute_digests
    from billpay.digest.store import active_subscriptions, create_subscription
    from billpay.store.models import MirroredBill, MirrorState

    company, connection = w.ids
    companies = max(1, channels // 2)
    async with w.services.db.write() as s:
        columns = [c.name for c in MirroredBill.__table__.columns if c.name != "id"]
        state_columns = [c.name for c in MirrorState.__table__.columns if c.name != "id"]
        for n in range(1, companies):
            other = f"{company[:-6]}{n:06d}"
            renamed = {"company_id": literal(other), "connection_id": literal(connection)}
            await s.execute(
                insert(MirroredBill).from_select(
                    columns,
                    select(*[renamed.get(c, getattr(MirroredBill, c)) for c in columns]).where(
                        MirroredBill.company_id == company
                    ),
                )
            )
            await s.execute(
                insert(MirrorState).from_select(
                    state_columns,
                    select(*[renamed.get(c, getattr(MirrorState, c)) for c in state_columns]).where(
                        MirrorState.company_id == company
                    ),
                )
            )
            for team in range(2):
                s.add(
                    CompanyLink(
                        team_id=f"T{team:04d}",
                        channel_id=f"C{n:04d}X{team}",
                        company_id=other,
                        connection_id=connection,
                        company_name=f"Company {n}",
                        base_currency="GBP",
                        linked_by=ANA,
                    )
                )
        s.add(
            CompanyLink(
                team_id="T0002",
                channel_id="C0000X1",
                company_id=company,
                connection_id=connection,
                company_name="Demo",
                base_currency="GBP",
                linked_by=ANA,
            )
        )
    async with w.services.db.read() as s:
        link_ids = list(await s.scalars(select(CompanyLink.id).order_by(CompanyLink.id)))
    for link_id in link_ids:
        await create_subscription(w.services.db, link_id, created_by=ANA, time_zone="UTC")
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    runs = [(sub, sub.local_date(now)) for sub in await active_subscriptions(w.services.db)]
    runs = [r for r in runs if r[0].is_due(now)][:channels]
    mirror = mirror_of(w.services)
    before = len(w.wire.requests)
    started = time.perf_counter()
    await compute_digests(w.services.db, mirror, runs[:1])
    one = time.perf_counter() - started
    started = time.perf_counter()
    results = await compute_digests(w.services.db, mirror, runs)
    took = time.perf_counter() - started
    return took, one, len(w.wire.requests) - before, len(results)


# ---------------------------------------------------------------- 6: under load


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def ack_burst(w: World, message: dict[str, Any], at_once: int, rounds: int) -> list[float]:
    """Seconds to the HTTP 200 of `at_once` signed clicks on the cards' Refresh sent together,
    `rounds` times."""
    cards = bill_ids(message)
    times: list[float] = []

    async def one(n: int) -> None:
        bill_id = cards[n % len(cards)]
        request = w.bot.requests.click(
            message,
            Action.MORE,
            user_id=ANA,
            block_id_prefix=f"card_actions:{bill_id}",
            option_value=MoreAction(choice=MoreOption.REFRESH, bill_id=bill_id).dump(),
        )
        started = time.perf_counter()
        response = await w.bot.send(request)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text

    for _ in range(rounds):
        await asyncio.gather(*(one(n) for n in range(at_once)))
    return times


@dataclass
class LoadFigures:
    acks: dict[tuple[int, bool], float]  # (at once, during a sync) -> p99 seconds
    sync_pages: tuple[int, int]  # requests while the clicks were sent, while the sync ran
    sync_seconds: float
    bills_answers: list[float]
    most_in_flight: int
    budget_most: int
    errors: int  # errors the bot logged while the /bills ran


async def load(w: World, load_seconds: float) -> LoadFigures:
    mirror = mirror_of(w.services)
    company, connection = w.ids
    _, message = await bills(w)
    await settle_listeners()
    acks: dict[tuple[int, bool], float] = {}
    for at_once in (10, 50):
        acks[(at_once, False)] = p99(await ack_burst(w, message, at_once, 4))
        await settle_listeners()
    w.wire.reset_most()
    budget_most = 0
    before = len(w.wire.requests)
    started = time.perf_counter()
    syncing = asyncio.create_task(mirror.sync_now(company, connection, full=True))
    while len(w.wire.requests) - before < 3 and not syncing.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    during_from = len(w.wire.requests)
    for at_once in (10, 50):
        acks[(at_once, True)] = p99(await ack_burst(w, message, at_once, 4))
        budget_most = max(budget_most, w.services.budget.in_flight(company))
    during = len(w.wire.requests) - during_from
    if syncing.done():
        w.notes.append("the whole sync ended before the last clicks: a bigger size shows more")
    await syncing
    sync_seconds = time.perf_counter() - started
    whole = len(w.wire.requests) - before
    await settle_listeners()

    # 300 /bills, 10 at once: the answers (a chat.postMessage or a response_url post) paired
    # with the commands in the order they arrive.
    sent: list[float] = []
    answered: list[float] = []
    posts = len(w.slack.calls_to("chat.postMessage"))
    responses = len(w.slack.responses)
    done = asyncio.Event()

    async def watch() -> None:
        seen = 0
        while True:
            now = time.perf_counter()
            count = (
                len(w.slack.calls_to("chat.postMessage"))
                - posts
                + len(w.slack.responses)
                - responses
            )
            answered.extend([now] * (count - seen))
            seen = count
            if done.is_set() and len(answered) >= len(sent):
                return
            nonlocal budget_most
            budget_most = max(budget_most, w.services.budget.in_flight(company))
            await asyncio.sleep(0.002)

    gate = asyncio.Semaphore(10)
    deadline = time.perf_counter() + load_seconds

    async def command(n: int) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                return
            sent.append(time.perf_counter())
            await w.bot.command("/bills", user=ANA if n % 2 else SAM)

    errors_before = sum(ERRORS.seen.values())
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(command(n) for n in range(300)))
    done.set()
    try:
        async with asyncio.timeout(WAIT):
            await watcher
    except TimeoutError:
        w.notes.append(f"only {len(answered)} of 300 /bills answered within {WAIT:.0f} s")
        watcher.cancel()
    await settle_listeners()
    failed = sum(ERRORS.seen.values()) - errors_before
    # A /bills answers once (the bills) or twice (the placeholder, then the bills): the
    # first answer of each command is the earlier of the pairs, so pairing in order of
    # arrival gives each command an answer no later than its own.
    firsts = [a - s for s, a in zip(sorted(sent), sorted(answered), strict=False)]
    return LoadFigures(
        acks,
        (during, whole),
        sync_seconds,
        firsts,
        max(w.wire.most.values(), default=0),
        budget_most,
        failed,
    )


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


# ---------------------------------------------------------------- printing


def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]missed[/red]"


def s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def calls_text(calls: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in calls.most_common()) or "none"


@dataclass
class SizeFigures:
    size: int
    outstanding: int
    fill_seconds: float
    fresh: BillsFigures | None = None
    link_day: DayFigures | None = None
    steady_day: DayFigures | None = None
    live: tuple[int, int] | None = None
    starts: list[Started] = field(default_factory=list)
    world_seconds: float = 0.0


def print_bills(rows: list[SizeFigures]) -> None:
    rows = [r for r in rows if r.fresh is not None]
    if not rows:
        return
    base = rows[0].fresh
    assert base is not None
    table = Table(title="1. /bills to its first answer, the mirror filled (target: ≤ 2x, 0 calls)")
    for c in ("outstanding", "first /bills", "its calls", "next 4 (median)", "their calls"):
        table.add_column(c, justify="right")
    table.add_column("x the smallest", justify="right")
    table.add_column("target: ≤ 2x and 0 calls")
    for r in rows:
        f = r.fresh
        assert f is not None
        ratio = f.later / base.later
        table.add_row(
            f"{r.outstanding:,}",
            s(f.first),
            calls_text(f.first_calls),
            s(f.later),
            str(f.later_calls),
            f"{ratio:.1f}x (first {f.first / base.first:.1f}x)",
            verdict(ratio <= 2 and f.first / base.first <= 2 and not f.first_calls)
            + ("" if not f.first_calls else " (first /bills made calls)"),
        )
    console.print(table)


def print_live(rows: list[SizeFigures]) -> None:
    if all(r.live is None for r in rows):
        return
    table = Table(title="2. A payment's live re-read (Mirror.live_bill): payables calls")
    for c in ("outstanding", "outstanding bill", "bill paid in the platform", "per payment, whole"):
        table.add_column(c, justify="right")
    table.add_column("target: ≤ 2")
    for r in rows:
        if r.live is None:
            continue
        pays = r.link_day.pay_calls if r.link_day else []
        table.add_row(
            f"{r.outstanding:,}",
            str(r.live[0]),
            str(r.live[1]),
            f"{min(pays)}-{max(pays)} (approve, Pay…, submit)" if pays else "",
            verdict(max(r.live) <= 2),
        )
    console.print(table)


def print_start(
    rows: list[SizeFigures],
    bare_starts: list[Started],
    floor_starts: list[Started],
    imports: float,
) -> None:
    bare = statistics.median(x.healthy for x in bare_starts)
    bare_cpu = statistics.median(x.cpu for x in bare_starts)
    floor = statistics.median(x.healthy for x in floor_starts)
    floor_cpu = statistics.median(x.cpu for x in floor_starts)
    table = Table(
        title=f"3. Start-up to /healthz (baseline: a bare Bolt app, {s(bare)}, CPU "
        f"{s(bare_cpu)}; importing billpay.runtime.cli alone: {s(imports)}), then the first "
        "signed /bills"
    )
    for c in ("outstanding", f"billpay run --http (median of {STARTS})", "x the bare app"):
        table.add_column(c, justify="right")
    table.add_column("target: ≤ 2x")
    for c in ("CPU to /healthz", "x the bare app's", "first /bills: ack", "its listing"):
        table.add_column(c, justify="right")
    table.add_column("target: ack ≤ 1 s")
    for r in rows:
        if not r.starts:
            continue
        start = statistics.median(x.healthy for x in r.starts)
        cpu = statistics.median(x.cpu for x in r.starts)
        acks = [x.ack for x in r.starts if x.ack is not None]
        answers = [x.first_answer for x in r.starts if x.first_answer is not None]
        table.add_row(
            f"{r.outstanding:,}",
            s(start),
            f"{start / bare:.1f}x",
            verdict(start <= 2 * bare),
            s(cpu),
            f"{cpu / bare_cpu:.1f}x",
            f"worst {s(max(acks))}" if acks else "-",
            f"worst {s(max(answers))}" if answers else "-",
            verdict(len(acks) == len(r.starts) and max(acks) <= 1),
        )
    console.print(table)
    console.print(
        f"The floor: the same bare Bolt app importing the bot's libraries first "
        f"({', '.join(BOT_LIBRARIES)}) answers /healthz in {s(floor)}, "
        f"{floor / bare:.1f}x the bare app (CPU {s(floor_cpu)}, {floor_cpu / bare_cpu:.1f}x), "
        "before any of the bot's own code."
    )


def print_days(rows: list[SizeFigures]) -> None:
    if all(r.link_day is None for r in rows):
        return
    one = QUOTA_UNIT * 2
    fifty = QUOTA_UNIT * 51 / 50
    table = Table(
        title="5. A simulated day for one company: payables calls against Codat's daily share "
        f"(1 company: {one:,}; 1 of 50: {fifty:,.0f}; target: under 25 %)"
    )
    for c in ("outstanding", "day", "calls", "% of 1's share", "% of 1 of 50's"):
        table.add_column(c, justify="right")
    table.add_column("target: < 25 % (1 of 50)")
    table.add_column("where the calls went")
    for r in rows:
        for name, d in (("link day", r.link_day), ("steady day", r.steady_day)):
            if d is None:
                continue
            total = sum(d.calls.values())
            table.add_row(
                f"{r.outstanding:,}",
                f"{name} ({s(d.seconds)})",
                f"{total:,}",
                f"{total / one:.1%}",
                f"{total / fifty:.1%}",
                verdict(total < TARGET_SHARE * fifty),
                calls_text(d.by_activity),
            )
    console.print(table)
    for r in rows:
        for name, d in (("link day", r.link_day), ("steady day", r.steady_day)):
            if d is not None:
                console.print(f"{r.outstanding:,}, {name}, by request: {calls_text(d.calls)}")


def print_load(size: int, f: LoadFigures) -> None:
    table = Table(title=f"6. Under load at {size:,} outstanding bills")
    for c in ("measure", "without a sync", "during a whole sync", "ratio", "target"):
        table.add_column(c, justify="right" if c != "measure" else "left")
    for at_once in (10, 50):
        quiet, busy = f.acks[(at_once, False)], f.acks[(at_once, True)]
        table.add_row(
            f"ack of Refresh, {at_once} at once (p99)",
            s(quiet),
            s(busy),
            f"{busy / quiet:.1f}x",
            f"≤ 1.5x: {verdict(busy <= 1.5 * quiet)}",
        )
    answers = f.bills_answers
    worst = max(answers) if answers else float("inf")
    table.add_row(
        f"{len(answers)} /bills, 10 at once: first answer",
        f"median {s(statistics.median(answers)) if answers else '-'}",
        f"p99 {s(p99(answers)) if answers else '-'}",
        f"max {s(worst)}; {f.errors} errors logged",
        f"≤ 3 s: {verdict(worst <= 3 and not f.errors)}",
    )
    table.add_row(
        "most payables requests in flight per company",
        f"on the wire {f.most_in_flight}",
        f"budget's in_flight {f.budget_most}",
        "",
        f"≤ 10: {verdict(max(f.most_in_flight, f.budget_most) <= 10)}",
    )
    console.print(table)
    console.print(
        f"The whole sync took {s(f.sync_seconds)}; {f.sync_pages[1]} payables requests went out "
        f"meanwhile (the sync's and the clicks'), {f.sync_pages[0]} of them while the clicks "
        "were sent."
    )


# ---------------------------------------------------------------- main


async def one_size(size: int, largest: bool, args: argparse.Namespace) -> tuple[SizeFigures, Any]:
    parts = set(args.parts)
    started = time.perf_counter()
    async with world(size) as w:
        figures = SizeFigures(size, 0, 0.0)
        loaded = None
        digest = None
        try:
            if 5 in parts:
                figures.link_day, figures.fresh = await day(w, linking=True)
                figures.steady_day, _ = await day(w, linking=False)
            else:
                await link(w)
                figures.fresh = await fresh_bills(w)
            figures.outstanding, figures.fill_seconds = w.outstanding, w.fill_seconds
            if 2 in parts:
                figures.live = await live_rereads(w)
            if 3 in parts:
                figures.starts = await bot_starts(w)
            if args.digest_channels and size == 5000:
                digest = await digests(w, args.digest_channels)
            if largest and 6 in parts:
                loaded = await load(w, args.load_seconds)
        except MissingMirror:
            w.notes.append("this checkout has no mirror (billpay.mirror.service.Mirror)")
            figures.starts = await bot_starts(w)
        for error, count in ERRORS.seen.most_common():
            w.notes.append(f"the bot logged {count} error(s): {error}")
        ERRORS.seen.clear()
        for note in w.notes:
            console.print(f"[yellow]{size:,}: {note}[/yellow]")
    figures.world_seconds = time.perf_counter() - started
    console.print(
        f"{size:,} bills: world, days and measures in {figures.world_seconds:.0f} s "
        f"(first fill {figures.fill_seconds:.1f} s)"
    )
    return figures, (loaded, digest)


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    logging.getLogger().addHandler(ERRORS)
    sizes = sorted(args.sizes)
    rows: list[SizeFigures] = []
    load_figures: LoadFigures | None = None
    digest_figures = None
    await compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        bare_starts = [await bare_bolt_start(Path(tmp)) for _ in range(STARTS)]
        floor_starts = [await bare_bolt_start(Path(tmp), BOT_LIBRARIES) for _ in range(STARTS)]
        imports = statistics.median([await import_seconds(Path(tmp)) for _ in range(3)])
    for size in sizes:
        figures, (loaded, digest) = await one_size(size, size == sizes[-1], args)
        rows.append(figures)
        load_figures = loaded or load_figures
        digest_figures = digest or digest_figures
    if args.digest_channels and 5000 not in sizes:
        async with world(5000) as w:
            await link(w)
            digest_figures = await digests(w, args.digest_channels)

    console.rule(f"Scale: {', '.join(f'{n:,}' for n in sizes)} outstanding bills")
    print_bills(rows)
    print_live(rows)
    print_start(rows, bare_starts, floor_starts, imports)
    if digest_figures is not None:
        took, one, calls, count = digest_figures
        console.print(
            f"4. Digests of {count} channels (companies of 5,000 bills, from the mirror): "
            f"{took:.1f} s, {took / count * 1000:.0f} ms a channel ({took / count / one:.1f}x "
            f"one channel alone, {one * 1000:.0f} ms); payables calls {calls} "
            f"(target: 0, {verdict(calls == 0)})"
        )
    print_days(rows)
    if load_figures is not None:
        print_load(sizes[-1], load_figures)
    console.print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument(
        "--digest-channels",
        type=int,
        default=0,
        help="also the digests of this many channels of companies of 5,000 bills (part 4)",
    )
    parser.add_argument(
        "--parts",
        type=int,
        nargs="+",
        default=[1, 2, 3, 5, 6],
        help="which parts to run (1, the first fill and /bills, always runs; 4 is "
        "--digest-channels)",
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=120.0,
        help="part 6: stop sending the 300 /bills after this long (each is measured whole)",
    )
    asyncio.run(main(parser.parse_args()))
