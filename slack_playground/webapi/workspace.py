"""The workspace's own methods: `api.test`, `auth.test` (for the calling token's workspace),
`apps.connections.open` (Socket Mode's
URL), `users.info` and `conversations.info` (defaults, merged with `users` and `channels`
overrides: a user's `profile` with its `status_emoji`, `status_text` and `status_expiration`,
`is_admin`, `is_owner`…), and the user groups (`usergroups.list`, `usergroups.users.list`)
a test sets in `usergroups`."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_playground.socket_mode import SocketModeFake
from slack_playground.webapi.calls import SlackError, truthy
from slack_playground.webapi.teams import TeamsAndOAuth


class WorkspaceMethods(TeamsAndOAuth):
    """`api.test`, `auth.test`, `apps.connections.open`, `users.info`, `conversations.info`."""

    # Socket Mode, once enabled (`FakeSlack.enable_socket_mode`).
    socket: SocketModeFake | None = None

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in args.items() if isinstance(v, str)}}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        """For the workspace whose token made the call."""
        team = self.teams[self.calling_team]
        return {
            "ok": True,
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": self.bot_name,
            "team_id": team.team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket is None:
            raise SlackError("not_allowed")
        return {"ok": True, "url": self.socket.new_url()}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user")
        if not user_id:
            raise SlackError("user_not_found", problems=["missing required argument: user"])
        user_id = str(user_id)
        if user_id[:1] not in ("U", "W"):
            raise SlackError("user_not_found")
        override = self.users.get(user_id, {})
        tz = str(override.get("tz", "Europe/London"))
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": self.user_name(user_id),
            "real_name": self.user_name(user_id).title(),
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": _tz_offset(tz),
            "locale": "en-GB",
        }
        user.update(copy.deepcopy(override))
        # Slack always sends the status, empty when none is set.
        profile = {
            "real_name": user["real_name"],
            "display_name": user["name"],
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
        }
        profile.update(copy.deepcopy(override.get("profile", {})))
        user["profile"] = profile
        if not truthy(args.get("include_locale")):
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        groups = [
            {
                "id": group_id,
                "team_id": self.team_id,
                "handle": group.get("handle", group_id.lower()),
                "name": group.get("name", group_id),
                "is_usergroup": True,
                "user_count": len(group.get("users", [])),
                **(
                    {"users": list(group.get("users", []))}
                    if truthy(args.get("include_users"))
                    else {}
                ),
            }
            for group_id, group in self.usergroups.items()
        ]
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group_id = args.get("usergroup")
        if not group_id:
            raise SlackError("invalid_arguments", problems=["missing required argument: usergroup"])
        group = self.usergroups.get(str(group_id))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(group.get("users", []))}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        info: dict[str, Any] = {
            "id": channel,
            "name": "finance",
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": channel not in self.not_in_channel,
        }
        info.update(copy.deepcopy(self.channels.get(channel, {})))
        return {"ok": True, "channel": info}


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0
