"""The gate in front of Bolt (`billpay.slack.gate`), against Bolt's own code: whatever payload
the gate lets through, Bolt builds its request and context, hands its middleware and listener
matchers the payload's parts, and matches every kind of listener (by pattern, the strictest)
without raising. Unsigned requests are refused before anything reads them.

Payloads are drawn by hypothesis from Slack's shapes with any part replaced by junk: the
attacker controls all of it once they have a signature (or a buggy client does)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import BoltResponse
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.listener_matcher import builtins
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.middleware.ignoring_self_events.async_ignoring_self_events import (
    AsyncIgnoringSelfEvents,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_content_type, parse_body

from billpay.slack.gate import malformed, parsed, refusal
from testkit.malformed import FORM, JSON, signed_raw
from testkit.profiles import examples

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANYTHING = re.compile(".*")
TYPES = (
    "block_actions",
    "interactive_message",
    "view_submission",
    "view_closed",
    "block_suggestion",
    "dialog_submission",
    "dialog_cancellation",
    "dialog_suggestion",
    "workflow_step_edit",
    "shortcut",
    "message_action",
    "event_callback",
    "url_verification",
)
# A listener of every kind, matching by pattern: a pattern searches the id, so it must be a
# string (an exact id only compares).
MATCHERS: list[AsyncListenerMatcher] = [
    builtins.action(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.view(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.view({"type": "view_closed", "callback_id": ANYTHING}, asyncio=True),  # type: ignore[list-item]
    builtins.options(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.shortcut(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.command(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.event(ANYTHING, asyncio=True),  # type: ignore[list-item]
    builtins.workflow_step_execute(ANYTHING, asyncio=True),  # type: ignore[list-item]
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["id", "callback_id", "type", "T0001", "U0EVE", "C0FIN", "message"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
ids = st.sampled_from(["T0001", "U0EVE", "C0FIN", "E0ORG", "B0BOT"]) | junk


def _either(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the part as Slack shapes it, sometimes anything at all."""
    return st.one_of(shape, shape, junk)


who = _either(st.fixed_dictionaries({}, optional={"id": ids, "team_id": ids}) | ids)
action = _either(
    st.fixed_dictionaries(
        {}, optional={"action_id": _either(st.text(max_size=8)), "block_id": junk, "value": junk}
    )
)
view = _either(
    st.fixed_dictionaries(
        {},
        optional={
            "id": ids,
            "callback_id": _either(st.text(max_size=8)),
            "type": _either(st.sampled_from(["modal", "home", "workflow_step"])),
            "state": junk,
            "private_metadata": junk,
            "app_installed_team_id": ids,
            "team_id": ids,
        },
    )
)


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An event (or a message inside one): who, where, and what may nest further."""
    return _either(
        st.fixed_dictionaries(
            {},
            optional={
                "type": _either(
                    st.sampled_from(["message", "app_home_opened", "workflow_step_execute"])
                ),
                "subtype": junk,
                "user": who,
                "team": who,
                "channel": who,
                "enterprise": who,
                "user_team": junk,
                "text": junk,
                "thread_ts": junk,
                "bot_id": junk,
                "bot_access_token": junk,
                "function_execution_id": junk,
                "workflow_step": junk,
                "callback_id": junk,
                "message": inner,
                "previous_message": inner,
                "item": inner,
                "assistant_thread": inner,
                "authorizations": _either(st.lists(inner, max_size=2)),
                "event": inner,
            },
        )
    )


events = st.recursive(junk, _nested, max_leaves=4)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "type": _either(st.sampled_from(TYPES)),
        "actions": _either(st.lists(action, max_size=2)),
        "view": view,
        "event": events,
        "team": who,
        "user": who,
        "channel": who,
        "enterprise": who,
        "team_id": ids,
        "user_id": ids,
        "authorizations": _either(st.lists(events, max_size=2)),
        "is_ext_shared_channel": st.booleans() | junk,
        "response_url": junk,
        "response_urls": _either(
            st.lists(st.fixed_dictionaries({"response_url": junk}), max_size=2)
        ),
        "callback_id": _either(st.text(max_size=8)),
        "action_id": _either(st.text(max_size=8)),
        "command": _either(st.sampled_from(["/bills", "/billpay"])),
        "workflow_step": junk,
        "function_execution_id": junk,
        "function_data": junk,
        "bot_access_token": junk,
        "message": events,
        "container": junk,
        "ssl_check": junk,
        "challenge": junk,
    },
)


async def _bolt_reads(text: str, content_type: str) -> None:
    """What Bolt does with a request before any listener runs, in the order it does it."""
    request = AsyncBoltRequest(body=text, headers={"content-type": content_type})
    response = BoltResponse(status=200, body="")

    async def next_() -> None:
        return None

    build_async_required_kwargs(
        logger=logging.getLogger(__name__),
        required_arg_names=["body", "payload", "next"],
        request=request,
        response=response,
        next_func=next_,
    )
    await AsyncIgnoringSelfEvents().async_process(req=request, resp=response, next=next_)  # type: ignore[arg-type]
    for matcher in MATCHERS:
        await matcher.async_matches(request, response)


def _form(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


@settings(max_examples=examples(1000), deadline=None)
@given(payload=payloads, as_form=st.booleans())
async def test_bolt_reads_whatever_the_gate_lets_through(
    payload: dict[str, Any], as_form: bool
) -> None:
    body = _form(payload) if as_form else json.dumps(payload).encode()
    content_type = FORM if as_form else JSON
    refused = refusal(body, signed_raw(SECRET, body, content_type), SECRET)
    assert (refused is None) == (malformed(payload) is None)
    if refused is None:
        await _bolt_reads(body.decode(), content_type)


@settings(max_examples=examples(300), deadline=None)
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode), as_form=st.booleans())
async def test_bolt_reads_whatever_body_the_gate_lets_through(body: bytes, as_form: bool) -> None:
    content_type = FORM if as_form else JSON
    refused = refusal(body, signed_raw(SECRET, body, content_type), SECRET)
    if refused is None:
        await _bolt_reads(body.decode(), content_type)
    else:
        assert refused.status == 400


@settings(max_examples=examples(300), deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "command",
                "text",
                "authorizations",
                "event",
                "user",
                "team",
                "response_urls",
                "type",
                "actions",
            ]
        ),
        st.text(max_size=6),
    )
)
async def test_bolt_reads_whatever_form_fields_the_gate_lets_through(
    fields: dict[str, str],
) -> None:
    """A slash command's body is form fields, each a string: `authorizations=x` too."""
    body = urlencode(fields).encode()
    if refusal(body, signed_raw(SECRET, body, FORM), SECRET) is None:
        await _bolt_reads(body.decode(), FORM)


