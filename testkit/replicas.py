"""Bot replicas as real processes, for tests of what several replicas do together and of what
happens when one dies.

`Replicas` owns, for one test: the payables sandbox served over HTTP to every replica (uvicorn
in the test's event loop, on a free port), and the replicas themselves, each `billpay run
--http` in a process of its own, on a port of its own, against one shared bot database
(PostgreSQL: SQLite is for one process) and the test's `FakeSlack` for the Web API. Each is
configured through its environment as an operator would (`BILLPAY_*`, `CODAT_*`, `SLACK_*`;
nothing from the test's own environment or a `.env`), with the scheduler ticking every
`tick_seconds` and claims leased for `lease_seconds`.

    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        Replicas(tmp_path, bot_database_url=url, sandbox=sandbox, slack=slack) as replicas,
    ):
        first = await replicas.start()            # returns once it serves Slack's requests
        second = await replicas.start(payment_hold_seconds="0")  # settings by field name
        await first.send(replicas.requests.command("/bills", user_id="U0ANA"))
        paid = replicas.hold_payables("POST", "/payment")   # the API records it, the answer waits
        ...                                       # a payment submitted through `first`
        await paid.wait()
        await first.kill()                        # SIGKILL: no clean-up of any kind
        paid.drop()                               # the answer never reaches anyone
        await replicas.wait_until(lambda: ..., what="the survivor finished the work")
    # on leaving, the replicas still running are stopped with SIGTERM and must exit 0

To stop a replica at a chosen Slack call instead, hold it in the fake Slack before Slack acts on
it (`slack.hold("chat.postMessage")`, `slack_playground.webapi.state.Hold`).

What a replica does is read from the shared database, the sandbox and the fake Slack; which
replica holds a claim is `replicas.holding(holder)` (a holder names its process's pid). A
replica that exits on its own (not killed) fails the next `wait_until` with its output; every
replica's output is also in `<directory>/<name>.log`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import httpx

from billpay.config import env_name
from payables_sandbox.app import Sandbox
from slack_playground import FakeSlack, SignedRequest, SlackRequests
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, serve
from testkit.browser import free_port

# What `billpay run --http` says once its scheduler runs and it serves Slack's requests.
READY = "Serving Slack's requests at"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.05

Condition = Callable[[], bool] | Callable[[], Awaitable[bool]]


@dataclass
class PayablesHold:
    """Answers of the payables sandbox held after it acted: requests with this method whose path
    ends with `path_suffix` (the first `skip` pass, the next `count` are held) are served by the
    sandbox, which does what they ask (a payment is recorded), and their answers wait until the
    test decides. `release()` sends them; `drop()` never does (the caller gets a 500 if it is
    still there), as when the caller died before the answer came."""

    method: str
    path_suffix: str
    skip: int = 0
    count: int = 1
    # The path of each request whose answer is held, in the order they came.
    held: list[str] = field(default_factory=list, init=False)
    dropped: bool = field(default=False, init=False)
    _seen: int = field(default=0, init=False)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, init=False)
    _decided: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def takes(self, method: str, path: str) -> bool:
        if self._decided.is_set() or method != self.method or not path.endswith(self.path_suffix):
            return False
        self._seen += 1
        return self.skip < self._seen <= self.skip + self.count

    async def keep(self, path: str) -> bool:
        """Hold one answer until the test decides: True when it is released."""
        self.held.append(path)
        async with self._changed:
            self._changed.notify_all()
        await self._decided.wait()
        return not self.dropped

    async def wait(self, count: int = 1, timeout: float = 30.0) -> list[str]:  # noqa: ASYNC109
        """Wait until `count` answers are held; return their requests' paths."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.held) >= count)
        except TimeoutError:
            raise AssertionError(
                f"expected {count} answer(s) to {self.method} …{self.path_suffix} held within "
                f"{timeout}s, got {len(self.held)}"
            ) from None
        return list(self.held)

    def release(self) -> None:
        self._decided.set()

    def drop(self) -> None:
        self.dropped = True
        self._decided.set()


