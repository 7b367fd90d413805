"""Requests as Slack sends them to an app: slash commands, interactions and events.

`SlackRequests` owns the shapes of Slack's inbound payloads. Each kind comes twice:
`*_payload(...)` returns the plain dict (what Socket Mode carries in an envelope's `payload`)
and the unsuffixed method returns a `SignedRequest`: the exact HTTP body (form-encoded or JSON)
with `X-Slack-Request-Timestamp` and `X-Slack-Signature` computed with Slack's v0 scheme.

Interactions are built from what `FakeSlack` stored: `click()` finds the element in the current
version of a message or view (and fails clearly if it is gone), `view_submission()` builds
`view.state.values` from the view's own input elements, the way Slack's client would.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from slack_playground.blockkit import INTERACTIVE_TYPES
from slack_playground.slack import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

__all__ = ["SignedRequest", "SlackRequests"]


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request from Slack: body bytes plus the signed headers."""

    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any] = field(default_factory=dict, compare=False)
    signing_secret: str = field(default="", repr=False, compare=False)

    @property
    def timestamp(self) -> int:
        return int(self.headers["X-Slack-Request-Timestamp"])

    @property
    def text(self) -> str:
        return self.body.decode()

    def with_timestamp(self, timestamp: int) -> SignedRequest:
        """The same body, correctly signed at another time (e.g. too old: a replay)."""
        return _signed(
            self.body, self.headers["Content-Type"], self.payload, self.signing_secret, timestamp
        )

    def with_signature(self, signature: str) -> SignedRequest:
        return replace(self, headers={**self.headers, "X-Slack-Signature": signature})

    def tampered(self) -> SignedRequest:
        """The body altered after signing (still parseable), headers unchanged."""
        extra = b"&tampered=1" if self.headers["Content-Type"] == FORM else b" "
        return replace(self, body=self.body + extra)


def _signed(
    body: bytes, content_type: str, payload: dict[str, Any], secret: str, timestamp: int
) -> SignedRequest:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature or "",
    }
    return SignedRequest(body=body, headers=headers, payload=payload, signing_secret=secret)


@dataclass
class _Found:
    element: dict[str, Any]
    block_id: str


class SlackRequests:
    """Builds (and signs) what Slack would send to the app for `slack`'s workspace."""

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

    # -- signing ---------------------------------------------------------------------------

    def sign(
        self,
        body: bytes,
        *,
        content_type: str = FORM,
        payload: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        when = int(self.clock()) if timestamp is None else timestamp
        return _signed(body, content_type, payload or {}, self.signing_secret, when)

    def _form(self, payload: dict[str, Any], timestamp: int | None) -> SignedRequest:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.sign(body, payload=payload, timestamp=timestamp)

    def _json(self, payload: dict[str, Any], timestamp: int | None) -> SignedRequest:
        return self.sign(
            json.dumps(payload).encode(), content_type=JSON, payload=payload, timestamp=timestamp
        )

    # -- common parts ----------------------------------------------------------------------

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str) -> dict[str, Any]:
        name = self.slack.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    # -- slash commands --------------------------------------------------------------------

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

    # -- block actions ---------------------------------------------------------------------

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
            payload["state"] = {"values": _state_values(current, {}, strict=False)}
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
                entered.setdefault(str(action["action_id"]), _entered(action))
            current_view["state"] = {"values": _state_values(current_view, entered, strict=False)}
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
        found = _find_element(current, action_id, value_contains, block_id_prefix)
        element, block_id = found.element, found.block_id
        kind = element["type"]
        action: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id}
        if kind == "button":
            action["text"] = element["text"]
            for key in ("value", "style", "url"):
                if key in element:
                    action[key] = element[key]
        elif kind in ("overflow", "static_select", "radio_buttons", "external_select"):
            action["selected_option"] = _pick(element, option_value, action_id)
        elif kind in ("checkboxes", "multi_static_select"):
            values = option_value if isinstance(option_value, list) else [option_value]
            action["selected_options"] = [_pick(element, v, action_id) for v in values]
        elif kind == "datepicker":
            action["selected_date"] = _need(option_value, action_id)
            if isinstance(option_value, date):
                action["selected_date"] = option_value.isoformat()
        elif kind == "timepicker":
            action["selected_time"] = _need(option_value, action_id)
        elif kind == "users_select":
            action["selected_user"] = _need(option_value, action_id)
        elif kind == "conversations_select":
            action["selected_conversation"] = _need(option_value, action_id)
        elif kind == "channels_select":
            action["selected_channel"] = _need(option_value, action_id)
        elif kind in ("plain_text_input", "number_input"):
            action["value"] = str(_need(option_value, action_id))
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
        if _is_view(message_or_view):
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

    # -- views -----------------------------------------------------------------------------

    def block_suggestion_payload(
        self, view: dict[str, Any], action_id: str, value: str, *, user_id: str = "U0ANA"
    ) -> dict[str, Any]:
        """What Slack sends while a person types in an external select of a modal."""
        current = self._current_view(view)
        found = _find_element(current, action_id, None, None)
        if found.element.get("type") not in ("external_select", "multi_external_select"):
            raise AssertionError(f"{action_id!r} is not an external select")
        minimum = int(found.element.get("min_query_length", 3))
        if len(value) < minimum:
            raise AssertionError(f"Slack sends no suggestion request under {minimum} characters")
        current["state"] = {"values": _state_values(current, {}, strict=False)}
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
        current["state"] = {"values": _state_values(current, inputs or {}, strict=True)}
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
        current["state"] = {"values": _state_values(current, {}, strict=False)}
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

    # -- events ----------------------------------------------------------------------------

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

    # -- lookups ---------------------------------------------------------------------------

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    def _current(self, message_or_view: dict[str, Any]) -> dict[str, Any]:
        if _is_view(message_or_view):
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


