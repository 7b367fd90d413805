"""What the replicas share to work together: claims with a lease, each company's places for
payables requests in flight, and the payables calls counted per company and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billpay.store.db import UTCDateTime
from billpay.store.models.base import Base


class Claim(Base):
    """Work the scheduler claimed, with a lease: who holds it and until when
    (`billpay.store.claims`). Inserted in the transaction that decides who does the work, marked
    done in the one that records its end; a claim past its lease and not done was left by a
    holder that died, and a live replica takes it over."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("kind", "subject", name="uq_claims_once"),
        Index("ix_claims_open", "done_at", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What is claimed: "digest" (subject "<subscription id>@<local date>"), or a nudge kind,
    # "remind", "escalate" or "approved_by_policy" (subject "<case id>@<time claimed>"), or
    # "home" (a Home's redraw, subject "<team>:<user>#<n>"), among others.
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(64))
    # The process holding it: "<host>:<pid>:<random>", new for each start.
    holder: Mapped[str] = mapped_column(String(96))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # How many times it was held: 1 for its first holder, one more for each takeover.
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayablesSlot(Base):
    """One of a company's places for a request in flight to the payables API, shared by every
    replica (`billpay.store.slots`): free when `holder` is null or its lease has passed."""

    __tablename__ = "payables_slots"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The request holding it: "<process holder>#<n>", so only it gives the place back.
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayablesCallCount(Base):
    """Calls one replica made to the payables API for one company on one UTC day, by priority
    (`billpay.payables.budget`), written every half minute, with the API's last word on the
    quota (`X-Rate-Limit-*`) as this replica heard it. `company_id` is empty for calls that name
    no company."""

    __tablename__ = "payables_call_counts"
    __table_args__ = (
        UniqueConstraint("company_id", "day", "replica", name="uq_payables_call_counts_replica"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    replica: Mapped[str] = mapped_column(String(96))
    payment: Mapped[int] = mapped_column(Integer, default=0)
    display: Mapped[int] = mapped_column(Integer, default=0)
    sync: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    quota_limit: Mapped[int | None] = mapped_column(Integer)
    quota_remaining: Mapped[int | None] = mapped_column(Integer)
    quota_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
