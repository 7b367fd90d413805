"""The sandbox's database plumbing: an async engine with one transaction per write, exact
decimal and UTC timestamp column types, and the ids and clock its rows take.

Amounts stay exact on every backend: `NUMERIC` on PostgreSQL, text on SQLite (which has no
decimal type), and JSON columns (bill lines) written with `exact_json`. SQLite takes one writer
at a time, so the sandbox's writes there wait on a lock of its own instead of failing with
"database is locked"; on PostgreSQL the business rules lock the rows they change
(`SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric, String, TypeDecorator, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeEngine

from payables_sandbox import clock, exact_json


class Money(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC(30, 12) on PostgreSQL, its plain digits as text on SQLite."""

    impl = Numeric(30, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(30, 12, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value)
        return f"{exact:f}" if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value)
        return _without_padding(Decimal(str(value)))


def _without_padding(value: Decimal) -> Decimal:
    """A NUMERIC(30, 12) read back without the column's trailing zeros: 12.500000000000 is
    12.5 and 100.000000000000 is 100 (not 1E+2)."""
    trimmed = value.normalize()
    exponent = trimmed.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return trimmed.quantize(Decimal(1))
    return trimmed


class SortedText(TypeDecorator[str]):
    """Text ordered by code point on every backend, as Python orders strings: SQLite's binary
    collation does, PostgreSQL needs the "C" collation (its default may be the locale's)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        length = getattr(self.impl, "length", None)
        if dialect.name == "postgresql":
            return dialect.type_descriptor(String(length, collation="C"))
        return dialect.type_descriptor(String(length))


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored as naive UTC and read back aware, in UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_id() -> str:
    """A record's id, as the API hands them out: a random UUID."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, by the sandbox's clock (`payables_sandbox.clock`): what every row is stamped with."""
    return clock.now()


class Database:
    """The sandbox's engine, its read sessions and its one-transaction writes."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        options: dict[str, Any] = {
            "json_serializer": exact_json.dumps,
            "json_deserializer": exact_json.loads,
        }
        if self.is_sqlite:
            path = self.url.database or ""
            if path in ("", ":memory:"):
                # One connection for the whole process: each new one would be another, empty,
                # in-memory database.
                options["poolclass"] = StaticPool
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        self.engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _enforce_foreign_keys)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = asyncio.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def create_tables(self, metadata: MetaData, *, reset: bool = False) -> None:
        """Create `metadata`'s tables that are missing (`reset`: drop them all first)."""
        async with self.engine.begin() as connection:
            if reset:
                await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.is_sqlite:
            async with self._sqlite_writer, self.sessions() as session, session.begin():
                yield session
        else:
            async with self.sessions() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite leaves foreign keys off unless asked; deleting a company must cascade."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
