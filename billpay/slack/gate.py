"""The gate in front of Bolt: a request that is signed but shaped so that Bolt would crash on
it is refused with a 400 before Bolt reads it.

Bolt trusts the shape of a signed payload. Before any listener (and so before the error
boundary, `boundary.py`) runs, it builds the request's context from the body
(`slack_bolt.request.async_internals.build_async_context`), hands every middleware, listener
matcher and error handler all the payload's parts (`slack_bolt.request.payload_utils`:
`to_action` is `body["actions"][0]`, `to_view` reads `body["view"]["callback_id"]` and
`["type"]`, ...) and matches listeners against ids it expects to be strings (a pattern
listener searches them). A payload of another shape raises there, and the exception raised
again while Bolt builds its error handler's arguments escapes as a 500 with a traceback.

`refusal(body, headers, signing_secret)` says why a request is refused, or None to let Bolt
have it: an unsigned request (401, as Bolt answers), a body that is not UTF-8 or whose payload
is not a JSON object (400), and a payload Bolt would crash on (400; `malformed` names the
part). Everything else goes on to Bolt, however odd: the listeners read payloads leniently
(`envelope.py`) and answer what they cannot use as out of date.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

# Slack's window for a request's timestamp; Bolt's verification uses the same.
SIGNATURE_WINDOW_SECONDS = 5 * 60
# Payloads nest events in events, messages in messages; Slack's go three deep at most.
MAX_DEPTH = 8


@dataclass(frozen=True)
class Refusal:
    status: int
    text: str  # the answer's body: Slack shows none of it to a person
    reason: str  # for the log


def refusal(
    body: bytes,
    headers: Mapping[str, str],
    signing_secret: str,
    *,
    now: float | None = None,
) -> Refusal | None:
    """Why this request is refused before Bolt reads it, or None; `now` (the time the request
    is checked at) is the system's clock by default, as Bolt's."""
    headers = {name.lower(): value for name, value in headers.items()}
    if not signed(body, headers, signing_secret, time.time() if now is None else now):
        return Refusal(401, "invalid request", "not signed with the signing secret")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "malformed request", "the body is not UTF-8")
    try:
        payload = parsed(text, headers.get("content-type", ""))
    except (ValueError, RecursionError) as error:
        # JSON that doesn't parse, nests deeper than the parser goes, or has a number too long
        # to read.
        return Refusal(400, "malformed request", f"the payload is not JSON: {error!r:.200}")
    reason = malformed(payload)
    if reason is not None:
        return Refusal(400, "malformed request", reason)
    return None


def parsed(text: str, content_type: str) -> Any:
    """The payload as Bolt reads a body (`slack_bolt.request.internals.parse_body`): JSON when
    the content type says so or it starts with `{`, else the form's `payload` field as JSON,
    else the form's fields. Raises ValueError (or RecursionError) where Bolt would."""
    if not text:
        return {}
    if content_type.split(";")[0] == "application/json" or text.startswith("{"):
        return json.loads(text)
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        return {} if payload is None else json.loads(payload)
    return dict(parse_qsl(text, keep_blank_values=True))