class _HeldAnswers:
    """The sandbox's ASGI app, with the answers `PayablesHold`s take kept back."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.holds: list[PayablesHold] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        hold = None
        if scope["type"] == "http":
            hold = next((h for h in self.holds if h.takes(scope["method"], scope["path"])), None)
        if hold is None:
            await self.app(scope, receive, send)
            return
        answer: list[Any] = []

        async def keep(message: Any) -> None:
            answer.append(message)

        await self.app(scope, receive, keep)
        if await hold.keep(scope["path"]):
            for message in answer:
                await send(message)


@dataclass
class Replica:
    """One `billpay run --http` process."""

    name: str
    url: str  # http://127.0.0.1:PORT, where it serves Slack's requests and /healthz
    process: asyncio.subprocess.Process
    log_path: Path
    output: list[str] = field(default_factory=list)
    killed: bool = False
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _reading: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def holds(self, holder: str) -> bool:
        """Whether a claim's holder (`<host>:<pid>:<random>`) is this process."""
        parts = holder.split(":")
        return len(parts) == 3 and parts[1] == str(self.pid)

    def log(self) -> str:
        return "".join(self.output)

    async def send(self, request: SignedRequest) -> httpx.Response:
        """A request as Slack sends it (signed), to this replica's request URL."""
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(
                f"{self.url}/slack/events", content=request.body, headers=request.headers
            )

    async def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill: nothing of the process runs after it."""
        self.killed = True
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        await self._ended()

    async def stop(self) -> int:
        """SIGTERM, as a deploy stops it: it finishes running work and exits; its status."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                await self._ended()
        except TimeoutError:
            self.output.append(f"[not stopped within {STOP_TIMEOUT_SECONDS}s: killed]\n")
            await self.kill()
        assert self.process.returncode is not None
        return self.process.returncode

    async def _ended(self) -> None:
        await self.process.wait()
        if self._reading is not None:
            await self._reading

    async def _read(self, log: TextIO) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
            self.output.append(line)
            log.write(line)
            log.flush()
            if READY in line:
                self._ready.set()


