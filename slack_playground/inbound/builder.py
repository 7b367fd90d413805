"""What every request Slack sends has in common: the workspace and app it comes from, its
signing, the team and user objects, and the current version of a stored message or view (Slack
sends what it holds now, not what the app first posted)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from slack_playground.inbound import element_state
from slack_playground.signing import FORM, JSON, SignedRequest, signed
from slack_playground.slack import FakeSlack


class PayloadBuilder:
    """The workspace and app requests come from, and what every kind of request is built with."""

    def __init__(
        self,
        signing_secret: str,
        slack: FakeSlack,
        team_id: str | None = None,
        team_domain: str | None = None,
        *,
        api_app_id: str | None = None,
        verification_token: str = "verification-token",  # noqa: S107
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Team and app default to `slack`'s (T0001, acme, A0BILLPAY)."""
        self.signing_secret = signing_secret
        self.slack = slack
        self.team_id = team_id or slack.team_id
        self.team_domain = team_domain or slack.team_domain
        self.api_app_id = api_app_id or slack.app_id
        self.verification_token = verification_token
        self.clock = clock
        self._events = 0

    def sign(
        self,
        body: bytes,
        *,
        content_type: str = FORM,
        payload: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        when = int(self.clock()) if timestamp is None else timestamp
        return signed(body, content_type, payload or {}, self.signing_secret, when)

    def _form(self, payload: dict[str, Any], timestamp: int | None) -> SignedRequest:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.sign(body, payload=payload, timestamp=timestamp)

    def _json(self, payload: dict[str, Any], timestamp: int | None) -> SignedRequest:
        return self.sign(
            json.dumps(payload).encode(), content_type=JSON, payload=payload, timestamp=timestamp
        )

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str) -> dict[str, Any]:
        name = self.slack.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    def _current(self, message_or_view: dict[str, Any]) -> dict[str, Any]:
        if element_state.is_view(message_or_view):
            return self._current_view(message_or_view)
        return self._current_message(message_or_view, None)[0]

    def _current_message(
        self, message: dict[str, Any], channel_id: str | None
    ) -> tuple[dict[str, Any], str]:
        ts = message.get("ts")
        if not ts:
            raise AssertionError("the message has no ts: pass a message the fake stored")
        channel = channel_id or message.get("channel") or self.slack.channel_of(ts)
        if channel is None:
            raise AssertionError(f"no stored message with ts {ts}: pass channel_id=")
        try:
            stored = self.slack.message(channel, ts)
        except KeyError:
            stored = message  # a message the fake did not see (e.g. built by the test)
        current = copy.deepcopy(stored)
        current.pop("channel", None)
        return current, channel

    def _current_view(self, view: dict[str, Any]) -> dict[str, Any]:
        stored = self.slack.views.get(view.get("id", ""))
        if stored is None and view.get("id"):
            raise AssertionError(f"view {view['id']} is no longer open in the fake")
        return copy.deepcopy(stored if stored is not None else view)
