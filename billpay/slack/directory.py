"""What the bot asks Slack about people, for the policy and delegation (`Directory` in
`billpay.bills.policy`): the members of a user group (`usergroups.users.list`), the user groups
there are (`usergroups.list`, for the policy form), and a person's role and status
(`users.info`). Roles and statuses are never cached. A group's members are read from Slack
for every decision (`fresh`, the default), so someone removed from the group no longer
approves; what only shows or reminds (the App Home's queue, the reminders' tick) takes them
from a cache of `GROUP_SECONDS` per workspace and group, so a refresh of many Homes or a tick
over many bills reads each group once. A call that fails, or a workspace that uninstalled the
app, says "unknown" (None), is not cached, and callers refuse rather than guess.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.policy import Standing
from billpay.slack.installations import NotInstalled

log = logging.getLogger(__name__)
# User groups offered in the policy form (a static select holds 100).
MAX_GROUPS = 100
# How long a group's members, read for display or reminders, are used again.
GROUP_SECONDS = 60.0
MAX_CACHED_GROUPS = 1000


class SlackDirectory:
    def __init__(
        self,
        clients: Callable[[str], AsyncWebClient],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self._monotonic = monotonic
        self._members: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def group_members(
        self, team_id: str, group_id: str, *, fresh: bool = True
    ) -> frozenset[str] | None:
        """The group's members; read from Slack when `fresh`, else as read within the last
        `GROUP_SECONDS`."""
        key = (team_id, group_id)
        cached = self._members.get(key)
        if not fresh and cached is not None and self._monotonic() - cached[0] < GROUP_SECONDS:
            return cached[1]
        members = await self._read_members(team_id, group_id)
        if members is not None:
            self._members.pop(key, None)
            self._members[key] = (self._monotonic(), members)
            while len(self._members) > MAX_CACHED_GROUPS:
                del self._members[next(iter(self._members))]
        return members

    async def _read_members(self, team_id: str, group_id: str) -> frozenset[str] | None:
        try:
            response = await self.clients(team_id).usergroups_users_list(usergroup=group_id)
        except (SlackApiError, SlackClientError, NotInstalled) as exc:
            log.warning("usergroups.users.list failed for %s: %r", group_id, exc)
            return None
        users = response.get("users")
        if not isinstance(users, list):
            return None
        return frozenset(u for u in users if isinstance(u, str))

    async def groups(self, team_id: str) -> list[tuple[str, str]]:
        """The workspace's user groups as (id, `@handle`), for the policy form."""
        try:
            response = await self.clients(team_id).usergroups_list()
        except (SlackApiError, SlackClientError, NotInstalled) as exc:
            log.warning("usergroups.list failed: %r", exc)
            return []
        found = []
        for group in response.get("usergroups") or []:
            if isinstance(group, dict) and isinstance(group.get("id"), str):
                handle = str(group.get("handle") or group.get("name") or group["id"])
                found.append((group["id"], "@" + handle))
        return found[:MAX_GROUPS]

    async def standing(self, team_id: str, user_id: str) -> Standing | None:
        try:
            response = await self.clients(team_id).users_info(user=user_id)
        except (SlackApiError, SlackClientError, NotInstalled) as exc:
            log.warning("users.info failed for %s: %r", user_id, exc)
            return None
        user: dict[str, Any] = response.get("user") or {}
        profile: dict[str, Any] = user.get("profile") or {}
        expiration = profile.get("status_expiration")
        return Standing(
            user_id=user_id,
            is_admin=user.get("is_admin") is True,
            is_owner=user.get("is_owner") is True or user.get("is_primary_owner") is True,
            is_bot=user.get("is_bot") is True or user_id == "USLACKBOT",
            deleted=user.get("deleted") is True,
            is_guest=user.get("is_restricted") is True or user.get("is_ultra_restricted") is True,
            status_emoji=str(profile.get("status_emoji") or ""),
            status_text=str(profile.get("status_text") or ""),
            status_expiration=expiration if isinstance(expiration, int) else 0,
        )
