"""Part 3: start-up to `/healthz` of `billpay run --http` against a bare Bolt app, each
process's CPU seconds, then the first signed `/bills`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from rich.table import Table

from bench.scale.figures import SizeFigures, Started
from bench.scale.report import console, s, verdict
from bench.scale.world import WAIT, World
from testkit.bot import BOT_TOKEN, SIGNING_SECRET
from testkit.payables import SANDBOX_KEY
from testkit.world import ANA

ROOT = Path(__file__).resolve().parents[2]
STARTS = 3  # starts measured of each process, bare or the bot's: the figure is their median


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
