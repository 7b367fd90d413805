"""Slash commands and message shortcuts: what a person invokes by typing a command or picking a
shortcut on a message."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from slack_playground.inbound.builder import PayloadBuilder
from slack_playground.signing import SignedRequest


class CommandPayloads(PayloadBuilder):
    def command_payload(
        self,
        command: str = "/bills",
        text: str = "",
        user_id: str = "U0ANA",
        user_name: str | None = None,
        channel_id: str = "C0FIN",
        channel_name: str | None = None,
    ) -> dict[str, str]:
        """The form fields of a slash command, in Slack's order (all strings).

        Names default to the fake's (`slack.user_name`, `slack.channel_name`): ana, finance.
        """
        user_name = user_name or self.slack.user_name(user_id)
        channel_name = channel_name or self.slack.channel_name(channel_id)
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(channel_id=channel_id, user_id=user_id),
            "trigger_id": self.slack.new_trigger_id(),
        }

    def command(
        self,
        command: str = "/bills",
        text: str = "",
        user_id: str = "U0ANA",
        user_name: str | None = None,
        channel_id: str = "C0FIN",
        channel_name: str | None = None,
        *,
        timestamp: int | None = None,
    ) -> SignedRequest:
        fields = self.command_payload(command, text, user_id, user_name, channel_id, channel_name)
        return self.sign(urlencode(fields).encode(), payload=fields, timestamp=timestamp)

    def message_action_payload(
        self,
        message: dict[str, Any],
        callback_id: str,
        *,
        user_id: str = "U0ANA",
        channel_id: str | None = None,
    ) -> dict[str, Any]:
        """A message shortcut used on a stored message (or a message dict with a `ts`)."""
        try:
            current, channel = self._current_message(message, channel_id)
        except (AssertionError, KeyError, ValueError):
            current, channel = copy.deepcopy(message), channel_id or "C0FIN"
        return {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": self._action_ts(),
            "team": self._team(),
            "user": self._user(user_id),
            "channel": {"id": channel, "name": self.slack.channel_name(channel)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.slack.new_trigger_id(),
            "response_url": self.slack.new_response_url(
                channel_id=channel, user_id=user_id, message_ts=current.get("ts")
            ),
            "message_ts": current.get("ts"),
            "message": current,
        }

    def message_action(
        self,
        message: dict[str, Any],
        callback_id: str,
        *,
        user_id: str = "U0ANA",
        channel_id: str | None = None,
    ) -> SignedRequest:
        payload = self.message_action_payload(
            message, callback_id, user_id=user_id, channel_id=channel_id
        )
        return self._form(payload, None)
