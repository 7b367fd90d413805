"""The sandbox's own tables for the payables records.

The sandbox keeps its state in its own SQLAlchemy metadata (tables prefixed `sandbox_`), so it
can share a database with the bot without either touching the other's tables.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from payables_sandbox.database import Database, Money, SortedText, UTCDateTime, new_id, utcnow

__all__ = ["Base", "Database", "new_id", "utcnow"]


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
    # Lists page in SQL: by name (as `listing.name_key` orders), by status, by last change.
    __table_args__ = (
        Index("ix_sandbox_suppliers_listing", "connection_id", "name_key", "id"),
        Index("ix_sandbox_suppliers_modified", "connection_id", "source_modified_date"),
    )

    id: Mapped[str] = mapped_column(SortedText(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    supplier_name: Mapped[str] = mapped_column(String(255))
    # The name case-folded, the list's sort key; kept by `_keep_name_key` on every write.
    name_key: Mapped[str] = mapped_column(SortedText(255), default="")
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
    # List bills pages in SQL in `bills.bill_key`'s order, within a status or not.
    __table_args__ = (
        Index("ix_sandbox_bills_listing", "connection_id", "due_date", "issue_date", "id"),
        Index("ix_sandbox_bills_status", "connection_id", "status", "due_date", "issue_date", "id"),
        Index("ix_sandbox_bills_modified", "connection_id", "source_modified_date"),
    )

    id: Mapped[str] = mapped_column(SortedText(64), primary_key=True, default=new_id)
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


def name_key(name: str | None) -> str:
    """What suppliers (and other named options) are ordered by: the name case-folded."""
    return (name or "").casefold()


class BillPayment(Base):
    __tablename__ = "sandbox_bill_payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    bill_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_bills.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(String(64))
    currency_rate: Mapped[Decimal | None] = mapped_column(Money)
    # The amount in the company's base currency that `currency_rate` implies (amount * rate).
    base_amount: Mapped[Decimal | None] = mapped_column(Money)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A payment that needs approval (Sage Intacct) is left out of reads until `approved_at`.
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # A payment made in the platform (`Sandbox.pay_in_platform`) shows in reads from then on.
    visible_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a read that cannot see this payment yet shows instead: the bill's last-modified
    # time before it, and how much it moved its supplier's balance.
    bill_modified_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    balance_change: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class BankAccount(Base):
    __tablename__ = "sandbox_bank_accounts"

    id: Mapped[str] = mapped_column(SortedText(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    nominal_code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(SortedText(255), default="")
    account_type: Mapped[str] = mapped_column(String(16))
    account_number: Mapped[str | None] = mapped_column(String(64))
    sort_code: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerAccount(Base):
    """An account from the chart of accounts that bill lines can be coded to."""

    __tablename__ = "sandbox_ledger_accounts"

    id: Mapped[str] = mapped_column(SortedText(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    nominal_code: Mapped[str | None] = mapped_column(SortedText(32))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    source_modified_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxRate(Base):
    __tablename__ = "sandbox_tax_rates"

    id: Mapped[str] = mapped_column(SortedText(64), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_connections.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(SortedText(255), default="")
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


def _keep_name_key(target: Any, value: str | None, _old: object, _initiator: object) -> None:
    target.name_key = name_key(value)


event.listen(Supplier.supplier_name, "set", _keep_name_key)
event.listen(BankAccount.name, "set", _keep_name_key)
event.listen(TaxRate.name, "set", _keep_name_key)


class IdempotencyRecord(Base):
    """A POST or PATCH made with an `Idempotency-Key`: in progress (`status_code` None) or done,
    with the answer it got, replayed to a repeat of the same request until `expires`."""

    __tablename__ = "sandbox_idempotency_keys"

    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)


class SchemaVersion(Base):
    """The shape of the sandbox's tables; a database of another shape is dropped and re-seeded
    (the sandbox's data is demo data, so starting afresh is the whole migration)."""

    __tablename__ = "sandbox_schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)


SCHEMA_VERSION = 4
