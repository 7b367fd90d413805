"""The sandbox's own database: tables for the payables records and the engine that holds them.

The sandbox keeps its state in its own SQLAlchemy metadata (tables prefixed `sandbox_`), so it
can share a database with the bot without either touching the other's tables. Money columns are
exact on every backend: `NUMERIC` on PostgreSQL, text on SQLite (which has no decimal type).
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

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    event,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeEngine

from bot import jsoncodec


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
        return Decimal(str(value)).normalize() if dialect.name != "sqlite" else Decimal(value)


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


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "sandbox_companies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Connection(Base):
    __tablename__ = "sandbox_connections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_companies.id", ondelete="CASCADE"), index=True
    )
    platform_key: Mapped[str] = mapped_column(String(8))
    platform_name: Mapped[str] = mapped_column(String(64))
    integration_id: Mapped[str] = mapped_column(String(36))
    source_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    base_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Supplier(Base):
    __tablename__ = "sandbox_suppliers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    supplier_name: Mapped[str] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(255))
    email_address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    addresses: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="Active")
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    default_currency: Mapped[str | None] = mapped_column(String(3))
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bill(Base):
    __tablename__ = "sandbox_bills"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str | None] = mapped_column(String(255))
    supplier_id: Mapped[str] = mapped_column(String(64))
    supplier_name: Mapped[str | None] = mapped_column(String(255))
    issue_date: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    due_date: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    currency: Mapped[str] = mapped_column(String(3))
    currency_rate: Mapped[Decimal | None] = mapped_column(Money)
    line_items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    total_amount: Mapped[Decimal] = mapped_column(Money)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillPayment(Base):
    __tablename__ = "sandbox_bill_payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    bill_id: Mapped[str] = mapped_column(ForeignKey("sandbox_bills.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(String(64))
    currency_rate: Mapped[Decimal | None] = mapped_column(Money)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankAccount(Base):
    __tablename__ = "sandbox_bank_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    nominal_code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    account_type: Mapped[str] = mapped_column(String(16))
    account_number: Mapped[str | None] = mapped_column(String(64))
    sort_code: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerAccount(Base):
    """An account from the chart of accounts that bill lines can be coded to."""

    __tablename__ = "sandbox_ledger_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    nominal_code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxRate(Base):
    __tablename__ = "sandbox_tax_rates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(32))
    effective_tax_rate: Mapped[Decimal] = mapped_column(Money)
    total_tax_rate: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="Active")


class Attachment(Base):
    __tablename__ = "sandbox_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    bill_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_bills.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    date_created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The stored outcome of a request made with an `Idempotency-Key`, replayed on a repeat."""

    __tablename__ = "sandbox_idempotency_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Database:
    """The sandbox's engine and sessions.

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

    async def create_tables(self, *, reset: bool = False) -> None:
        async with self.engine.begin() as conn:
            if reset:
                await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)

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

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
