"""Digest subscriptions and runs in the bot's database.

A linked channel has at most one subscription (`create_subscription` is idempotent, also when
two requests race). Each day's digest of a subscription is one `digest_runs` row, unique on
(subscription, local date): `claim_run` inserts it, with its claim (`billpay.store.claims`, kind
"digest", subject `run_subject`), and answers whether this caller won, so when several replicas
run the scheduler exactly one posts; `keep_run` renews the claim just before posting;
`record_run` writes how it ended and marks the claim done. A run whose holder died before
recording it is taken over by a live replica (`take_over_runs`) and posted then, or recorded as
missed when it is past the grace window.

Settings are checked here before they are stored (`billpay.digest.schedule` words the mistakes), and
every function returns plain `Subscription` values, never ORM rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.core.clock import utcnow
from billpay.core.i18n import N_
from billpay.digest.schedule import (
    DEFAULT_GRACE,
    DEFAULT_TIME_ZONE,
    Subscription,
    check_look_ahead,
    parse_local_time,
    parse_time_zone,
    parse_weekdays,
)
from billpay.digest.settings_form import DigestSettings
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import CompanyLink, DigestRun, DigestSubscription, connection_paused

log = logging.getLogger(__name__)

# `missed`: taken over from a replica that died, too late to post (or its channel paused).
RunStatus = Literal["claimed", "posted", "empty", "failed", "missed"]
MAX_REASON = 500
CLAIM_KIND = "digest"


class SubscriptionNotFound(LookupError):
    """No digest subscription (or no linked channel) with that id."""


@dataclass(frozen=True)
class Run:
    subscription_id: int
    local_date: date
    status: str
    message_ts: str | None
    blocks: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def _view(row: DigestSubscription, link: CompanyLink) -> Subscription:
    return Subscription(
        id=row.id,
        link_id=link.id,
        team_id=link.team_id,
        channel_id=link.channel_id,
        company_id=link.company_id,
        connection_id=link.connection_id,
        company_name=link.company_name,
        base_currency=link.base_currency,
        local_time=row.local_time,
        time_zone=row.time_zone,
        weekdays=tuple(row.weekdays),
        look_ahead_days=row.look_ahead_days,
        post_when_empty=row.post_when_empty,
        paused=row.paused,
        paused_reason=row.paused_reason,
        created_by=row.created_by,
    )


def _with_link() -> Select[DigestSubscription, CompanyLink]:
    return select(DigestSubscription, CompanyLink).join(
        CompanyLink, CompanyLink.id == DigestSubscription.link_id
    )


async def _one(s: AsyncSession, *where: ColumnElement[bool]) -> Subscription | None:
    found = (await s.execute(_with_link().where(*where))).first()
    return _view(found[0], found[1]) if found is not None else None


async def create_subscription(
    db: Database,
    link_id: int,
    *,
    created_by: str,
    time_zone: str = DEFAULT_TIME_ZONE,
    now: datetime | None = None,
) -> Subscription:
    """The link's subscription, created with the defaults (09:00, Monday to Friday, 7 days
    ahead, quiet when nothing is due) in `time_zone` if it has none yet."""
    parse_time_zone(time_zone)
    existing = await subscription_for_link(db, link_id)
    if existing is not None:
        return existing
    moment = now or utcnow()
    try:
        async with db.write() as s:
            if await s.get(CompanyLink, link_id) is None:
                raise SubscriptionNotFound(f"no linked channel with id {link_id}")
            s.add(
                DigestSubscription(
                    link_id=link_id,
                    time_zone=time_zone.strip(),
                    created_by=created_by,
                    created_at=moment,
                    updated_at=moment,
                )
            )
    except IntegrityError:
        pass  # created meanwhile by another request: that one stands
    created = await subscription_for_link(db, link_id)
    assert created is not None
    return created


async def subscription_for_link(db: Database, link_id: int) -> Subscription | None:
    async with db.read() as s:
        return await _one(s, DigestSubscription.link_id == link_id)


async def get_subscription(db: Database, subscription_id: int) -> Subscription | None:
    async with db.read() as s:
        return await _one(s, DigestSubscription.id == subscription_id)


async def active_subscriptions(db: Database) -> list[Subscription]:
    """Subscriptions that are not paused, of channels still linked, oldest first."""
    async with db.read() as s:
        rows = await s.execute(
            _with_link()
            .where(
                DigestSubscription.paused.is_(False),
                CompanyLink.archived.is_(False),
                ~connection_paused(),  # skipped while its company's connection is not Linked
            )
            .order_by(DigestSubscription.id)
        )
        return [_view(row[0], row[1]) for row in rows]


async def subscriptions_of_links(db: Database, link_ids: Iterable[int]) -> dict[int, Subscription]:
    """The subscriptions of these links, by link id (links without one are left out)."""
    ids = list(link_ids)
    if not ids:
        return {}
    async with db.read() as s:
        rows = await s.execute(_with_link().where(DigestSubscription.link_id.in_(ids)))
        return {sub.link_id: sub for sub in (_view(row[0], row[1]) for row in rows)}


async def update_subscription(
    db: Database,
    subscription_id: int,
    *,
    local_time: str | time | None = None,
    time_zone: str | None = None,
    weekdays: Iterable[int | str] | None = None,
    look_ahead_days: int | None = None,
    post_when_empty: bool | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Change the settings given (the others stay). Raises `InvalidSchedule` with the words
    for a person when one cannot be used (`25:00`, an unknown zone, no weekday, a look-ahead
    outside 1 to 31 days); nothing is changed then."""
    changes: dict[str, object] = {}
    if local_time is not None:
        changes["local_time"] = parse_local_time(local_time)
    if time_zone is not None:
        parse_time_zone(time_zone)
        changes["time_zone"] = time_zone.strip()
    if weekdays is not None:
        changes["weekdays"] = list(parse_weekdays(weekdays))
    if look_ahead_days is not None:
        changes["look_ahead_days"] = check_look_ahead(look_ahead_days)
    if post_when_empty is not None:
        changes["post_when_empty"] = bool(post_when_empty)
    return await _change(db, subscription_id, changes, now)


