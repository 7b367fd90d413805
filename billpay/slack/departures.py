"""With one workspace (`SLACK_BOT_TOKEN`), whether it uninstalled the app: the mark Slack's
`app_uninstalled` (or `tokens_revoked` naming the bot's tokens) leaves in the database, so every
replica and a restart see it, until a start finds the configured token answering for the
workspace again (`billpay.slack.returning`). While marked, what the bot does on its own there
stops, as with many workspaces when one uninstalls (`installed_teams`, `present`). With many
workspaces (OAuth) the installations are the record instead (`billpay.slack.installations`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select

from billpay.store.db import Database
from billpay.store.models import CompanyLink, SlackDeparture


class Departures:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def mark(self, team_id: str, kind: str) -> bool:
        """The workspace is gone; True when this marked it (Slack sends two events for one
        uninstall, maybe to two replicas: the first one marks)."""
        values = {"team_id": team_id, "kind": kind, "since": self.clock()}
        adding = self.db.insert(SlackDeparture).values(values).on_conflict_do_nothing()
        async with self.db.write_connection() as connection:
            result = await connection.execute(adding)
        return bool(result.rowcount)

    async def away(self) -> set[str]:
        async with self.db.read() as s:
            return set(await s.scalars(select(SlackDeparture.team_id)))

    async def present(self, team_id: str) -> bool:
        """Whether the bot may still speak in the workspace (the publisher's `installed`)."""
        async with self.db.read() as s:
            return await s.get(SlackDeparture, team_id) is None

    async def installed_teams(self) -> set[str] | None:
        """The scheduler's filter: None while no workspace is marked (one query, on a table
        that is empty but for an uninstall), else every workspace with a linked channel but
        the marked ones."""
        away = await self.away()
        if not away:
            return None
        async with self.db.read() as s:
            teams = set(await s.scalars(select(CompanyLink.team_id).distinct()))
        return teams - away

    async def clear(self, team_id: str) -> bool:
        """The workspace is back; True when this cleared the mark."""
        async with self.db.write() as s:
            result = await s.execute(
                delete(SlackDeparture).where(SlackDeparture.team_id == team_id)
            )
            return bool(getattr(result, "rowcount", 0))