def signed(body: bytes, headers: Mapping[str, str], signing_secret: str, now: float) -> bool:
    """Slack's signature (v0, HMAC-SHA256 of the timestamp and the raw body) within its window;
    computed on the bytes, so a body that isn't UTF-8 is still told signed or not. `headers`
    are named in lower case."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if (
        not (timestamp.isascii() and timestamp.isdigit())
        or abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS
    ):
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def malformed(payload: Any) -> str | None:
    """The part of a parsed payload Bolt would crash on, or None when Bolt can read it."""
    if not isinstance(payload, dict):
        return f"the payload is {_kind(payload)}, not an object"
    return _context_fault(payload, "", 0) or _urls_fault(payload) or _kind_fault(payload)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _context_fault(part: dict[str, Any], where: str, depth: int) -> str | None:
    """What `build_async_context` (and `IgnoringSelfEvents`) read: who, where and which
    workspace, in the payload, its event, the first authorization and the messages inside."""
    if depth > MAX_DEPTH:
        return f"{where} nests too deep"
    for key in ("enterprise", "team", "user", "channel"):
        value = part.get(key)
        if value is not None and not isinstance(value, str | dict):
            return f"{where}{key} is {_kind(value)}"
    token = part.get("bot_access_token")
    if token is not None and not isinstance(token, str):
        return f"{where}bot_access_token is {_kind(token)}"  # Bolt would make it the client's
    if "authorizations" in part:
        authorizations = part["authorizations"]
        if authorizations is not None:
            if not isinstance(authorizations, list):
                return f"{where}authorizations is {_kind(authorizations)}"
            if authorizations:
                first = authorizations[0]
                if not isinstance(first, dict):
                    return f"{where}authorizations[0] is {_kind(first)}"
                fault = _context_fault(first, f"{where}authorizations[0].", depth + 1)
                if fault:
                    return fault
    if "event" in part:
        event = part["event"]
        if not isinstance(event, dict):
            return f"{where}event is {_kind(event)}"
        fault = _context_fault(event, f"{where}event.", depth + 1)
        if fault:
            return fault
    for key in ("message", "previous_message", "item", "assistant_thread"):
        inner = part.get(key)
        if isinstance(inner, dict):  # Bolt reads these only when they are objects
            fault = _context_fault(inner, f"{where}{key}.", depth + 1)
            if fault:
                return fault
    return None


def _urls_fault(payload: dict[str, Any]) -> str | None:
    """A modal's `response_urls`, whose first one Bolt takes when there is no `response_url`."""
    if "response_url" in payload or "response_urls" not in payload:
        return None
    urls = payload["response_urls"]
    if not isinstance(urls, list):
        return f"response_urls is {_kind(urls)}"
    if urls and not isinstance(urls[0], dict):
        return f"response_urls[0] is {_kind(urls[0])}"
    if len(urls) > 1:
        # Bolt logs that it took the first through a logger the request doesn't have yet.
        return "response_urls has more than one"
    return None


def _string(payload: dict[str, Any], key: str, where: str = "") -> str | None:
    """Bolt matches ids against strings and patterns: one that is there must be a string."""
    if key not in payload:
        return f"{where}{key} is missing"
    if not isinstance(payload[key], str):
        return f"{where}{key} is {_kind(payload[key])}"
    return None


def _kind_fault(payload: dict[str, Any]) -> str | None:
    """What `payload_utils` and the listener matchers index for each kind of payload, under the
    same conditions as they do (a `block_actions` without `actions` is not one to Bolt)."""
    kind = payload.get("type")
    if "command" in payload and not isinstance(payload["command"], str):
        return f"command is {_kind(payload['command'])}"
    if kind in ("block_actions", "interactive_message"):
        if kind == "block_actions" and "actions" not in payload:
            return None
        if kind == "interactive_message":
            if "callback_id" not in payload:
                return None
            fault = _string(payload, "callback_id")
            if fault:
                return fault
        if "actions" not in payload:
            return "actions is missing"
        actions = payload["actions"]
        if not isinstance(actions, list):
            return f"actions is {_kind(actions)}"
        if not actions:
            return "actions is empty"
        if not isinstance(actions[0], dict):
            return f"actions[0] is {_kind(actions[0])}"
        return _string(actions[0], "action_id", "actions[0].") if kind == "block_actions" else None
    if kind in (
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
        "shortcut",
        "message_action",
    ):
        if "callback_id" not in payload:
            return None
        fault = _string(payload, "callback_id")
        if fault is None and kind == "workflow_step_edit" and "workflow_step" not in payload:
            return "workflow_step is missing"
        return fault
    if kind == "block_suggestion":
        return _string(payload, "action_id") if "action_id" in payload else None
    if kind in ("view_submission", "view_closed"):
        if "view" not in payload:
            return None
        view = payload["view"]
        if not isinstance(view, dict):
            return f"view is {_kind(view)}"
        if "callback_id" not in view:
            return None
        fault = _string(view, "callback_id", "view.")
        if fault or kind == "view_closed":
            return fault
        if "type" not in view:
            return "view.type is missing"
        if view["type"] == "workflow_step" and "workflow_step" not in payload:
            return "workflow_step is missing"
        return None
    if kind == "event_callback" and "event" in payload:
        event = payload["event"]  # an object: `_context_fault` saw to it
        if "type" in event and not isinstance(event["type"], str):
            return f"event.type is {_kind(event['type'])}"
        if event.get("type") == "workflow_step_execute" and "workflow_step" in event:
            return _string(event, "callback_id", "event.")
    return None
