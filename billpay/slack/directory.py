"""What the bot asks Slack about people, for the policy and delegation (`Directory` in
`billpay.bills.policy`): the members of a user group (`usergroups.users.list`), the user groups
there are (`usergroups.list`, for the policy form), and a person's role and status
(`users.info`). Nothing is cached: membership, roles and statuses apply as soon as they
change. A call that fails says "unknown" (None), and callers refuse rather than guess.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.policy import Standing

log = logging.getLogger(__name__)
# User groups offered in the policy form (a static select holds 100).
MAX_GROUPS = 100


class SlackDirectory:
    def __init__(self, clients: Callable[[str], AsyncWebClient]) -> None:
        self.clients = clients

    async def group_members(self, team_id: str, group_id: str) -> frozenset[str] | None:
        try:
            response = await self.clients(team_id).usergroups_users_list(usergroup=group_id)
        except (SlackApiError, SlackClientError) as exc:
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
        except (SlackApiError, SlackClientError) as exc:
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
        except (SlackApiError, SlackClientError) as exc:
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
