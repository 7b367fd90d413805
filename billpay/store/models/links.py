"""Channels linked to companies (and those waiting for a company to connect), each link's
policy, the settings' administrators, and delegations of approval."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billpay.core.clock import utcnow
from billpay.store.db import Money, UTCDateTime
from billpay.store.models.base import Base


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
