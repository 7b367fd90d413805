"""`billpay digest --dry-run`: each linked channel's digest computed as the scheduler computes
it, from the mirror and the bot's database, and printed in the terminal. Nothing is posted.

As the real digest, it makes no payables call for a company whose mirror was filled, and says
how fresh the mirror is (its last sync). It reads the company's outstanding bills live only when
asked (`--live`) or when the company's mirror was never filled (a company no channel links yet,
one whose first read did not finish), and says so; it ends with how many payables calls it made.

A channel's digest is shown as of its next scheduled run (its local time on its next weekday),
or as of now (`--now`) or a given instant (`--now 2026-11-23T09:00+00:00`). With the embedded
sandbox, "now" is noon UTC of the demo's today (`BILLPAY_SANDBOX_TODAY`), since its bills are
dated from it. A channel linked without a subscription yet is shown with the defaults; when no
channel is linked at all, each company of the backend is shown as a channel linked to it would
see it, so a fresh install can try the command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from rich.console import Console
from sqlalchemy import select

from billpay.bills.companies import linked_accounting
from billpay.config import Settings
from billpay.core.clock import utcnow
from billpay.digest.schedule import Subscription
from billpay.digest.service import ChannelDigest, compute_digests, read_outstanding
from billpay.digest.store import subscriptions_of_links
from billpay.digest.terminal import WIDTH, digest_panel
from billpay.mirror import store as mirror_store
from billpay.payables.backend import PayablesBackend
from billpay.payables.budget import CallBudget
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError
from billpay.payables.models import Bill
from billpay.runtime.startup import open_backend
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import CompanyLink

DIGEST_POSTING = (
    "Digests are posted by the scheduler inside `billpay run`, at each channel's time.\n"
    "To see what it would post, without posting: billpay digest --dry-run"
)

When = datetime | Literal["now"] | None


def parse_when(text: str | None) -> When:
    """None (each channel's next run), "now", or an instant (a naive one is UTC)."""
    if text is None:
        return None
    if text == "now":
        return "now"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date-time; write e.g. 2026-11-23T09:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _base_now(
    settings: Settings, backend: PayablesBackend, clock: Callable[[], datetime]
) -> datetime:
    if backend.embedded and settings.sandbox_today is not None:
        return datetime.combine(settings.sandbox_today, time(12, 0), UTC)
    return clock()


@dataclass(frozen=True)
class Source:
    """Where a company's bills came from: the mirror (as of its last sync) or a live read."""

    live: bool
    as_of: datetime | None = None
    never_filled: bool = False


class MirrorFirst:
    """The digest's bills from the mirror, as the scheduler reads them, or live when `live`
    was asked or the company's mirror was never filled; `sources` says which, per company."""

    def __init__(self, db: Database, client: PayablesClient, *, live: bool) -> None:
        self.db = db
        self.client = client
        self.live = live
        self.sources: dict[tuple[str, str], Source] = {}

    async def outstanding_of(self, company_id: str, connection_id: str) -> list[Bill]:
        key = (company_id, connection_id)
        state = await mirror_store.state(self.db, company_id, connection_id, mirror_store.BILLS)
        filled = state is not None and state.filled
        if filled and not self.live and state is not None:
            self.sources[key] = Source(live=False, as_of=state.last_sync)
            return await mirror_store.outstanding_bills(self.db, company_id, connection_id)
        self.sources[key] = Source(live=True, never_filled=not filled)
        return await read_outstanding(self.client, company_id, connection_id)


def source_note(source: Source | None, sub: Subscription, now: datetime) -> str:
    if source is None:
        return ""
    if source.live:
        if source.never_filled:
            return "Read live from the payables API: this company's mirror was never filled."
        return "Read live from the payables API (--live)."
    if source.as_of is None:  # pragma: no cover - a filled mirror has had a sync
        return "From the mirror."
    words = f"From the mirror, as of {source.as_of.astimezone(sub.zone):%a %d %b %H:%M} "
    words += sub.time_zone
    age = now - source.as_of
    if age >= timedelta(minutes=1):
        words += f" ({_age(age)} ago)"
    return words + "."


def _age(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


async def print_digests(
    settings: Settings,
    channels: Sequence[str],
    when: When,
    *,
    live: bool = False,
    clock: Callable[[], datetime] = utcnow,
    out: Console | None = None,
) -> int:
    out = out or Console(width=WIDTH, soft_wrap=False)
    err = Console(stderr=True, width=WIDTH)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    backend = await open_backend(settings)
    # Counts every payables request this command makes (it refuses none: no quota is set).
    counted = CallBudget(reserve=0)
    client = backend.client.with_budget(counted)
    try:
        subs, unknown = await _linked_channels(db, channels)
        for channel in unknown:
            err.print(f"[red]Channel {channel} is not linked to a company.[/red]", highlight=False)
        if not subs and not channels:
            try:
                subs = await _backend_companies(client)
            except PayablesError as exc:
                err.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
                return 1
            if subs:
                err.print(
                    "No channel is linked yet: showing what a channel linked to each company "
                    "would get.",
                    highlight=False,
                )
        if not subs:
            err.print("Nothing to show: no linked channel and no linked company.")
            return 1
        now = _base_now(settings, backend, clock)
        runs: list[tuple[Subscription, date]] = []
        notes: list[str] = []
        for sub in subs:
            at = now if when == "now" else when if when is not None else sub.next_run(now) or now
            day = sub.local_date(at)
            runs.append((sub, day))
            notes.append(_note(sub, day, as_of=at, scheduled=when is None))
        source = MirrorFirst(db, client, live=live)
        results = await compute_digests(db, source, runs, default_approvers=settings.approvers)
        real_now = clock()
        notes = [
            " ".join(
                part
                for part in (
                    note,
                    source_note(
                        source.sources.get(
                            (r.subscription.company_id, r.subscription.connection_id)
                        ),
                        r.subscription,
                        real_now,
                    ),
                )
                if part
            )
            for r, note in zip(results, notes, strict=True)
        ]
        posts = _print(out, err, results, notes, settings.default_locale)
        calls = sum(t.calls for t in counted.tallies())
        mirrored = sum(not s.live for s in source.sources.values())
        err.print(
            f"Dry run: {posts} message{'s' if posts != 1 else ''} would be posted "
            f"(one chat.postMessage per channel); bills of {mirrored} compan"
            f"{'ies' if mirrored != 1 else 'y'} read from the mirror, "
            f"{len(source.sources) - mirrored} live; {calls} payables call"
            f"{'s' if calls != 1 else ''}; nothing was posted.",
            highlight=False,
        )
        return 1 if any(r.error is not None for r in results) else 0
    finally:
        await backend.aclose()
        await db.dispose()


def _print(
    out: Console, err: Console, results: list[ChannelDigest], notes: list[str], locale: str
) -> int:
    posts = 0
    for result, note in zip(results, notes, strict=True):
        sub = result.subscription
        if result.error is not None or result.digest is None:
            err.print(
                f"[red]#{sub.channel_id}: the payables API is not answering as expected: "
                f"{result.error}[/red]",
                highlight=False,
            )
            continue
        digest = result.digest
        would_post = _would_post(sub, result.today) and (not digest.is_empty or sub.post_when_empty)
        posts += would_post
        if digest.is_empty:
            note = (note + " " if note else "") + (
                "Nothing needs attention: "
                + (
                    "the 'all clear' message would be posted."
                    if sub.post_when_empty
                    else "no message would be posted (post-when-empty is off)."
                )
            )
        out.print(digest_panel(digest, sub, locale=locale, note=note))
    return posts


def _would_post(sub: Subscription, day: date) -> bool:
    return not sub.paused and day.isoweekday() in sub.weekdays


def _note(sub: Subscription, day: date, *, as_of: datetime, scheduled: bool) -> str:
    where = f"{as_of.astimezone(sub.zone):%a %d %b %H:%M} {sub.time_zone}"
    words = f"As of the next run, {where}." if scheduled else f"As of {where}."
    if sub.id == 0:
        words += " No subscription yet: the defaults."
    if sub.paused:
        words += f" Paused ({sub.paused_reason or 'no reason given'}): nothing would be posted."
    elif day.isoweekday() not in sub.weekdays:
        words += " Not a digest day: nothing would be posted."
    return words


async def _linked_channels(
    db: Database, channels: Sequence[str]
) -> tuple[list[Subscription], list[str]]:
    """The linked channels (those given, or all) with their subscriptions or the defaults, and
    the channels given that are not linked."""
    async with db.read() as s:
        query = select(CompanyLink).where(CompanyLink.archived.is_(False))
        if channels:
            query = query.where(CompanyLink.channel_id.in_(list(channels)))
        links = list(await s.scalars(query.order_by(CompanyLink.id)))
    subscribed = await subscriptions_of_links(db, (link.id for link in links))
    subs = [subscribed.get(link.id) or _defaults(link) for link in links]
    found = {link.channel_id for link in links}
    return subs, [c for c in dict.fromkeys(channels) if c not in found]


def _defaults(link: CompanyLink) -> Subscription:
    return Subscription(
        id=0,
        link_id=link.id,
        team_id=link.team_id,
        channel_id=link.channel_id,
        company_id=link.company_id,
        connection_id=link.connection_id,
        company_name=link.company_name,
        base_currency=link.base_currency,
    )


async def _backend_companies(client: PayablesClient) -> list[Subscription]:
    subs = []
    async for company in client.iter_companies():
        connection = linked_accounting(company)
        if connection is None:
            continue
        info = await client.get_company_information(company.id, connection.id)
        subs.append(
            Subscription(
                id=0,
                link_id=0,
                team_id="",
                channel_id="(not linked)",
                company_id=company.id,
                connection_id=connection.id,
                company_name=info.company_name or company.name,
                base_currency=(info.base_currency or "GBP").upper(),
            )
        )
    return subs
