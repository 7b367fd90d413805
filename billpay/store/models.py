"""SQLAlchemy models of the bot's state, one class per table.

Every change of a bill case happens in one transaction guarded by its `version` column
(SQLAlchemy raises `StaleDataError` when another transaction changed the row first), and payments
carry a unique idempotency key, so two clicks, a Slack retry or two replicas cannot pay twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
    exists,
    false,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from billpay.core.clock import utcnow
from billpay.core.domain import CaseState as CaseState
from billpay.core.domain import PaymentStatus as PaymentStatus
from billpay.store.db import Money, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CompanyLink(Base):
    """A Slack channel linked to one payables company and connection."""

    __tablename__ = "company_links"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_company_links_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(48))
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(255))
    base_currency: Mapped[str] = mapped_column(String(3))
    linked_by: Mapped[str] = mapped_column(String(32))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A channel re-linked to another company keeps its old link, archived, with its history.
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The connection's accounting platform ("Xero"), named in what the bot says about payments.
    platform_name: Mapped[str | None] = mapped_column(String(64))
    # The language of what the bot says to the channel (Babel's spelling, e.g. fr_FR): the
    # linker's when linked, changed with `/billpay language`; none for links made before it
    # was kept, which read the configured default.
    language: Mapped[str | None] = mapped_column(String(16))


class PendingConnection(Base):
    """A connection `/billpay connect` asked for that waits to be authorised at its linkUrl:
    the channel it links once Linked (the webhook says so, or a poll reads it), the message
    that says it waits there, and when to read it next. Kept once done, with how it ended."""

    __tablename__ = "pending_connections"
    __table_args__ = (
        UniqueConstraint("company_id", "connection_id", name="uq_pending_connections_connection"),
        Index("ix_pending_connections_next_check_at", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(48))
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(255))
    platform_name: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(32))
    # The requester's language and time zone: the channel's and its digest's once linked.
    language: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # The channel's "waiting" message, turned into the linked one (or the given-up one).
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # waiting → linked | expired | replaced (another connect in the channel took its place)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a poll reads the connection next (None: done); `checks` counts them, for the backoff.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Policy(Base):
    """A channel's own approvals policy; channels without one follow the configured default."""

    __tablename__ = "policies"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("company_links.id", ondelete="CASCADE"), primary_key=True
    )
    approvers: Mapped[list[str]] = mapped_column(JSON, default=list)
    payers: Mapped[list[str]] = mapped_column(JSON, default=list)
    dual_approval_threshold: Mapped[Decimal | None] = mapped_column(Money)
    approver_may_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    # A Slack user group whose members approve too, read from Slack at each decision.
    approver_group: Mapped[str | None] = mapped_column(String(32))
    # Hours between reminders of a bill waiting for approval (0: none; None: the configured).
    reminder_hours: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SettingsAdmin(Base):
    """Someone a workspace admin named to change the bot's settings besides Slack's own admins
    and owners (`/billpay admins add`)."""

    __tablename__ = "settings_admins"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delegation(Base):
    """Who decides in a person's place while they are away (`/billpay away`): from `starts_on`
    to `ends_on` whatever their Slack status says, and whenever their status says they are away
    when no dates are given."""

    __tablename__ = "delegations"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    delegate_id: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class BillMessage(Base):
    """A `/bills` message in a channel: which page of which listing it shows (its filter and
    page; the summary line is counted again from them when a card changes), so that it can be
    re-rendered in place. A message retired as out of date is never updated again and its
    buttons do nothing."""

    __tablename__ = "bill_messages"
    __table_args__ = (UniqueConstraint("channel_id", "ts", name="uq_bill_messages_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("company_links.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    filter_text: Mapped[str] = mapped_column(String(255), default="")
    page: Mapped[int] = mapped_column(Integer, default=0)
    bill_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The message's summary counts only the bills on its cards (a new bill's own card), not
    # every bill its filter matches.
    cards_only: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_date: Mapped[bool] = mapped_column(Boolean, default=False)
    # Posted for one new bill (by `posted_by`): headed as that bill, without a count.
    new_bill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64))
    posted_by: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class BillMessageCard(Base):
    """A bill shown as a card on a `/bills` message: how a change of one bill finds every
    message to update, without reading them all."""

    __tablename__ = "bill_message_cards"
    __table_args__ = (
        UniqueConstraint("message_id", "bill_id", name="uq_bill_message_cards_card"),
        Index("ix_bill_message_cards_bill", "link_id", "bill_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("bill_messages.id", ondelete="CASCADE"))
    link_id: Mapped[int] = mapped_column(Integer)
    bill_id: Mapped[str] = mapped_column(String(64))


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


class DigestSubscription(Base):
    """A linked channel's daily digest: when it goes out (a local time on some weekdays, in an
    IANA time zone), how far ahead it looks, and whether it is paused and why."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("link_id", name="uq_digest_subscriptions_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("company_links.id", ondelete="CASCADE"))
    local_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # ISO weekday numbers, 1 (Monday) to 7 (Sunday).
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1, 2, 3, 4, 5])
    look_ahead_days: Mapped[int] = mapped_column(Integer, default=7)
    post_when_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DigestRun(Base):
    """One day's digest of one subscription. The row is inserted before the digest is posted
    and the pair (subscription, local date) is unique, so inserting it is the claim: when
    several replicas run the scheduler, exactly one of them gets to post that day. Its lease
    (who posts it, until when) is a `Claim` inserted with it."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        UniqueConstraint("subscription_id", "local_date", name="uq_digest_runs_once_a_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    message_ts: Mapped[str | None] = mapped_column(String(32))
    blocks: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


# The one connection status through which Bill Pay can write (Codat's spelling).
LINKED = "Linked"


class ConnectionHealthRow(Base):
    """What the bot last learned of a company's connection to its accounting platform: its
    status as Codat names it (`Linked`, `Deauthorized`, `Unlinked`, `PendingAuth`), where the
    company links it again, and whether the change was announced. A connection that is not
    Linked pauses what would write through it (`connection_paused`). One row per connection:
    a change is one conditional update, so two replicas seeing it change it once."""

    __tablename__ = "connection_health"
    __table_args__ = (
        UniqueConstraint("company_id", "connection_id", name="uq_connection_health_connection"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    connection_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    link_url: Mapped[str | None] = mapped_column(Text)
    platform_name: Mapped[str | None] = mapped_column(String(64))
    # When the status last changed; while not Linked, the figures the bot shows are from then.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The next live read on the schedule, and how many in a row failed (the backoff).
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    check_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Whether the pause (True) or the resumption (False) was last announced: the claim that
    # makes one replica say it, once.
    announced_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def connection_paused() -> ColumnElement[bool]:
    """True for a `CompanyLink` whose connection the bot last saw as not Linked: a clause for
    queries of work that waits meanwhile (scheduled payments, reminders, digests)."""
    return exists(
        select(ConnectionHealthRow.id).where(
            and_(
                ConnectionHealthRow.company_id == CompanyLink.company_id,
                ConnectionHealthRow.connection_id == CompanyLink.connection_id,
                ConnectionHealthRow.status != LINKED,
            )
        )
    )


class WebhookDelivery(Base):
    """A webhook from the payables API, once per message id (`webhook-id`): the API delivers at
    least once and retries for about a day, so a repeat finds its row and is not worked again.
    Received (with a claim, `billpay.store.claims`, kind "webhook") before the answer goes out,
    processed after; rows older than three days are pruned (`billpay.webhooks.inbox`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_webhook_deliveries_message_id"),
        Index("ix_webhook_deliveries_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(96))
    company_id: Mapped[str | None] = mapped_column(String(64))
    # The verified body, kept until it is processed (a replica that died leaves it to another).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "done", "ignored" (an event the bot has no use for) or "failed: <why>".
    outcome: Mapped[str | None] = mapped_column(String(255))


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


# ---------------------------------------------------------------- the mirror (`billpay.mirror`)


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


class HomeView(Base):
    """A person's App Home as the bot last drew it, whichever replica drew it, and whether a
    change since asks for it to be drawn again (`billpay.store.home_views`): so a change handled
    by any replica reaches every Home it affects, and one replica draws each redraw."""

    __tablename__ = "home_views"
    __table_args__ = (Index("ix_home_views_due", "due_at"),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # How the Home is drawn for them (Babel's spelling of their locale, their time zone).
    locale: Mapped[str] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Since when a change asks for a redraw (None: the Home is up to date as far as known).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Redraws claimed so far: names each redraw's claim ("<team>:<user>#<n>").
    redraws: Mapped[int] = mapped_column(Integer, default=0)


# Slack's installations, one per workspace that installed the app through OAuth, and the OAuth
# flow's states: slack_sdk's `AsyncSQLAlchemyInstallationStore` and `AsyncSQLAlchemyOAuthStateStore`
# read and write them (`billpay.slack.installations`). Their definitions are slack_sdk's own,
# built into the bot's metadata so that migration 0021 creates them and the migrations test
# keeps the two in step; `tests/store/test_slack_tables.py` compares them with the stores'.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SQLAlchemyOAuthStateStore.default_table_name
)