def _is_view(value: dict[str, Any]) -> bool:
    return value.get("type") in ("modal", "home") and "ts" not in value


def _elements(container: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, bool]]:
    """(element, block_id, in an input block) for every interactive element."""
    for block in container.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        children: list[Any] = [block.get("accessory")]
        if block.get("type") in ("actions", "context_actions"):
            children += block.get("elements") or []
        for child in children:
            if isinstance(child, dict) and child.get("type") in INTERACTIVE_TYPES:
                yield child, block_id, False
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            yield element, block_id, True


def _find_element(
    container: dict[str, Any],
    action_id: str,
    value_contains: str | None,
    block_id_prefix: str | None,
) -> _Found:
    found = [
        _Found(element, block_id)
        for element, block_id, _ in _elements(container)
        if element.get("action_id") == action_id
        and (block_id_prefix is None or block_id.startswith(block_id_prefix))
        and (value_contains is None or value_contains in str(element.get("value", "")))
    ]
    if len(found) > 1 and block_id_prefix is not None:
        # A prefix that is also a whole block id (card:B1 beside card:B10) means that block.
        found = [f for f in found if f.block_id == block_id_prefix] or found
    if len(found) == 1:
        return found[0]
    where = (
        f"view {container.get('id')}" if _is_view(container) else f"message {container.get('ts')}"
    )
    available = [
        f"{e.get('action_id')} ({e.get('type')}, block {b}"
        + (f", value {e['value']!r})" if "value" in e else ")")
        for e, b, _ in _elements(container)
    ]
    filters = ", ".join(
        f"{k}={v!r}"
        for k, v in (("value_contains", value_contains), ("block_id_prefix", block_id_prefix))
        if v is not None
    )
    problem = "no" if not found else f"{len(found)} (ambiguous)"
    raise AssertionError(
        f"{problem} interactive element with action_id {action_id!r}"
        f"{' and ' + filters if filters else ''} in {where}; elements there: "
        f"{available or 'none'}"
    )


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _pick(element: dict[str, Any], value: Any, action_id: str) -> dict[str, Any]:
    if isinstance(value, dict):  # an option object (external selects)
        return value
    for option in _all_options(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    values = [o.get("value") for o in _all_options(element)]
    raise AssertionError(f"{action_id!r} has no option with value {value!r}; options: {values}")


def _entered(action: dict[str, Any]) -> Any:
    """The value an action's element now holds, as `inputs` takes it."""
    if "selected_option" in action:
        return action["selected_option"]  # the option itself: external selects list none
    for key in ("value", "selected_date", "selected_time"):
        if key in action:
            return action[key]
    return None


def _need(value: Any, action_id: str) -> Any:
    if value is None:
        raise AssertionError(f"using {action_id!r} needs option_value= (the value picked)")
    return value


def _state_values(
    view: dict[str, Any], inputs: dict[str, Any], *, strict: bool
) -> dict[str, dict[str, Any]]:
    """`view.state.values` for `inputs` (action_id -> value), initial values elsewhere."""
    values: dict[str, dict[str, Any]] = {}
    given = dict(inputs)
    for element, block_id, in_input in _elements(view):
        action_id = element.get("action_id")
        kind = element.get("type")
        if kind in ("button", "overflow", "workflow_button", "feedback_buttons", "icon_button"):
            continue
        has_value = action_id in given
        state = _state_value(element, given.pop(str(action_id), None), has_value)
        if strict and in_input:
            _check_submittable(view, block_id, element, state)
        values.setdefault(block_id, {})[str(action_id)] = state
    if given:
        known = [e.get("action_id") for e, _, _ in _elements(view)]
        raise AssertionError(f"no input with action_id {sorted(given)} in the view; has {known}")
    return values


def _state_value(element: dict[str, Any], value: Any, has_value: bool) -> dict[str, Any]:
    kind = element["type"]
    action_id = str(element.get("action_id"))
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        current = value if has_value else element.get("initial_value")
        return {"type": kind, "value": None if current is None else str(current)}
    if kind in ("static_select", "radio_buttons", "external_select"):
        option: dict[str, Any] | None
        if has_value and value is not None:
            option = _pick(element, value, action_id)
        else:
            option = None if has_value else element.get("initial_option")
        return {"type": kind, "selected_option": copy.deepcopy(option)}
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        if has_value:
            picked = value if isinstance(value, list) else [value]
            options = [_pick(element, v, action_id) for v in picked if v is not None]
        else:
            options = copy.deepcopy(element.get("initial_options") or [])
        return {"type": kind, "selected_options": options}
    if kind == "datepicker":
        current = value if has_value else element.get("initial_date")
        if isinstance(current, date):
            current = current.isoformat()
        return {"type": kind, "selected_date": current}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value if has_value else element.get("initial_time")}
    if kind == "datetimepicker":
        current = value if has_value else element.get("initial_date_time")
        return {"type": kind, "selected_date_time": current}
    singles = {
        "users_select": ("selected_user", "initial_user"),
        "conversations_select": ("selected_conversation", "initial_conversation"),
        "channels_select": ("selected_channel", "initial_channel"),
        "multi_users_select": ("selected_users", "initial_users"),
        "multi_conversations_select": ("selected_conversations", "initial_conversations"),
        "multi_channels_select": ("selected_channels", "initial_channels"),
    }
    if kind in singles:
        key, initial = singles[kind]
        current = value if has_value else element.get(initial)
        if kind.startswith("multi_"):
            current = list(current or [])
        return {"type": kind, key: current}
    if kind == "rich_text_input":
        return {
            "type": kind,
            "rich_text_value": value if has_value else element.get("initial_value"),
        }
    if kind == "file_input":
        return {"type": kind, "files": list(value or [])}
    return {"type": kind}


