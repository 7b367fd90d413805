"""The health of each company's connection to its accounting platform, the clause for work
that waits while it is not Linked, and the webhooks received from the payables API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from billpay.store.db import UTCDateTime
from billpay.store.models.base import Base
from billpay.store.models.links import CompanyLink

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