async def pause_subscription(
    db: Database, subscription_id: int, reason: str, *, now: datetime | None = None
) -> Subscription:
    """Stop posting, saying why (e.g. the bot was removed from the channel): a marked message,
    kept as its id and translated when shown."""
    reason = " ".join(reason.split())[:MAX_REASON] or N_("paused")
    return await _change(db, subscription_id, {"paused": True, "paused_reason": reason}, now)


async def resume_subscription(
    db: Database, subscription_id: int, *, now: datetime | None = None
) -> Subscription:
    return await _change(db, subscription_id, {"paused": False, "paused_reason": None}, now)


async def save_settings(db: Database, subscription_id: int, form: DigestSettings) -> Subscription:
    """A channel's digest as a settings form set it: saved, and resumed if it was paused."""
    saved = await update_subscription(
        db,
        subscription_id,
        local_time=form.local_time,
        time_zone=form.time_zone,
        weekdays=form.weekdays,
        look_ahead_days=form.look_ahead_days,
        post_when_empty=form.post_when_empty,
    )
    if saved.paused:
        saved = await resume_subscription(db, saved.id)
    return saved


async def _change(
    db: Database, subscription_id: int, changes: dict[str, object], now: datetime | None
) -> Subscription:
    async with db.write() as s:
        row = await s.get(DigestSubscription, subscription_id, with_for_update=True)
        if row is None:
            raise SubscriptionNotFound(f"no digest subscription with id {subscription_id}")
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = now or utcnow()
    found = await get_subscription(db, subscription_id)
    if found is None:  # pragma: no cover - deleted with its link meanwhile
        raise SubscriptionNotFound(f"no digest subscription with id {subscription_id}")
    return found


def run_subject(subscription_id: int, local_date: date) -> str:
    """The claim's subject of a day's run: `<subscription id>@<local date>`."""
    return f"{subscription_id}@{local_date.isoformat()}"