class Replicas:
    """The replicas of one test and the sandbox they share (see the module)."""

    def __init__(
        self,
        directory: Path,
        *,
        bot_database_url: str,
        sandbox: Sandbox,
        slack: FakeSlack,
        lease_seconds: float = 5.0,
        tick_seconds: float = 0.5,
        **settings: str,
    ) -> None:
        """`settings` (by field name: `payment_hold_seconds="0"`) apply to every replica; the
        fake Slack is given the bot token the replicas use."""
        self.directory = directory
        self.bot_database_url = bot_database_url
        self.sandbox = sandbox
        self.slack = slack
        self.lease_seconds = lease_seconds
        self.tick_seconds = tick_seconds
        self.settings = settings
        self.started: list[Replica] = []
        self.requests = SlackRequests(SIGNING_SECRET, slack)
        self.payables_url = ""
        self._payables = _HeldAnswers(sandbox.app)
        self._stack = contextlib.AsyncExitStack()
        slack.bot_token = BOT_TOKEN

    async def __aenter__(self) -> Replicas:
        self.payables_url = await self._stack.enter_async_context(serve(self._payables))
        return self

    def hold_payables(
        self, method: str, path_suffix: str, *, skip: int = 0, count: int = 1
    ) -> PayablesHold:
        """Hold the sandbox's answers to these requests after it acted on them (see
        `PayablesHold`): `hold_payables("POST", "/payment")` lets a payment be recorded by the
        payables API while the replica that sent it waits for the answer, to be killed there."""
        hold = PayablesHold(method, path_suffix, skip=skip, count=count)
        self._payables.holds.append(hold)
        return hold

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for hold in self._payables.holds:
            hold.drop()  # an answer still held would keep its replica, and the server, waiting
        try:
            problems = await self._stop_all()
            if exc is not None:
                self._print_logs()
            elif problems:
                self._print_logs()
                raise AssertionError("; ".join(problems))
        finally:
            await self._stack.aclose()

    def environment(self, name: str, port: int, **settings: str) -> dict[str, str]:
        """The environment of replica `name`: the test's, without any bot, Slack or Codat
        setting, then the shared settings, then `settings`."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "BILLPAY_", "CODAT_"))
        }
        tick = str(self.tick_seconds)
        env |= {
            "BILLPAY_DATABASE_URL": self.bot_database_url,
            "CODAT_API_KEY": self.sandbox.config.api_key,
            "CODAT_BASE_URL": self.payables_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "BILLPAY_HOST": "127.0.0.1",
            "BILLPAY_PORT": str(port),
            "BILLPAY_SCHEDULER_TICK_SECONDS": tick,
            "BILLPAY_DIGEST_TICK_SECONDS": tick,
            "BILLPAY_REMINDER_TICK_SECONDS": tick,
            "BILLPAY_CLAIM_LEASE_SECONDS": str(self.lease_seconds),
            # The scheduler's INFO lines every tick would bury what matters.
            "BILLPAY_LOG_LEVEL": "WARNING",
            # Log lines unwrapped, so the ready line is found whole.
            "COLUMNS": "400",
        }
        for field_name, value in {**self.settings, **settings}.items():
            env[env_name(field_name)] = value
        return env

    async def start(self, name: str | None = None, **settings: str) -> Replica:
        """Start one more replica (`settings` by field name, for it alone) and return once it
        serves Slack's requests, its scheduler running."""
        name = name or f"replica-{len(self.started) + 1}"
        home = self.directory / name
        home.mkdir(parents=True, exist_ok=True)  # its working directory: no stray .env
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "billpay.runtime.cli",
            "run",
            "--http",
            env=self.environment(name, port, **settings),
            cwd=home,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        log_path = self.directory / f"{name}.log"
        replica = Replica(name, f"http://127.0.0.1:{port}", process, log_path)
        log = log_path.open("w", encoding="utf-8")
        replica._reading = asyncio.create_task(self._read(replica, log))
        self.started.append(replica)
        waiting = {asyncio.create_task(replica._ready.wait()), asyncio.create_task(process.wait())}
        try:
            await asyncio.wait(
                waiting, timeout=START_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in waiting:
                task.cancel()
        if not replica._ready.is_set():
            raise AssertionError(f"{name} did not start:\n{replica.log()}")
        return replica

    @staticmethod
    async def _read(replica: Replica, log: TextIO) -> None:
        with log:
            await replica._read(log)

    def holding(self, holder: str) -> Replica:
        """The replica a claim's holder names."""
        for replica in self.started:
            if replica.holds(holder):
                return replica
        raise AssertionError(f"no replica of this test is {holder}")

    async def wait_until(
        self,
        condition: Condition,
        *,
        what: str,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `condition()` (a function or a coroutine function) is true, reading it
        again every few milliseconds; fail saying `what` was awaited after `timeout` seconds,
        or as soon as a replica not killed has exited."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    answer = condition()
                    if inspect.isawaitable(answer):
                        answer = await answer
                    if answer:
                        return
                    for replica in self.started:
                        if not replica.killed and not replica.running:
                            raise AssertionError(
                                f"waiting for {what}: {replica.name} exited with "
                                f"{replica.process.returncode}:\n{replica.log()}"
                            )
                    await asyncio.sleep(POLL_SECONDS)
        except TimeoutError:
            raise AssertionError(f"{what}: not within {timeout}s") from None

    async def _stop_all(self) -> list[str]:
        problems = []
        for replica in self.started:
            if replica.killed:
                await replica._ended()
                continue
            code = await replica.stop()
            if code != 0:
                problems.append(f"{replica.name} exited with {code} (log: {replica.log_path})")
        return problems

    def _print_logs(self) -> None:
        """Each replica's output, for the test report (pytest shows what a failed test
        printed)."""
        for replica in self.started:
            print(f"----- {replica.name} (pid {replica.pid}) -----\n{replica.log()}")
