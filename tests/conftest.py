"""Shared fixtures: the database under test, a seeded payables sandbox, and a client for it.

Every database test runs on SQLite (files per test) by default, and on PostgreSQL when
`BILLPAY_TEST_DATABASE_URL` is set (databases named after the worker running it, on that
server, their tables put back per test). Either way each test starts from a fresh copy of the
demo company as the sandbox seeds it and of the bot's database migrated from empty, or, where
`starts_linked` says so, of both once the finance channel was linked (`linked_copies`):
`testkit.databases` builds each once per worker and copies it per test.

The sandbox runs strict (`SandboxConfig.strict`, its default, said here again): list bills and
list suppliers take only the query fields the spec documents, so a test passes only if the
client and the bot use nothing else. A test of the query language on other fields asks for
`@pytest.mark.sandbox(strict=False)`.

Also here: one xdist worker more than the cores for `-n auto`; the garbage collector held
while the tests are collected (each worker imports some 2,500 modules and makes next to no
garbage) and what collection built frozen before the first test (`gc.freeze`), so the
collections during the tests walk only what the tests make; the
Hypothesis profiles (`testkit.profiles`), the `slow` marker's note at the end of a run without
the slow tests, and, when `BILLPAY_TEST_NO_SKIPS` is set (CI), a run that fails if any test was
skipped for a reason other than the expected ones (`EXPECTED_SKIPS`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from billpay.payables.client import PayablesClient
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.faults import FaultConfig
from testkit.databases import TestDatabases, WorldCopies, drop_created, seed_key
from testkit.linked import Linked, build_linked, linked_key
from testkit.payables import (
    SANDBOX_KEY,
    SANDBOX_URL,
    TODAY,
    CountingTransport,
    SleepRecorder,
    bill_by_reference,
    client_for,
    database_url_for,
    on_postgres,
)
from testkit.profiles import load_profile

load_profile()

# Skips a run with BILLPAY_TEST_NO_SKIPS set allows: tests written for PostgreSQL, on SQLite.
EXPECTED_SKIPS = (
    "several replicas need PostgreSQL",
    "row contention across engines needs PostgreSQL",
)
NO_SKIPS_ENV = "BILLPAY_TEST_NO_SKIPS"

# What a test's sandbox is unless its `sandbox` marker or `make_sandbox(...)` says otherwise.
SANDBOX_DEFAULTS: dict[str, object] = {
    "api_key": SANDBOX_KEY,
    "reset": True,
    "today": TODAY,
    "strict": True,  # Codat as documented; a test's marker may turn it off
}


def pytest_configure(config: pytest.Config) -> None:
    gc.disable()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a worker more than the cores. A test spends about a tenth of its time
    waiting (timers, the database's thread, other processes), which the extra worker fills;
    on 2 cores, 3 workers ran `make test` in 102 s against 112 s for 2 (and 108 s for 4)."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    gc.freeze()
    gc.enable()


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(tmp_path_factory.mktemp("templates"))
    yield databases
    databases.close()


@dataclass(frozen=True)
class SandboxDatabase:
    """The sandbox's database of one test, and the seed it already holds (`seed_key`)."""

    url: str
    seeded_as: str


def sandbox_config(database_url: str, overrides: dict[str, object]) -> SandboxConfig:
    return SandboxConfig.model_validate(
        {**SANDBOX_DEFAULTS, "database_url": database_url, **overrides}
    )


def _marker_kwargs(request: pytest.FixtureRequest, name: str) -> dict[str, object]:
    marker = request.node.get_closest_marker(name)
    return dict(marker.kwargs) if marker else {}


@pytest.fixture
def starts_linked() -> bool:
    """Whether the test starts with the finance channel linked and its mirror filled; a
    directory whose `linked_bot` means that says so for the tests that ask for it."""
    return False


