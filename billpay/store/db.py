"""Database plumbing shared by the bot's store and the sandbox: exact money and UTC timestamp
column types, and `Database`, an async engine with one-transaction-per-`write()` sessions.

Money columns are exact on every backend: `NUMERIC` on PostgreSQL, text on SQLite (which has no
decimal type). SQLite allows one writer at a time, so writes there queue on an in-process lock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, MetaData, Numeric, String, TypeDecorator, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeEngine

from billpay.core import jsoncodec

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

    DialectInsert = SqliteInsert | PostgresqlInsert


class Money(TypeDecorator[Decimal]):
    """An exact decimal column: NUMERIC where the database has one, text on SQLite."""

    impl = Numeric(30, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(30, 12, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value)
        exact = Decimal(str(value)).normalize()
        # normalize() writes 100 as 1E+2; keep whole numbers in plain digits.
        exponent = exact.as_tuple().exponent  # a letter for NaN and infinity
        return exact.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else exact


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Database:
    """An engine and its sessions.

    SQLite allows one writer at a time; rather than let concurrent writers fail with "database
    is locked", writes on SQLite queue on an in-process lock. PostgreSQL needs no such lock: the
    store takes row locks (`SELECT ... FOR UPDATE`) where a write depends on what it read.
    """

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        # JSON columns keep line-item amounts exact, as they are on the wire.
        kwargs: dict[str, Any] = {
            "json_serializer": jsoncodec.dumps,
            "json_deserializer": jsoncodec.loads,
        }
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database or ""
            if database in ("", ":memory:"):
                kwargs["poolclass"] = StaticPool
            else:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def insert(self, table: Any) -> DialectInsert:
        """`INSERT` for this database's dialect, which takes `ON CONFLICT` (`on_conflict_do_nothing`
        and `on_conflict_do_update`, the same on SQLite and PostgreSQL). Imported from the
        dialect's own module when first asked: the engine has loaded its dialect, and a start
        need not load the other (a tenth of SQLAlchemy's import)."""
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)

    async def create_tables(self, metadata: MetaData, *, reset: bool = False) -> None:
        async with self.engine.begin() as conn:
            if reset:
                await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.is_sqlite:
            async with self._write_lock, self.sessions() as session, session.begin():
                yield session
        else:
            async with self.sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def write_connection(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on a bare connection, no ORM session: for short statements run
        on every payables call (`billpay.store.slots`), where a session's cost shows."""
        if self.is_sqlite:
            async with self._write_lock, self.engine.begin() as connection:
                yield connection
        else:
            async with self.engine.begin() as connection:
                yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