def _run_of(subject: str) -> tuple[int, date]:
    subscription_id, _, day = subject.partition("@")
    return int(subscription_id), date.fromisoformat(day)


async def claim_run(
    db: Database,
    subscription_id: int,
    local_date: date,
    *,
    now: datetime | None = None,
    claimant: Claimant | None = None,
) -> bool:
    """Claim the digest of `local_date`: True for the one caller that inserted the run (and
    holds its claim, for `claimant`'s lease), False for every other (another replica, a second
    tick, a retry). Raises `SubscriptionNotFound` when the subscription does not exist."""
    moment = now or utcnow()
    try:
        async with db.write() as s:
            s.add(
                DigestRun(
                    subscription_id=subscription_id,
                    local_date=local_date,
                    status="claimed",
                    created_at=moment,
                )
            )
            claims.hold(
                s,
                claimant or Claimant.for_this_process(),
                CLAIM_KIND,
                run_subject(subscription_id, local_date),
                moment,
            )
    except IntegrityError:
        if await get_run(db, subscription_id, local_date) is None:
            raise SubscriptionNotFound(
                f"no digest subscription with id {subscription_id}"
            ) from None
        return False
    return True


async def keep_run(
    db: Database, claimant: Claimant, subscription_id: int, local_date: date, now: datetime
) -> bool:
    """Renew the run's claim just before posting it: False when another replica took it over
    (this one was slower than its lease), and must then leave the posting to it."""
    subject = run_subject(subscription_id, local_date)
    return await claims.keep(db, claimant, CLAIM_KIND, subject, now)


async def take_over_runs(
    db: Database, claimant: Claimant, now: datetime, *, grace: timedelta = DEFAULT_GRACE
) -> list[tuple[Subscription, date]]:
    """The runs left claimed by a replica that died (their lease passed, not recorded), taken
    over by `claimant`, to post now. A run past the grace window, or of a channel whose digest
    was paused meanwhile, is recorded as missed instead (its subscription gone: its claim is
    only marked done)."""
    due = []
    for held in await claims.take_over_expired(db, claimant, [CLAIM_KIND], now):
        subscription_id, day = _run_of(held.subject)
        sub = await get_subscription(db, subscription_id)
        if sub is None:
            await claims.done(db, CLAIM_KIND, held.subject, now)
            continue
        if sub.paused or not sub.run_at(day) + grace > now:
            why = "paused" if sub.paused else "past the grace window"
            log.warning("the digest of %s for %s was missed (%s)", sub.channel_id, day, why)
            await record_run(db, sub.id, day, "missed", error=why, now=now)
            continue
        due.append((sub, day))
    return due


async def record_run(
    db: Database,
    subscription_id: int,
    local_date: date,
    status: RunStatus,
    *,
    message_ts: str | None = None,
    blocks: int | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """How a claimed run ended: `posted` (with the message's ts and block count), `empty`
    (nothing was due and the channel doesn't want empty digests), `failed` (with why) or
    `missed`; its claim is marked done in the same transaction."""
    async with db.write() as s:
        run = await s.scalar(
            select(DigestRun)
            .where(DigestRun.subscription_id == subscription_id, DigestRun.local_date == local_date)
            .with_for_update()
        )
        if run is None:
            raise LookupError(f"the run of {local_date} was never claimed")
        moment = now or utcnow()
        run.status = status
        run.message_ts = message_ts
        run.blocks = blocks
        run.error = error[:2000] if error else None
        run.finished_at = moment
        await claims.finish(s, CLAIM_KIND, run_subject(subscription_id, local_date), moment)


async def get_run(db: Database, subscription_id: int, local_date: date) -> Run | None:
    async with db.read() as s:
        run = await s.scalar(
            select(DigestRun).where(
                DigestRun.subscription_id == subscription_id, DigestRun.local_date == local_date
            )
        )
    if run is None:
        return None
    return Run(
        subscription_id=run.subscription_id,
        local_date=run.local_date,
        status=run.status,
        message_ts=run.message_ts,
        blocks=run.blocks,
        error=run.error,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )
