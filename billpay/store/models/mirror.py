"""The mirror's tables (`billpay.mirror`): bills, suppliers and mapping options as the payables
API last showed them, and each connection's sync state."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billpay.store.db import Money, UTCDateTime
from billpay.store.models.base import Base


class MirroredBill(Base):
    """One bill of a linked company as the payables API last showed it, whatever its status:
    what displays read (`billpay.mirror`), never what money moves on. `body` is the bill's
    JSON as the API sent it, so the bill can be rebuilt whole."""

    __tablename__ = "mirrored_bills"
    __table_args__ = (
        UniqueConstraint("company_id", "connection_id", "bill_id", name="uq_mirrored_bills_bill"),
        Index("ix_mirrored_bills_due", "company_id", "connection_id", "status", "due_date"),
        # A supplier's bills, and those a bill may duplicate (the same supplier and total).
        Index(
            "ix_mirrored_bills_supplier",
            "company_id",
            "connection_id",
            "supplier_id",
            "total_amount",
        ),
        Index("ix_mirrored_bills_reference", "company_id", "connection_id", "reference"),
        # A `/bills` page in its order, holding every figure its summary counts and sums
        # (`billpay.bills.listing_sql`): neither reads the rows, whose JSON is large.
        Index(
            "ix_mirrored_bills_listing",
            "company_id",
            "connection_id",
            "due_date",
            "supplier_folded",
            "reference_folded",
            "bill_id",
            "status",
            "currency",
            "owed_units",
            "owed_fraction",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    bill_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    supplier_id: Mapped[str | None] = mapped_column(String(64))
    supplier_name: Mapped[str | None] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))
    # The supplier's name and the reference with case and accents folded away
    # (`billpay.core.search.folded`; "" when there is none): what `/bills <text>` searches and
    # orders by.
    supplier_folded: Mapped[str] = mapped_column(Text, default="")
    reference_folded: Mapped[str] = mapped_column(Text, default="")
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Money)
    amount_due: Mapped[Decimal | None] = mapped_column(Money)
    # What is still owed (`amount_due`, else `total_amount`) as its whole units and its twelve
    # decimal places, each an integer: integers sum exactly on every database
    # (`billpay.mirror.store.owed_parts`).
    owed_units: Mapped[int] = mapped_column(BigInteger, default=0)
    owed_fraction: Mapped[int] = mapped_column(BigInteger, default=0)
    # `sourceModifiedDate` as the API wrote it (queries name it back exactly), and as a moment.
    source_modified: Mapped[str | None] = mapped_column(String(40))
    source_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The bill's attachments as last listed, and the `sourceModifiedDate` they were listed at:
    # a bill that has not changed since has the same files.
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    attachments_for: Mapped[str | None] = mapped_column(String(40))


class MirroredSupplier(Base):
    """One supplier of a linked company as the payables API last showed it."""

    __tablename__ = "mirrored_suppliers"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "connection_id", "supplier_id", name="uq_mirrored_suppliers_supplier"
        ),
        Index("ix_mirrored_suppliers_name", "company_id", "connection_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    supplier_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(24))
    balance: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    source_modified: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MirroredOptions(Base):
    """A connection's bill or payment mapping options as last read (`kind`: "bill", "payment")."""

    __tablename__ = "mirrored_options"
    __table_args__ = (
        UniqueConstraint("company_id", "connection_id", "kind", name="uq_mirrored_options_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MirrorState(Base):
    """How far the mirror of one dataset ("bills", "suppliers") of a connection has read: the
    highest `sourceModifiedDate` seen (the next incremental read starts an overlap before it),
    when it was last read whole and last read incrementally, a fill's progress, and the last
    error. The "bills" row also numbers the syncs (`generation`), which names each sync's
    claim (`billpay.store.claims`), says whether another was asked for meanwhile, and where
    the periodic re-read of the outstanding bills, taken in slices, has got to
    (`billpay.mirror.slices`)."""

    __tablename__ = "mirror_state"
    __table_args__ = (
        UniqueConstraint("company_id", "connection_id", "dataset", name="uq_mirror_state_dataset"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(16))
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_full_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_incremental_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A fill under way: records read so far, and how many there are when the API tells.
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The re-read's cycle: when its last slice is due, how many slices it has, how many were
    # read, and the `sourceModifiedDate` the slices read so far reach to (the next one's start).
    cycle_ends: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cycle_slices: Mapped[int | None] = mapped_column(Integer)
    cycle_read: Mapped[int | None] = mapped_column(Integer)
    sliced_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