def _check_submittable(
    view: dict[str, Any], block_id: str, element: dict[str, Any], state: dict[str, Any]
) -> None:
    block: dict[str, Any] = next(
        (b for b in view.get("blocks", []) if b.get("block_id") == block_id), {}
    )
    action_id = element.get("action_id")
    filled = [v for k, v in state.items() if k != "type" and v not in (None, "", [])]
    if not filled:
        if not block.get("optional"):
            raise AssertionError(
                f"input {action_id!r} is required: Slack would not let the user submit it empty"
            )
        return
    kind = element["type"]
    if kind == "plain_text_input":
        text = state["value"]
        if len(text) > element.get("max_length", 3000):
            raise AssertionError(f"{action_id!r} is longer than its max_length")
        if len(text) < element.get("min_length", 0):
            raise AssertionError(f"{action_id!r} is shorter than its min_length")
    elif kind == "number_input":
        try:
            number = float(state["value"])
        except ValueError:
            raise AssertionError(f"{action_id!r} must be a number") from None
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise AssertionError(f"{action_id!r} does not allow decimals")
        for key, outside in (("min_value", number.__lt__), ("max_value", number.__gt__)):
            if key in element and outside(float(element[key])):
                raise AssertionError(f"{action_id!r} is outside its {key} {element[key]}")
    elif kind == "datepicker":
        try:
            date.fromisoformat(state["selected_date"])
        except (TypeError, ValueError):
            raise AssertionError(f"{action_id!r} must be a YYYY-MM-DD date") from None
