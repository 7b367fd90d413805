"""The databases of a test run: each kind built once per run (per worker process), as a template,
and copied for every test that needs one.

- The sandbox's: seeded by the sandbox itself, one template per distinct seed-relevant part of
  its `SandboxConfig` (`seed_key`); a config this cache was not asked for is seeded by the test.
- The bot's: migrated by Alembic from empty.
- A world's (`world_copies`): both of them brought together to a point by the caller's build
  (a channel linked to the demo company and its mirror filled, `testkit.linked`), one pair of
  templates per key, so that each test starts there without doing it again.

On SQLite a template is a file in the run's directory and a copy is a file in the test's own
directory. On PostgreSQL (`BILLPAY_TEST_DATABASE_URL`) a template is a database of its own and a
copy is `CREATE DATABASE ... TEMPLATE ...`, both issued from the maintenance database `postgres`;
every name starts with the configured database's name, the worker's id and the process id, so
parallel workers, runs at the same time and the sandbox and bot of one test never share a
database. Each process drops its databases when its run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import shutil
import threading
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from billpay.config import async_database_url
from billpay.store.migrate import upgrade
from payables_sandbox.app import Sandbox, SandboxConfig

DATABASE_URL_ENV = "BILLPAY_TEST_DATABASE_URL"
MAINTENANCE_DATABASE = "postgres"

# The parts of `SandboxConfig` that only change how the sandbox answers, never what a fresh
# database holds once it started. Any other field (the seed, its date, a field added later)
# takes a template of its own.
RUNTIME_ONLY = frozenset(
    {
        "api_key",
        "database_url",
        "reset",
        "strict",
        "outstanding_only",
        "paging",
        "page_size",
        "idempotency_window",
        "payment_read_lag",
        "payments_need_approval",
        "null_amount_due",
        "public_url",
        "faults",
        "base_currency",
    }
)

Build = Callable[[str], Awaitable[None]]
T = TypeVar("T")
W = TypeVar("W")
# Brings a world to its point from the sandbox's and the bot's database URLs.
BuildWorld = Callable[[str, str], Awaitable[W]]


@dataclass(frozen=True)
class WorldCopies(Generic[W]):
    """One test's copies of a world's databases, and what its build returned."""

    sandbox_url: str
    bot_url: str
    state: W


def worker_id() -> str:
    """The pytest-xdist worker running this process (`gw0`...), or `main` without workers."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def postgres_url() -> str | None:
    """The PostgreSQL server under test, or None on SQLite."""
    url = os.environ.get(DATABASE_URL_ENV, "")
    return async_database_url(url) if url.startswith("postgres") else None


def seed_key(config: SandboxConfig) -> str:
    """What decides the content of a fresh sandbox database under `config`."""
    values = config.model_dump(mode="json", exclude=set(RUNTIME_ONLY))
    if values.get("today") is None:
        values["today"] = date.today().isoformat()  # the seed's default, read when it runs
    return json.dumps(values, sort_keys=True)


async def seed_sandbox(config: SandboxConfig) -> None:
    """Create and seed a sandbox database from empty, as `Sandbox(config).start()` does."""
    sandbox = Sandbox(config.model_copy(update={"reset": True}))
    try:
        await sandbox.start()
    finally:
        await sandbox.stop()


async def migrate_bot(url: str) -> None:
    await asyncio.to_thread(upgrade, url)


def url_for(directory: Path, name: str) -> str:
    """The database `name` of one test: a file in its `directory`, or on PostgreSQL this
    worker's database of that name (created empty the first time this process asks)."""
    server = postgres_url()
    if server is None:
        return sqlite_url(directory / f"{name}.db")
    database = database_name(name)
    if database not in _created:
        _run_aside(_create_empty(server, database))
    return server_url(server, database)


def database_name(name: str) -> str:
    """This process's PostgreSQL database `name`: `<configured database>_<worker>_<pid>_<name>`,
    so that neither the workers of a run nor two runs at once share a database."""
    server = postgres_url()
    assert server is not None
    return f"{make_url(server).database}_{worker_id()}_{os.getpid()}_{name}"


