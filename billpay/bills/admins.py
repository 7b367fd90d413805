"""Who may change the bot's settings (a channel's policy, the list of admins): the workspace's
admins and owners as Slack says now, the people `BILLPAY_ADMINS` names, and those an admin
added with `/billpay admins add`. Everyone else is refused with the names of who can. Adding and
removing an admin is audited with the list before and after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from billpay.bills.policy import Directory
from billpay.config import Settings
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.store.db import Database
from billpay.store.models import AuditEvent, SettingsAdmin


class Admins:
    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        # Slack, to read a person's role in the workspace (set with the Slack app).
        self.directory: Directory | None = None
        # With many workspaces, who installed the app in a workspace: its first admin.
        self.installer_of: Callable[[str], Awaitable[str | None]] | None = None

    async def named(self, team_id: str) -> list[str]:
        """The people named to change settings: configured, the workspace's installer (with
        many workspaces), then added in Slack."""
        async with self.db.read() as s:
            added = await s.scalars(
                select(SettingsAdmin.user_id)
                .where(SettingsAdmin.team_id == team_id)
                .order_by(SettingsAdmin.added_at, SettingsAdmin.user_id)
            )
            found = list(added)
        installer = await self.installer_of(team_id) if self.installer_of is not None else None
        return list(
            dict.fromkeys([*self.settings.admins, *([installer] if installer else []), *found])
        )

    async def may_change(self, team_id: str, user_id: str) -> bool:
        if user_id in await self.named(team_id):
            return True
        if self.directory is None:
            return False
        standing = await self.directory.standing(team_id, user_id)
        return (
            standing is not None and standing.is_person and (standing.is_admin or standing.is_owner)
        )

    async def require(self, team_id: str, user_id: str) -> None:
        """Raise `Denied`, naming who may, unless this person may change settings."""
        if await self.may_change(team_id, user_id):
            return
        named = await self.named(team_id)
        if named:
            raise Denied(
                N_(
                    "Only the workspace's admins and owners, and {people}, can change these "
                    "settings. Nothing was changed."
                ),
                people=", ".join(f"<@{user}>" for user in named),
            )
        raise Denied(
            N_(
                "Only the workspace's admins and owners can change these settings. Nothing "
                "was changed."
            )
        )

    async def add(self, team_id: str, channel_id: str, actor: str, user_id: str) -> bool:
        """Name someone to change settings; False when they already were."""
        await self.require(team_id, actor)
        if self.directory is not None:
            standing = await self.directory.standing(team_id, user_id)
            if standing is not None and not standing.is_person:
                raise Denied(
                    N_("{person} is not a person who can change settings."), person=f"<@{user_id}>"
                )
        before = await self.named(team_id)
        if user_id in before:
            return False
        async with self.db.write() as s:
            if await s.get(SettingsAdmin, (team_id, user_id)) is not None:
                return False
            s.add(
                SettingsAdmin(
                    team_id=team_id, user_id=user_id, added_by=actor, added_at=self.clock()
                )
            )
            self._audit(s, team_id, channel_id, actor, "admin_added", before, [*before, user_id])
        return True

    async def remove(self, team_id: str, channel_id: str, actor: str, user_id: str) -> bool:
        """Take someone off the list; False when they were not on it. Those configured stay
        until the configuration changes, which is said."""
        await self.require(team_id, actor)
        if user_id in self.settings.admins:
            raise Denied(
                N_(
                    "{person} is named in the bot's configuration (BILLPAY_ADMINS); they stay "
                    "until it changes."
                ),
                person=f"<@{user_id}>",
            )
        before = await self.named(team_id)
        async with self.db.write() as s:
            row = await s.get(SettingsAdmin, (team_id, user_id))
            if row is None:
                return False
            await s.delete(row)
            after = [user for user in before if user != user_id]
            self._audit(s, team_id, channel_id, actor, "admin_removed", before, after)
        return True

    def _audit(
        self,
        s: Any,
        team_id: str,
        channel_id: str,
        actor: str,
        action: str,
        before: list[str],
        after: list[str],
    ) -> None:
        s.add(
            AuditEvent(
                at=self.clock(),
                team_id=team_id,
                channel_id=channel_id,
                actor=actor,
                action=action,
                details={"before": before, "after": after},
            )
        )


def admins_phrase(named: list[str]) -> Phrase:
    """Who is named to change settings, for `/billpay admins`."""
    if not named:
        return Phrase(N_("Only the workspace's admins and owners can change the bot's settings."))
    return Phrase(
        N_("The workspace's admins and owners can change the bot's settings, and {people}."),
        people=", ".join(f"<@{user}>" for user in named),
    )
