"""A bill's case and what happens to it: where the bill came from, questions, decisions,
payments, and the audit trail of every action.

Every change of a bill case happens in one transaction guarded by its `version` column, and
payments carry a unique idempotency key, so two clicks, a Slack retry or two replicas cannot
pay twice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billpay.core.clock import utcnow
from billpay.core.domain import CaseState
from billpay.store.db import Money, UTCDateTime
from billpay.store.models.base import Base


class BillOrigin(Base):
    """Who brought a bill into being from Slack, and who they named as asking for it: people
    separation of duties keeps from approving it. Written once, with the `bill_created` audit
    event, and never changed; a company's bill ids are unique, whichever channel shows it."""

    __tablename__ = "bill_origins"
    __table_args__ = (UniqueConstraint("company_id", "bill_id", name="uq_bill_origins_bill"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    bill_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillCase(Base):
    """The bot's view of one bill in one linked channel: its state and last-read figures."""

    __tablename__ = "bill_cases"
    __table_args__ = (UniqueConstraint("link_id", "bill_id", name="uq_bill_cases_bill"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("company_links.id", ondelete="CASCADE"), index=True
    )
    bill_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=CaseState.PENDING)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    supplier_name: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Money)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    bill_status: Mapped[str] = mapped_column(String(16))
    # The platform's last-modified time of the bill as last read: an older read never
    # overwrites a newer one.
    bill_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    base_amount: Mapped[Decimal | None] = mapped_column(Money)
    rejected_by: Mapped[str | None] = mapped_column(String(32))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # When the bot first saw the bill, and when it last reminded approvers or escalated it: the
    # scheduler claims a reminder by moving `reminded_at` on in one conditional update.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many files the bill has in the accounting platform, as last read (None: not read).
    attachment_count: Mapped[int | None] = mapped_column(Integer)
    # The bill this one may duplicate, as last checked
    # (`billpay.bills.duplicates.Duplicate.to_json`).
    duplicate_of: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The invoice shared in the card's thread: {"state": "sharing" | "shared", "file_id",
    # "permalink"}. Set to "sharing" before the upload, so two clicks share it once.
    invoice_share: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # An invoice upload under way or failed: {"state": "failed" | "uploading", "name", "size",
    # "sha256", "by", "key" and "sent_at" (its Idempotency-Key, stored before it is sent),
    # "claimed_at"}, and "file_id" (the Slack file) for a new bill's invoice, which the card
    # then offers to retry (billpay.invoices.uploads). Cleared once the bill has a file.
    invoice_pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The amount due is the bot's arithmetic after a payment was recorded, until a read of the
    # bill reflects it (the platform's own figures then replace it).
    figures_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Question(Base):
    """A question asked about a bill in its card's thread; open until the asker or an approver
    resolves it. While one is open, paying needs an explicit override."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("bill_cases.id", ondelete="CASCADE"), index=True
    )
    asked_by: Mapped[str] = mapped_column(String(32))
    asked_of: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """One approval or rejection; a person approves a bill at most once."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id", "kind", name="uq_decisions_once_per_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("bill_cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # approve | reject
    user_id: Mapped[str] = mapped_column(String(32))
    # The approver this person decided for, as their delegate while they were away.
    on_behalf_of: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(Base):
    """One payment attempt. Its idempotency key is stored before the payables API is called and
    sent as `Idempotency-Key`, so retrying the same attempt can never record it twice."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("bill_cases.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    account_id: Mapped[str] = mapped_column(String(64))
    account_name: Mapped[str] = mapped_column(String(255))
    account_currency: Mapped[str] = mapped_column(String(3))
    # The company's base currency per one unit of the bill's: converts the payment into it.
    exchange_rate: Mapped[Decimal | None] = mapped_column(Money)
    base_currency: Mapped[str | None] = mapped_column(String(3))
    payment_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(255))
    requested_by: Mapped[str] = mapped_column(String(32))
    # The bill's amount due and status when this payment was reserved, read just before: what a
    # re-read is compared with to tell whether a payment whose answer was lost landed.
    due_before: Mapped[Decimal] = mapped_column(Money)
    status_before: Mapped[str | None] = mapped_column(String(16))
    # Attempt 2 of the same payment (after attempt 1 was found not to have landed) is a new row
    # with a new key, pointing at the attempt it follows.
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    # When the key was first sent: the API replays a key's answer only for a while.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A payment held so it can be undone goes out at `send_after`; the Pay modal that showed it
    # (if still open) is updated with the result.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    view_id: Mapped[str | None] = mapped_column(String(32))
    # How a payment in doubt was settled: replayed, read, confirmed or sent_again (a person's
    # word), refused_on_replay.
    reconciled: Mapped[str | None] = mapped_column(String(16))
    payables_payment_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # In doubt: since when, when the settler looks next, how often it looked, the bill as each
    # look read it, and whether the window closed without proof (a person decides).
    doubt_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    readings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    needs_person: Mapped[bool] = mapped_column(Boolean, default=False)
    # A settlement step in progress: which process holds it, and until when (its lease).
    settle_holder: Mapped[str | None] = mapped_column(String(64))
    settle_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Append-only: who did what to which bill, when. Nothing updates or deletes these rows."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(String(64))
    bill_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