def server_url(server: str, database: str) -> str:
    url: URL = make_url(server).set(database=database)
    return url.render_as_string(hide_password=False)


# PostgreSQL databases this process created, dropped by `drop_created`.
_created: set[str] = set()


class TestDatabases:
    """Templates built on first use and copied per test: `sandbox_copy` and `bot_copy` return
    the URL of a database nobody else uses, fresh from its template. SQLite templates are
    files in `root`; PostgreSQL copies are made ahead by `Spares`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = postgres_url()
        self.spares = Spares(self.server) if self.server is not None else None
        self._templates: dict[str, str] = {}  # key -> file path (SQLite) or database name
        # key -> the sandbox's and the bot's templates, and what the build returned
        self._worlds: dict[str, tuple[str, str, Any]] = {}

    async def sandbox_copy(self, config: SandboxConfig, directory: Path) -> str:
        """A fresh copy of the sandbox database seeded under `config`."""
        return await self._copy("sandbox", await self._sandbox_template(config), directory)

    async def bot_copy(self, directory: Path) -> str:
        """A fresh copy of the bot's database, migrated to the newest revision."""
        return await self._copy("bot", await self._template("bot", migrate_bot), directory)

    async def world_copies(
        self, config: SandboxConfig, key: str, build: BuildWorld[W], directory: Path
    ) -> WorldCopies[W]:
        """Fresh copies of the sandbox's and the bot's databases as `build` left them, and
        what it returned (what the databases do not hold), the same for every test of `key`.
        `build(sandbox_url, bot_url)` runs once per key, on fresh copies of the sandbox
        seeded under `config` and of the bot's migrated database, and must close them."""
        world = self._worlds.get(key)
        if world is None:
            world = await self._build_world(config, key, build)
            self._worlds[key] = world
        sandbox_template, bot_template, state = world
        return WorldCopies(
            sandbox_url=await self._copy("sandbox", sandbox_template, directory),
            bot_url=await self._copy("bot", bot_template, directory),
            state=state,
        )

    def close(self) -> None:
        """Stop making copies and drop this process's PostgreSQL databases."""
        if self.spares is not None:
            self.spares.close()
        drop_created()

    async def _sandbox_template(self, config: SandboxConfig) -> str:
        async def build(url: str) -> None:
            await seed_sandbox(config.model_copy(update={"database_url": url}))

        return await self._template("sandbox:" + seed_key(config), build)

    async def _build_world(
        self, config: SandboxConfig, key: str, build: BuildWorld[W]
    ) -> tuple[str, str, W]:
        plain = (await self._sandbox_template(config), await self._template("bot", migrate_bot))
        name = f"world_{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        if self.server is None:
            directory = self.root / name
            directory.mkdir(parents=True, exist_ok=True)
            paths = (directory / "sandbox.db", directory / "bot.db")
            for template, path in zip(plain, paths, strict=True):
                await asyncio.to_thread(shutil.copyfile, template, path)
            state = await build(sqlite_url(paths[0]), sqlite_url(paths[1]))
            return str(paths[0]), str(paths[1]), state
        databases = (database_name(f"{name}_sandbox"), database_name(f"{name}_bot"))
        async with _maintenance(self.server) as conn:
            for template, database in zip(plain, databases, strict=True):
                await _drop(conn, database)
                await _create(conn, database, template=template)
        state = await build(*(server_url(self.server, database) for database in databases))
        async with _maintenance(self.server) as conn:
            for database in databases:
                await conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
        return databases[0], databases[1], state

    async def _copy(self, kind: str, template: str, directory: Path) -> str:
        if self.spares is None:
            target = directory / f"{kind}.db"
            await asyncio.to_thread(shutil.copyfile, template, target)
            return sqlite_url(target)
        return await self.spares.take(kind, template)

    async def _template(self, key: str, build: Build) -> str:
        found = self._templates.get(key)
        if found is not None:
            return found
        kind = key.partition(":")[0]
        name = f"template_{kind}_{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        if self.server is None:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / f"{name}.db"
            path.unlink(missing_ok=True)
            await build(sqlite_url(path))
            self._templates[key] = str(path)
            return str(path)
        database = database_name(name)
        await _create_empty(self.server, database)
        await build(server_url(self.server, database))
        async with _maintenance(self.server) as conn:
            # Nobody connects to a template again: a copy needs it without sessions.
            await conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
        self._templates[key] = database
        return database


