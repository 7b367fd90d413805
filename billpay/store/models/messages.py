"""What the bot posted and posts again: `/bills` messages and the cards in them, digest
subscriptions and their runs, and each person's App Home as last drawn."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from billpay.core.clock import utcnow
from billpay.store.db import UTCDateTime
from billpay.store.models.base import Base


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