async def test_empty_actions_crash_bolt_and_the_gate_refuses_them() -> None:
    payload = {"type": "block_actions", "user": {"id": "U0EVE"}, "actions": []}
    with pytest.raises(IndexError):
        await _bolt_reads(json.dumps(payload), JSON)
    assert malformed(payload) == "actions is empty"


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        },
        {"ssl_check": "1", "token": "x"},
        {
            "type": "block_actions",
            "user": {"id": "U0EVE"},
            "team": None,
            "actions": [{"action_id": "approve"}],
            "container": {"type": "message"},
        },
        {
            "type": "view_submission",
            "view": {"callback_id": "pay", "type": "modal", "state": {"values": {}}},
            "response_urls": [],
        },
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event": {
                "type": "message",
                "subtype": "message_changed",
                "message": {"user": "U0EVE"},
                "previous_message": {"user": "U0EVE"},
            },
        },
        {
            "type": "event_callback",
            "event": {"type": "reaction_added", "item": {"channel": "C0FIN"}},
        },
        {
            "type": "shortcut",
            "callback_id": "new_bill",
            "enterprise": {"id": "E0ORG"},
            "team": "T0001",
        },
    ],
)
def test_payloads_slack_sends_pass(payload: dict[str, Any]) -> None:
    assert malformed(payload) is None


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b"payload=%7B%7D"),
        ({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=0"}, b"payload=%7B%7D"),
        ({"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"}, b"\xff\xfe"),
        # A digit to `str.isdigit` that `int` refuses (latin-1's superscript one, as a header
        # can carry it).
        ({"X-Slack-Request-Timestamp": "\xb9", "X-Slack-Signature": "v0=0"}, b"payload=%7B%7D"),
    ],
)
def test_an_unsigned_request_is_refused_401_whatever_its_body(
    headers: dict[str, str], body: bytes
) -> None:
    refused = refusal(body, {"Content-Type": FORM, **headers}, SECRET)
    assert refused is not None and refused.status == 401


def test_a_request_signed_too_long_ago_is_refused_401() -> None:
    body = _form({"type": "block_actions", "actions": []})
    headers = signed_raw(SECRET, body, FORM, timestamp=1_700_000_000)
    late = refusal(body, headers, SECRET, now=1_700_000_000 + 5 * 60 + 1)
    assert late is not None and late.status == 401
    in_time = refusal(body, headers, SECRET, now=1_700_000_000 + 5 * 60)
    assert in_time is not None and in_time.status == 400  # signed, and malformed


def test_a_signed_body_that_is_not_utf8_is_malformed() -> None:
    body = b"payload=%7B%7D\xff"
    refused = refusal(body, signed_raw(SECRET, body, FORM), SECRET)
    assert refused is not None and refused.status == 400 and "UTF-8" in refused.reason


@settings(max_examples=examples(300), deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.builds(lambda p: urlencode({"payload": p}), st.text(max_size=40)),
        st.builds(json.dumps, junk),
    ),
    content_type=st.sampled_from([FORM, JSON, "application/json; charset=utf-8", "", "text/plain"]),
)
def test_the_gate_reads_a_body_as_bolt_does(text: str, content_type: str) -> None:
    def outcome(read: Callable[[], Any]) -> str:
        """What was read, or the error; as text, since NaN is not NaN."""
        try:
            return repr(read())
        except (ValueError, RecursionError) as error:
            return type(error).__name__

    bolt = outcome(lambda: parse_body(text, extract_content_type({"content-type": [content_type]})))
    assert outcome(lambda: parsed(text, content_type)) == bolt