@pytest.fixture
async def linked_copies(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    test_databases: TestDatabases,
    starts_linked: bool,
) -> WorldCopies[Linked] | None:
    """Copies of the world where the channel was linked under the test's `sandbox` and `bot`
    markers (`testkit.linked`), or None: the test starts from the seeded sandbox and the
    migrated bot database."""
    if not starts_linked:
        return None
    sandbox_kwargs = _marker_kwargs(request, "sandbox")
    settings = _marker_kwargs(request, "bot")
    key = linked_key(sandbox_kwargs, settings)
    if key is None:
        return None
    config = sandbox_config("", sandbox_kwargs)
    build = build_linked(config, settings)
    return await test_databases.world_copies(config, key, build, tmp_path)


@pytest.fixture
async def sandbox_database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    test_databases: TestDatabases,
    linked_copies: WorldCopies[Linked] | None,
) -> SandboxDatabase:
    """A fresh copy of the sandbox database seeded as the test's `sandbox` marker asks (and
    linked, with `linked_copies`)."""
    config = sandbox_config("", _marker_kwargs(request, "sandbox"))  # the copy is its database
    if linked_copies is not None:
        return SandboxDatabase(url=linked_copies.sandbox_url, seeded_as=seed_key(config))
    url = await test_databases.sandbox_copy(config, tmp_path)
    return SandboxDatabase(url=url, seeded_as=seed_key(config))


@pytest.fixture
def database_url(sandbox_database: SandboxDatabase) -> str:
    return sandbox_database.url


@pytest.fixture
async def make_sandbox(
    sandbox_database: SandboxDatabase,
) -> AsyncIterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def factory(**overrides: object) -> Sandbox:
        config = sandbox_config(sandbox_database.url, overrides)
        if not started and config.reset and seed_key(config) == sandbox_database.seeded_as:
            # The database is a fresh copy of what this reset would seed: nothing to redo.
            # Later sandboxes of the test reset (or keep) it as they ask.
            config = config.model_copy(update={"reset": False})
        sandbox = Sandbox(config)
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The seeded sandbox; `@pytest.mark.sandbox(page_size=4, ...)` overrides its config."""
    sandbox = make_sandbox(**_marker_kwargs(request, "sandbox"))
    await sandbox.start()
    return sandbox


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def transport(sandbox: Sandbox) -> CountingTransport:
    return CountingTransport(httpx.ASGITransport(app=sandbox.app, raise_app_exceptions=False))


@pytest.fixture
async def payables(
    transport: CountingTransport, sleeps: SleepRecorder
) -> AsyncIterator[PayablesClient]:
    async with client_for(transport, sleeps) as client:
        yield client


# ------------------------------------------------------------------ the run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_created()  # this process's PostgreSQL databases; SQLite files go with tmp_path


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _refuse_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """With `BILLPAY_TEST_NO_SKIPS` set (CI), a skip for any reason but `EXPECTED_SKIPS` (a
    missing browser, package or spec) turns into a failure that says why."""
    if not os.environ.get(NO_SKIPS_ENV) or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if not any(expected in reason for expected in EXPECTED_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"skipped ({reason}), which {NO_SKIPS_ENV} does not allow"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _refuse_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield  # a module skipped as a whole (`pytest.importorskip`)
    _refuse_skip(report)
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if "not slow" in (config.getoption("markexpr", "") or ""):
        terminalreporter.write_line(
            "Left out: the slow tests (browser, other processes, several replicas, large data);"
            " `make test-slow` runs them, `make test-all` runs everything."
        )


__all__ = [
    "SANDBOX_KEY",
    "SANDBOX_URL",
    "TODAY",
    "CountingTransport",
    "FaultConfig",
    "SleepRecorder",
    "bill_by_reference",
    "client_for",
    "database_url_for",
    "on_postgres",
]

# The bot's own fixtures live beside these; imported last, as they build on the ones above.
from tests.bot_fixtures import (  # noqa: E402
    bot_database_url,
    bot_db,
    make_services,
    services,
)

__all__ += ["bot_database_url", "bot_db", "make_services", "services"]
