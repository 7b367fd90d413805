"""The App Homes the bot drew, whichever replica drew them, and the redraws changes ask of them:
the `home_views` table, one row per person and workspace.

A Home drawn records its person (`drawn`). A change to a workspace's bills marks its people's
Homes due a redraw (`mark_due`), so the replica that handled it, and any replica after it,
knows whose Home to draw again, though another replica drew it. A redraw is claimed before it is
drawn (`claim`): one conditional UPDATE that clears the mark (still due), with a claim of kind
`home` (`billpay.store.claims`) in the same transaction, so of two replicas only one draws it,
and a replica that dies before publishing leaves a claim a live one takes over. A change made
while a redraw is under way marks the Home due again: it is drawn once more, never missed.

The Slack edge (`billpay.slack.homes`) draws and publishes; nothing here knows what a Home shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import HomeView

KIND = "home"


@dataclass(frozen=True)
class Viewer:
    """A person whose Home the bot drew, and how to draw it for them."""

    team_id: str
    user_id: str
    locale: str
    time_zone: str


@dataclass(frozen=True)
class Redraw:
    """A redraw claimed: whose Home, and the subject of its claim."""

    viewer: Viewer
    subject: str


def _viewer(row: HomeView) -> Viewer:
    return Viewer(row.team_id, row.user_id, row.locale, row.time_zone)


def subject_of(team_id: str, user_id: str, n: int) -> str:
    return f"{team_id}:{user_id}#{n}"


def _parse(subject: str) -> tuple[str, str] | None:
    head, _, _n = subject.rpartition("#")
    team_id, _, user_id = head.partition(":")
    return (team_id, user_id) if team_id and user_id else None


async def drawn(db: Database, viewer: Viewer, now: datetime) -> None:
    """The person's Home was just published: later changes ask for it to be drawn again."""
    values = {
        "team_id": viewer.team_id,
        "user_id": viewer.user_id,
        "locale": viewer.locale,
        "time_zone": viewer.time_zone,
        "drawn_at": now,
        "redraws": 0,
    }
    kept = {"locale": viewer.locale, "time_zone": viewer.time_zone, "drawn_at": now}
    adding = db.insert(HomeView).values(values)
    adding = adding.on_conflict_do_update(index_elements=["team_id", "user_id"], set_=kept)
    async with db.write_connection() as connection:
        await connection.execute(adding)


async def mark_due(db: Database, team_id: str, now: datetime, most: int) -> list[str]:
    """A bill of the workspace changed: the Homes of its `most` latest viewers are due a redraw
    (those due already stay due from their first mark). Returns those people."""
    async with db.write() as s:
        users = list(
            await s.scalars(
                select(HomeView.user_id)
                .where(HomeView.team_id == team_id)
                .order_by(HomeView.drawn_at.desc(), HomeView.user_id)
                .limit(most)
            )
        )
        if users:
            await s.execute(
                update(HomeView)
                .where(
                    HomeView.team_id == team_id,
                    HomeView.user_id.in_(users),
                    HomeView.due_at.is_(None),
                )
                .values(due_at=now)
                .execution_options(synchronize_session=False)
            )
    return users


async def claim(
    db: Database, claimant: Claimant, team_id: str, user_id: str, now: datetime
) -> Redraw | None:
    """Claim the person's redraw if it is still due: None when it is not (drawn meanwhile by
    another replica, or never asked for)."""
    async with db.write() as s:
        result = await s.execute(
            update(HomeView)
            .where(
                HomeView.team_id == team_id,
                HomeView.user_id == user_id,
                HomeView.due_at.is_not(None),
            )
            .values(due_at=None, redraws=HomeView.redraws + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        row = await s.scalar(
            select(HomeView).where(HomeView.team_id == team_id, HomeView.user_id == user_id)
        )
        if row is None:  # pragma: no cover - updated just above, in this transaction
            return None
        subject = subject_of(team_id, user_id, row.redraws)
        claims.hold(s, claimant, KIND, subject, now)
        return Redraw(_viewer(row), subject)


async def due_before(db: Database, before: datetime, most: int) -> list[tuple[str, str]]:
    """Homes marked due before `before` and still not redrawn: left by a replica that stopped
    between a change and its redraw."""
    async with db.read() as s:
        rows = await s.execute(
            select(HomeView.team_id, HomeView.user_id)
            .where(HomeView.due_at.is_not(None), HomeView.due_at <= before)
            .order_by(HomeView.due_at)
            .limit(most)
        )
        return [(team_id, user_id) for team_id, user_id in rows]


async def viewer_of(db: Database, subject: str) -> Viewer | None:
    """Whose Home a redraw's claim is about (None once the workspace is forgotten)."""
    parsed = _parse(subject)
    if parsed is None:
        return None
    async with db.read() as s:
        row = await s.get(HomeView, parsed)
        return _viewer(row) if row is not None else None


async def forget(db: Database, team_id: str) -> None:
    """The workspace uninstalled the app: none of its Homes is drawn again until opened."""
    async with db.write() as s:
        await s.execute(
            delete(HomeView)
            .where(HomeView.team_id == team_id)
            .execution_options(synchronize_session=False)
        )
