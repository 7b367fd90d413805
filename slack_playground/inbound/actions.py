"""Block actions: a person using a button, menu, select, picker or input on a stored message or
in an open view (`click()` finds the element by its `action_id`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_playground.inbound import element_state
from slack_playground.inbound.builder import PayloadBuilder
from slack_playground.signing import SignedRequest


class ActionPayloads(PayloadBuilder):
    def block_action_payload(
        self,
        action: dict[str, Any],
        *,
        user_id: str = "U0ANA",
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A `block_actions` payload for one action on a message or in a view; in a view,
        `inputs` (by action_id) are what the person has typed so far, as `state` carries it,
        and the action's own value counts as entered.

        `message` and `view` are refreshed from what the fake stores (Slack sends the
        current version). For a message the channel is found from its ts unless given.
        """
        if (message is None) == (view is None):
            raise ValueError("give exactly one of message= or view=")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": "",
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if message is not None:
            current, channel = self._current_message(message, channel_id)
            if container is None:
                container = {
                    "type": "message",
                    "message_ts": current["ts"],
                    "channel_id": channel,
                    "is_ephemeral": False,
                }
                if current.get("thread_ts") and current["thread_ts"] != current["ts"]:
                    container["thread_ts"] = current["thread_ts"]
            payload["container"] = container
            payload["trigger_id"] = self.slack.new_trigger_id()
            payload["channel"] = {"id": channel, "name": self.slack.channel_name(channel)}
            payload["message"] = current
            payload["state"] = {"values": element_state.state_values(current, {}, strict=False)}
            payload["response_url"] = self.slack.new_response_url(
                channel_id=channel, user_id=user_id, message_ts=current["ts"]
            )
        else:
            assert view is not None
            current_view = self._current_view(view)
            payload["container"] = container or {"type": "view", "view_id": current_view["id"]}
            payload["trigger_id"] = self.slack.new_trigger_id(view_id=current_view.get("id"))
            entered = dict(inputs or {})
            if action.get("action_id") is not None and action.get("type") not in (
                "button",
                "overflow",
                "workflow_button",
            ):
                entered.setdefault(str(action["action_id"]), element_state.entered(action))
            current_view["state"] = {
                "values": element_state.state_values(current_view, entered, strict=False)
            }
            payload["view"] = current_view
        payload["actions"] = [{**action, "action_ts": self._action_ts()}]
        return payload

    def block_action(
        self,
        action: dict[str, Any],
        *,
        user_id: str = "U0ANA",
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        payload = self.block_action_payload(
            action,
            user_id=user_id,
            channel_id=channel_id,
            message=message,
            container=container,
            view=view,
        )
        return self._form(payload, timestamp)

    def action_for(
        self,
        message_or_view: dict[str, Any],
        action_id: str,
        *,
        value_contains: str | None = None,
        block_id_prefix: str | None = None,
        option_value: Any = None,
    ) -> dict[str, Any]:
        """The `actions[0]` entry Slack sends when the user uses the element `action_id`.

        Buttons need nothing more; overflow menus, selects and radio buttons need
        `option_value` (the value of the option picked); pickers and user/conversation selects
        take the picked value in `option_value` as well.
        """
        current = self._current(message_or_view)
        found = element_state.find_element(current, action_id, value_contains, block_id_prefix)
        element, block_id = found.element, found.block_id
        kind = element["type"]
        action: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id}
        if kind == "button":
            action["text"] = element["text"]
            for key in ("value", "style", "url"):
                if key in element:
                    action[key] = element[key]
        elif kind in ("overflow", "static_select", "radio_buttons", "external_select"):
            action["selected_option"] = element_state.pick(element, option_value, action_id)
        elif kind in ("checkboxes", "multi_static_select"):
            values = option_value if isinstance(option_value, list) else [option_value]
            action["selected_options"] = [element_state.pick(element, v, action_id) for v in values]
        elif kind == "datepicker":
            action["selected_date"] = element_state.need(option_value, action_id)
            if isinstance(option_value, date):
                action["selected_date"] = option_value.isoformat()
        elif kind == "timepicker":
            action["selected_time"] = element_state.need(option_value, action_id)
        elif kind == "users_select":
            action["selected_user"] = element_state.need(option_value, action_id)
        elif kind == "conversations_select":
            action["selected_conversation"] = element_state.need(option_value, action_id)
        elif kind == "channels_select":
            action["selected_channel"] = element_state.need(option_value, action_id)
        elif kind in ("plain_text_input", "number_input"):
            action["value"] = str(element_state.need(option_value, action_id))
        else:
            raise AssertionError(f"clicking a {kind!r} element is not supported by the fake")
        if "placeholder" in element and kind.endswith("select"):
            action["placeholder"] = element["placeholder"]
        return action

    def click_payload(
        self,
        message_or_view: dict[str, Any],
        action_id: str,
        *,
        user_id: str = "U0ANA",
        value_contains: str | None = None,
        block_id_prefix: str | None = None,
        option_value: Any = None,
        channel_id: str | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The `block_actions` payload for using `action_id` on a stored message or view
        (in a view, `inputs` is what else the person has entered there)."""
        action = self.action_for(
            message_or_view,
            action_id,
            value_contains=value_contains,
            block_id_prefix=block_id_prefix,
            option_value=option_value,
        )
        if element_state.is_view(message_or_view):
            return self.block_action_payload(
                action, user_id=user_id, view=message_or_view, inputs=inputs
            )
        return self.block_action_payload(
            action, user_id=user_id, message=message_or_view, channel_id=channel_id
        )

    def click(
        self,
        message_or_view: dict[str, Any],
        action_id: str,
        *,
        user_id: str = "U0ANA",
        value_contains: str | None = None,
        block_id_prefix: str | None = None,
        option_value: Any = None,
        channel_id: str | None = None,
        timestamp: int | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> SignedRequest:
        payload = self.click_payload(
            message_or_view,
            action_id,
            user_id=user_id,
            value_contains=value_contains,
            block_id_prefix=block_id_prefix,
            option_value=option_value,
            channel_id=channel_id,
            inputs=inputs,
        )
        return self._form(payload, timestamp)
