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
import json
import os
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg  # type: ignore[import-untyped]  # it ships no type information
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
    the URL of a database fresh from its template, which nobody else uses until this process
    asks for the next copy of that kind. SQLite templates are files in `root`; on PostgreSQL
    they are `Snapshots` in this process's own database of each kind."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = postgres_url()
        self.snapshots = Snapshots(self.server) if self.server is not None else None
        self._templates: dict[str, str] = {}  # key -> file path (SQLite) or snapshot
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
        """Drop this process's PostgreSQL databases."""
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
        if self.snapshots is None:
            directory = self.root / name
            directory.mkdir(parents=True, exist_ok=True)
            paths = (directory / "sandbox.db", directory / "bot.db")
            for template, path in zip(plain, paths, strict=True):
                await asyncio.to_thread(shutil.copyfile, template, path)
            state = await build(sqlite_url(paths[0]), sqlite_url(paths[1]))
            return str(paths[0]), str(paths[1]), state
        urls = [
            await self.snapshots.restore(kind, template)
            for kind, template in zip(KINDS, plain, strict=True)
        ]
        state = await build(*urls)
        for kind in KINDS:
            await self.snapshots.save(kind, f"{name}_{kind}")
        return f"{name}_sandbox", f"{name}_bot", state

    async def _copy(self, kind: str, template: str, directory: Path) -> str:
        if self.snapshots is None:
            target = directory / f"{kind}.db"
            await asyncio.to_thread(shutil.copyfile, template, target)
            return sqlite_url(target)
        return await self.snapshots.restore(kind, template)

    async def _template(self, key: str, build: Build) -> str:
        found = self._templates.get(key)
        if found is not None:
            return found
        kind = key.partition(":")[0]
        name = f"template_{kind}_{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        if self.snapshots is None:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / f"{name}.db"
            path.unlink(missing_ok=True)
            await build(sqlite_url(path))
            self._templates[key] = str(path)
            return str(path)
        await build(await self.snapshots.empty(kind))
        await self.snapshots.save(kind, name)
        self._templates[key] = name
        return name


KINDS = ("sandbox", "bot")


@dataclass(frozen=True)
class Snapshot:
    """The tables of a database's `public` schema saved in a schema of their own, and where
    its sequences stood."""

    tables: frozenset[str]
    sequences: tuple[tuple[str, int | None], ...]


class Snapshots:
    """PostgreSQL copies without creating databases: this process has one database of each
    kind (the sandbox's, the bot's), and a template is a snapshot of its `public` tables in a
    schema of that database, each row kept as `json` (its text as it was: a `json` column is
    served byte for byte) so that nothing there depends on the tables' types. A copy ends the
    sessions still on the database (as dropping it would) and puts the snapshot's rows back in
    one transaction: a few tens of milliseconds, where `CREATE DATABASE ... TEMPLATE` writes
    and syncs a whole database (its catalogs included) and dropping it as much again. The
    databases commit without waiting for the disk (`synchronous_commit`), which only a crash
    of the server would tell."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._saved: dict[tuple[str, str], Snapshot] = {}

    async def empty(self, kind: str) -> str:
        """The database of `kind` with an empty `public` schema, for a template's build."""
        async with self._session(kind) as conn:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        return self._url(kind)

    async def save(self, kind: str, name: str) -> None:
        """Snapshot the `public` tables of `kind`'s database as template `name`."""
        async with self._session(kind) as conn:
            tables = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            sequences = [
                (r["sequencename"], r["last_value"])
                for r in await conn.fetch(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
                )
            ]
            statements = [f'DROP SCHEMA IF EXISTS "{name}" CASCADE', f'CREATE SCHEMA "{name}"']
            # Names from the catalog and this module: nothing a person typed.
            statements += [
                f'CREATE TABLE "{name}"."{table}" AS SELECT to_json(t) AS row'  # noqa: S608
                f' FROM public."{table}" t'
                for table in tables
            ]
            await conn.execute(";\n".join(statements))
        self._saved[(kind, name)] = Snapshot(frozenset(tables), tuple(sequences))

    async def restore(self, kind: str, name: str) -> str:
        """Put template `name` back into `kind`'s database; returns its URL."""
        snapshot = self._saved[(kind, name)]
        async with self._session(kind) as conn:
            found = {
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            if found != snapshot.tables:
                raise RuntimeError(
                    f"the {kind} database's tables changed during a test"
                    f" ({sorted(found ^ snapshot.tables)}): a test that drops or adds tables"
                    " needs a database of its own (`database_url_for`)"
                )
            # Foreign keys are not checked while the rows go back (they held when saved).
            # DELETE, not TRUNCATE: on tables this small it writes far less (TRUNCATE gives
            # every table and index new files); the sequences are set back below.
            statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]
            statements += [
                f'DELETE FROM public."{table}"'  # noqa: S608
                for table in sorted(snapshot.tables)
            ]
            statements += [
                f'INSERT INTO public."{table}" OVERRIDING SYSTEM VALUE SELECT r.*'  # noqa: S608
                f' FROM "{name}"."{table}" s,'
                f' json_populate_record(NULL::public."{table}", s.row) r'
                for table in sorted(snapshot.tables)
            ]
            statements += [
                f"SELECT setval('public.\"{sequence}\"', {value}, true)"
                if value is not None
                else f'ALTER SEQUENCE public."{sequence}" RESTART'
                for sequence, value in snapshot.sequences
            ]
            statements.append("COMMIT")
            await conn.execute(";\n".join(statements))
        return self._url(kind)

    def _database(self, kind: str) -> str:
        return database_name(f"copies_{kind}")

    def _url(self, kind: str) -> str:
        return server_url(self.server, self._database(kind))

    @contextlib.asynccontextmanager
    async def _session(self, kind: str) -> AsyncIterator[asyncpg.Connection]:
        """A connection to `kind`'s database (created the first time) alone on it: the
        sessions a test left are ended first."""
        database = self._database(kind)
        if database not in _created:
            await _create_empty(self.server, database)
            async with _maintenance(self.server) as conn:
                await conn.execute(
                    text(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
                )
        dsn = make_url(self._url(kind)).set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            yield conn
        finally:
            await conn.close()


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