class Spares:
    """PostgreSQL copies made ahead, on an event loop of their own in another thread: while a
    test runs, the copy the next test takes is being made, and the one the previous test used
    is dropped. A copy takes a few hundred milliseconds (the server writes and syncs the whole
    database), which would otherwise be spent at the start of every test."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="test-databases", daemon=True
        )
        self.thread.start()
        self.ready: dict[str, deque[Future[str]]] = defaultdict(deque)  # by template
        self.in_use: dict[str, str] = {}  # kind -> the database the running test has
        self.submitted: list[Future[Any]] = []
        self.numbers = itertools.count()

    async def take(self, kind: str, template: str) -> str:
        """A copy of `template` for the test that asks, the URL of a database named after
        `kind`; the next one is started at once."""
        queue = self.ready[template]
        if not queue:
            queue.append(self._submit(self._make(kind, template)))
        taken = queue.popleft()
        queue.append(self._submit(self._make(kind, template)))
        previous = self.in_use.pop(kind, None)
        if previous is not None:  # that test is over: its copy goes
            self._submit(self._drop(previous))
        database = await asyncio.wrap_future(taken)
        self.in_use[kind] = database
        return server_url(self.server, database)

    def close(self) -> None:
        """Wait for what was started, then stop the thread."""
        for future in self.submitted:
            with contextlib.suppress(Exception):
                future.result(timeout=120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    def _submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        self.submitted = [f for f in self.submitted if not f.done()] + [future]
        return future

    async def _make(self, kind: str, template: str) -> str:
        database = database_name(f"{kind}_{next(self.numbers)}")
        async with _maintenance(self.server) as conn:
            await _drop(conn, database)  # left by a run that was stopped midway
            await _create(conn, database, template=template)
        return database

    async def _drop(self, database: str) -> None:
        async with _maintenance(self.server) as conn:
            await _drop(conn, database)


def drop_created() -> None:
    """Drop every PostgreSQL database this process created (SQLite files go with their
    directories)."""
    server = postgres_url()
    if server is None or not _created:
        return
    names = sorted(_created)

    async def drop() -> None:
        async with _maintenance(server) as conn:
            for name in names:
                await _drop(conn, name)

    _run_aside(drop())


@contextlib.asynccontextmanager
async def _maintenance(server: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(
        server_url(server, MAINTENANCE_DATABASE), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def _create_empty(server: str, database: str) -> None:
    async with _maintenance(server) as conn:
        await _drop(conn, database)
        await _create(conn, database)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _drop(conn: AsyncConnection, database: str) -> None:
    # FORCE ends the sessions an earlier test left open (an engine it never disposed).
    await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    _created.discard(database)


async def _create(conn: AsyncConnection, database: str, *, template: str | None = None) -> None:
    statement = f'CREATE DATABASE "{database}"'
    if template is not None:
        statement += f' TEMPLATE "{template}"'
    for attempt in range(50):
        try:
            await conn.execute(text(statement))
            _created.add(database)
            return
        except DBAPIError as error:
            # A session that just closed on the template can linger for a moment.
            if "being accessed by other users" not in str(error) or attempt == 49:
                raise
            await asyncio.sleep(0.05)


def _run_aside(work: Awaitable[Any]) -> None:
    """Run `work` to the end on an event loop of its own, in another thread, so that it can be
    called from synchronous code whether or not this thread is running an event loop."""
    errors: list[BaseException] = []

    async def main() -> None:
        await work

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=run, name="test-databases")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
