"""The Events API: `event_callback` envelopes around an event, and the `url_verification`
challenge."""

from __future__ import annotations

import copy
from typing import Any

from slack_playground.inbound.builder import PayloadBuilder
from slack_playground.signing import SignedRequest


class EventPayloads(PayloadBuilder):
    def event_payload(
        self, event: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        """An Events API `event_callback` envelope around `event`."""
        self._events += 1
        now = int(self.clock())
        inner = copy.deepcopy(event)
        inner.setdefault("event_ts", f"{now}.{self._events:06d}")
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._events:08d}FAKE",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.slack.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, timestamp: int | None = None
    ) -> SignedRequest:
        return self._json(self.event_payload(event, event_id=event_id), timestamp)

    def url_verification_payload(self, challenge: str) -> dict[str, Any]:
        return {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }

    def url_verification(self, challenge: str, *, timestamp: int | None = None) -> SignedRequest:
        return self._json(self.url_verification_payload(challenge), timestamp)
