"""What Slack sends about an open view: type-ahead in an external select (`block_suggestion`),
a submission with its `state.values`, and a closing."""

from __future__ import annotations

from typing import Any

from slack_playground.inbound import element_state
from slack_playground.inbound.builder import PayloadBuilder
from slack_playground.signing import SignedRequest


class ViewPayloads(PayloadBuilder):
    def block_suggestion_payload(
        self, view: dict[str, Any], action_id: str, value: str, *, user_id: str = "U0ANA"
    ) -> dict[str, Any]:
        """What Slack sends while a person types in an external select of a modal."""
        current = self._current_view(view)
        found = element_state.find_element(current, action_id, None, None)
        if found.element.get("type") not in ("external_select", "multi_external_select"):
            raise AssertionError(f"{action_id!r} is not an external select")
        minimum = int(found.element.get("min_query_length", 3))
        if len(value) < minimum:
            raise AssertionError(f"Slack sends no suggestion request under {minimum} characters")
        current["state"] = {"values": element_state.state_values(current, {}, strict=False)}
        return {
            "type": "block_suggestion",
            "user": self._user(user_id),
            "container": {"type": "view", "view_id": current["id"]},
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "action_id": action_id,
            "block_id": found.block_id,
            "value": value,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": current,
        }

    def block_suggestion(
        self, view: dict[str, Any], action_id: str, value: str, *, user_id: str = "U0ANA"
    ) -> SignedRequest:
        return self._form(
            self.block_suggestion_payload(view, action_id, value, user_id=user_id), None
        )

    def view_submission_payload(
        self, view: dict[str, Any], inputs: dict[str, Any] | None = None, *, user_id: str = "U0ANA"
    ) -> dict[str, Any]:
        """A `view_submission` with `state.values` built from `inputs` (keyed by action_id).

        Inputs not given keep the element's initial value, as in Slack. Slack's client would
        not let the user submit an empty required input or an out-of-range value: asking for
        that raises AssertionError.
        """
        current = self._current_view(view)
        if current.get("type") != "modal" or not current.get("submit"):
            raise AssertionError("only a modal with a submit button can be submitted")
        current["state"] = {
            "values": element_state.state_values(current, inputs or {}, strict=True)
        }
        return {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.slack.new_trigger_id(view_id=current.get("id")),
            "view": current,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def view_submission(
        self,
        view: dict[str, Any],
        inputs: dict[str, Any] | None = None,
        *,
        user_id: str = "U0ANA",
        timestamp: int | None = None,
    ) -> SignedRequest:
        return self._form(self.view_submission_payload(view, inputs, user_id=user_id), timestamp)

    def view_closed_payload(self, view: dict[str, Any], user_id: str = "U0ANA") -> dict[str, Any]:
        current = self._current_view(view)
        if not current.get("notify_on_close"):
            raise AssertionError("Slack sends view_closed only for views with notify_on_close")
        current["state"] = {"values": element_state.state_values(current, {}, strict=False)}
        return {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": current,
            "is_cleared": False,
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def view_closed(
        self, view: dict[str, Any], user_id: str = "U0ANA", *, timestamp: int | None = None
    ) -> SignedRequest:
        return self._form(self.view_closed_payload(view, user_id), timestamp)
