"""Slack requests as an attacker or a buggy client would send them, signed with the bot's signing
secret, for the fuzz tests and `bench/slack_fuzz.py`:

- `request_templates(bot)`: well-formed requests of every kind the bot handles (each button,
  form, command and event), as EVE sends them: she is neither approver nor payer, so nothing a
  tampered request asks for could be allowed;
- `NAMED`: the malformed requests people have seen or would guess first (`actions: []`,
  `view: {}`, no `container`, a payload that is not JSON...), each a change to the templates it
  applies to, or a raw body;
- `Malformer(seed)`: malformed requests drawn from those, and from random changes anywhere in a
  template, reproducibly from the seed;
- `signed_body` and `signed_raw`: the bytes and headers Slack would send.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from billpay.bills.listing import BillFilter
from billpay.slack.blocks.ids import (
    Action,
    Callback,
    Input,
    MoreOption,
    SupplierAction,
    SupplierCallback,
    SupplierInput,
)
from billpay.slack.blocks.metadata import (
    AttachMetadata,
    BankAccountMetadata,
    MoreAction,
    NewBillMetadata,
    PayMetadata,
    QuestionAction,
    RejectMetadata,
    ReplyApproval,
    SupplierMetadata,
)
from testkit.bot import Bot, bill_ids
from testkit.payables import TODAY
from testkit.world import ANA, CHANNEL, EVE, TEAM

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# The form body of an interaction (`payload=`), a slash command's fields, or a JSON event.
Kind = str
Payload = dict[str, Any]


@dataclass(frozen=True)
class Template:
    kind: Kind  # "form", "command" or "json"
    payload: Payload

    @property
    def type(self) -> str:
        return str(self.payload.get("type") or ("command" if self.kind == "command" else ""))


@dataclass(frozen=True)
class Malformed:
    """One malformed request: a template changed (`payload`), or a raw body."""

    name: str
    kind: Kind
    payload: Payload | None = None
    raw: bytes | None = None
    content_type: str = FORM
    template: Template | None = None  # the request changed, if one was

    def for_bot(self, bot: Bot) -> Malformed:
        """This request with its own `response_url` where its template's was left as is."""
        if self.payload is None or self.template is None:
            return self
        return replace(self, payload=fresh(bot, self.template, self.payload))


# ---------------------------------------------------------------- well-formed requests


async def request_templates(bot: Bot) -> list[Template]:
    """Valid requests of every kind the app handles, to be tampered with; `bot` has the
    finance channel linked. Lists the first page of bills (as ANA) to have a card to click."""
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    requests = bot.requests
    clicks: list[Payload] = []
    for action_id in (Action.APPROVE, Action.REJECT, Action.MORE):
        payload = requests.click_payload(
            message,
            action_id,
            user_id=EVE,
            block_id_prefix=f"card_actions:{bill_id}",
            option_value=(
                MoreAction(choice=MoreOption.DETAILS, bill_id=bill_id).dump()
                if action_id == Action.MORE
                else None
            ),
        )
        clicks.append(payload)
    for action_id in (
        Action.PAY,  # not on a card waiting for approval, but an older copy may still show it
        Action.CHECK_PAYMENT,
        Action.RETRY_PAYMENT,
        Action.CANCEL_PAYMENT,
        Action.PAYMENT_IS_IN_PLATFORM,
        Action.SEND_PAYMENT_AGAIN,
        Action.PAGE_NEXT,
    ):
        payload = copy.deepcopy(clicks[0])
        payload["actions"][0]["action_id"] = action_id
        if action_id == Action.PAGE_NEXT:
            payload["actions"][0]["value"] = '{"p":1,"f":""}'
        clicks.append(payload)
    for action_id, value in (
        (Action.REPLY_APPROVE, ReplyApproval(bill_id=bill_id, message_ts=message["ts"]).dump()),
        (Action.RESOLVE_QUESTION, QuestionAction(bill_id=bill_id, question_id=1).dump()),
    ):
        payload = copy.deepcopy(clicks[0])
        payload["actions"][0].update(action_id=action_id, value=value)
        clicks.append(payload)
    for choice in (MoreOption.VIEW_INVOICE, MoreOption.ATTACH_INVOICE, MoreOption.INVOICE):
        more = next(c for c in clicks if c["actions"][0]["action_id"] == Action.MORE)
        payload = copy.deepcopy(more)
        payload["actions"][0]["selected_option"]["value"] = MoreAction(
            choice=choice, bill_id=bill_id
        ).dump()
        clicks.append(payload)
    clicks += _supplier_clicks(clicks[0])
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    # Every bill gets its case now: a listing the fuzz runs may show any of them.
    everything = await bot.services.outstanding.list_bills(link, BillFilter(), TODAY)
    await bot.services.cases.sync_cases(link, everything)
    reject = RejectMetadata(channel_id=CHANNEL, message_ts=message["ts"], bill_id=bill_id)
    pay = PayMetadata(
        channel_id=CHANNEL,
        message_ts=message["ts"],
        bill_id=bill_id,
        idempotency_key="0b6a4a9e-2d7c-4f38-9a51-3c1f1e7f2a10",
        currency="GBP",
        base_currency=link.base_currency,
        amount_due=Decimal(100),
        locale="en_GB",
        accounts=(),
    )
    attach = AttachMetadata(channel_id=CHANNEL, message_ts=message["ts"], bill_id=bill_id)
    picked = {
        "id": "F0FUZZ",
        "name": "invoice.pdf",
        "size": 10,
        "url_private_download": "https://evil.example/invoice.pdf",
    }
    views: list[Payload] = []
    for callback, metadata, values in (
        (
            Callback.ATTACH,
            attach.dump(),
            {Input.ATTACH_FILE: {Input.ATTACH_FILE: {"type": "file_input", "files": [picked]}}},
        ),
        (
            Callback.REJECT,
            reject.dump(),
            {Input.REJECT_REASON: {Input.REJECT_REASON: {"type": "x", "value": "Dup"}}},
        ),
        (
            Callback.PAY,
            pay.dump(),
            {
                Input.PAY_AMOUNT: {Input.PAY_AMOUNT: {"type": "x", "value": "10.00"}},
                Input.PAY_DATE: {Input.PAY_DATE: {"type": "x", "selected_date": "2026-11-22"}},
            },
        ),
    ):
        views.append(
            {
                "type": "view_submission",
                "team": {"id": TEAM, "domain": "acme"},
                "user": {"id": EVE, "team_id": TEAM},
                "api_app_id": bot.slack.app_id,
                "trigger_id": bot.slack.new_trigger_id(),
                "view": {
                    "id": "V0FUZZ0001",
                    "type": "modal",
                    "callback_id": callback,
                    "private_metadata": metadata,
                    "title": {"type": "plain_text", "text": "Pay bill"},
                    "state": {"values": values},
                    "blocks": [],
                },
            }
        )
    closed: Payload = copy.deepcopy(views[-1])
    closed.update(type="view_closed", is_cleared=False)
    del closed["trigger_id"]
    views += [*_supplier_forms(bot), closed]
    commands = [
        requests.command_payload(name, text, user_id=EVE)
        for name, text in (
            ("/bills", "overdue"),
            ("/supplier", "north"),
            ("/billpay", "help"),
            ("/billpay", "bill"),
            ("/billpay", "account new"),
        )
    ]
    events = [
        requests.event_payload({"type": "app_home_opened", "user": EVE, "tab": "home"}),
        requests.event_payload({"type": "app_uninstalled"}),
        requests.event_payload(
            {
                "type": "message",
                "channel": CHANNEL,
                "user": EVE,
                "text": "approved",
                "ts": "1763800999.000100",
                "thread_ts": message["ts"],
            }
        ),
    ]
    return [
        *(Template("form", p) for p in [*clicks, *views]),
        *(Template("command", p) for p in commands),
        *(Template("json", p) for p in events),
    ]


def _supplier_clicks(card_click: Payload) -> list[Payload]:
    """The `/supplier` answer's buttons and Retry upload, as clicked on a message."""
    clicks = []
    for action_id, value in (
        (SupplierAction.SHOW_BILLS, '{"s":"does-not-exist"}'),
        (SupplierAction.NEW_BILL, '{"s":"does-not-exist"}'),
        (SupplierAction.EDIT, '{"s":"does-not-exist"}'),
        (SupplierAction.CREATE, '{"n":"Zephyr"}'),
        (SupplierAction.RETRY_UPLOAD, '{"b":"does-not-exist","f":"F0FUZZ0001"}'),
    ):
        payload = copy.deepcopy(card_click)
        payload["actions"][0].update(action_id=action_id, value=value)
        clicks.append(payload)
    return clicks


def _supplier_forms(bot: Bot) -> list[Payload]:
    """The supplier, new bill and bank account forms submitted, the supplier type-ahead, and
    the message shortcut on a message with a file."""
    key = "0b6a4a9e-2d7c-4f38-9a51-3c1f1e7f2a10"
    new_bill = NewBillMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB", lines=1)

    def text(block_id: str, value: str) -> Payload:
        return {block_id: {block_id: {"type": "plain_text_input", "value": value}}}

    def form(callback: str, metadata: str, values: Payload) -> Payload:
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": EVE, "team_id": TEAM},
            "api_app_id": bot.slack.app_id,
            "trigger_id": bot.slack.new_trigger_id(),
            "view": {
                "id": "V0FUZZ0002",
                "hash": "1700000000.abcdef",
                "type": "modal",
                "callback_id": callback,
                "private_metadata": metadata,
                "title": {"type": "plain_text", "text": "New bill"},
                "state": {"values": values},
                "blocks": [],
            },
        }

    supplier: Payload = {
        SupplierInput.BILL_SUPPLIER: {
            SupplierInput.BILL_SUPPLIER: {
                "type": "external_select",
                "selected_option": {"text": {"type": "plain_text", "text": "N"}, "value": "x"},
            }
        }
    }
    bill = {**supplier, **text("line_amount:0", "10.00"), **text("line_account:0", "x")}
    suggestion = form(SupplierCallback.NEW_BILL, new_bill.dump(), {})
    suggestion.update(type="block_suggestion", action_id=SupplierInput.BILL_SUPPLIER, value="no")
    del suggestion["trigger_id"]
    shortcut = {
        "type": "message_action",
        "callback_id": SupplierCallback.BILL_FROM_FILE,
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": EVE, "team_id": TEAM},
        "channel": {"id": CHANNEL, "name": "finance"},
        "trigger_id": bot.slack.new_trigger_id(),
        "response_url": bot.slack.new_response_url(channel_id=CHANNEL, user_id=EVE),
        "message_ts": "1700000000.000100",
        "message": {"ts": "1700000000.000100", "text": "", "files": [{"id": "F0FUZZ0001"}]},
    }
    return [
        form(SupplierCallback.NEW_BILL, new_bill.dump(), bill),
        form(
            SupplierCallback.CREATE,
            SupplierMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB").dump(),
            text(SupplierInput.NAME, "Zephyr"),
        ),
        form(
            SupplierCallback.NEW_ACCOUNT,
            BankAccountMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB").dump(),
            {**text(SupplierInput.ACCOUNT_NAME, "Float"), **text("account_number", "01200440")},
        ),
        suggestion,
        shortcut,
    ]


def fresh(bot: Bot, template: Template, payload: Payload | None = None) -> Payload:
    """A copy of `payload` (the template's by default) with its own `response_url` where the
    template has one and it was left as is: Slack gives each request its own (usable 5 times)."""
    original = template.payload
    changed = copy.deepcopy(original if payload is None else payload)
    if "response_url" in original and changed.get("response_url") == original["response_url"]:
        message = original.get("message")
        changed["response_url"] = bot.slack.new_response_url(
            channel_id=CHANNEL,
            user_id=EVE,
            message_ts=message.get("ts") if isinstance(message, dict) else None,
        )
    return changed


# ---------------------------------------------------------------- signing


def signed_raw(
    secret: str, body: bytes, content_type: str, *, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack would send with `body` (any bytes, UTF-8 or not), signed with v0."""
    when = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + when.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": when,
        "X-Slack-Signature": signature,
    }


def encode(kind: Kind, payload: Payload) -> tuple[bytes, str]:
    """A payload as Slack sends it: an interaction's `payload=` form, a slash command's form
    fields (every value a string) or an event's JSON."""
    if kind == "form":
        return urlencode({"payload": json.dumps(payload)}).encode(), FORM
    if kind == "command":
        fields = {k: "" if v is None else str(v) for k, v in payload.items()}
        return urlencode(fields).encode(), FORM
    return json.dumps(payload).encode(), JSON


def signed_body(secret: str, case: Malformed) -> tuple[bytes, dict[str, str]]:
    if case.raw is not None:
        return case.raw, signed_raw(secret, case.raw, case.content_type)
    assert case.payload is not None
    body, content_type = encode(case.kind, case.payload)
    return body, signed_raw(secret, body, content_type)


# ---------------------------------------------------------------- changes


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON payload, containers included."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutate(payload: Payload, path: tuple[Any, ...], new: Any, delete: bool) -> None:
    """Set (or delete, in an object) what `path` names; KeyError, IndexError or TypeError when
    an earlier change took the path away."""
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = new


HUGE = "x" * 100_000  # a large value, well within the bot's 256 KB limit on a request
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
# Values a mutation puts anywhere: wrong types, empty containers, containers of nothing,
# strings that look like ids or JSON, control characters, huge strings.
JUNK: tuple[Any, ...] = (
    None,
    0,
    -1,
    2**64,
    1.5,
    True,
    False,
    "",
    "x",
    CONTROL,
    HUGE,
    [],
    [{}],
    [None],
    [[]],
    ["x"],
    {},
    {"id": None},
    {"id": 5},
    '{"b": 1}',
    '{"b": "does-not-exist"}',
    "[]",
    "{",
    "null",
    "U0ANA",
    "C0FIN",
    "V0000001",
    "1700000000.000100",
    "2026-13-45",
)


def _set(*path: Any, value: Any) -> Callable[[Payload], None]:
    def change(payload: Payload) -> None:
        mutate(payload, path, copy.deepcopy(value), delete=False)

    return change


def _drop(*path: Any) -> Callable[[Payload], None]:
    def change(payload: Payload) -> None:
        mutate(payload, path, None, delete=True)

    return change


def _huge_strings(payload: Payload) -> None:
    """Every string of the payload's top level 20,000 characters longer (an interaction body
    stays within the bot's limit)."""
    for key, value in payload.items():
        if isinstance(value, str):
            payload[key] = value + "y" * 20_000


def _no_response_url(change: Callable[[Payload], None]) -> Callable[[Payload], None]:
    def changed(payload: Payload) -> None:
        payload.pop("response_url", None)
        change(payload)

    return changed


@dataclass(frozen=True)
class Named:
    """A named change, for the templates of the payload types it lists (when empty: every
    template but the slash commands, whose fields are all strings)."""

    name: str
    types: tuple[str, ...]
    change: Callable[[Payload], None]
    refused: bool  # the gate answers 400 (Bolt would crash on it); else Bolt has it (200)


ACTIONS = ("block_actions",)
VIEWS = ("view_submission", "view_closed")
EVENTS = ("event_callback",)
INTERACTIONS = ("block_actions", "view_submission", "view_closed", "message_action")

NAMED: tuple[Named, ...] = (
    Named("actions: []", ACTIONS, _set("actions", value=[]), True),
    Named("actions: [{}]", ACTIONS, _set("actions", value=[{}]), True),
    Named("actions: [null]", ACTIONS, _set("actions", value=[None]), True),
    Named("actions: a string", ACTIONS, _set("actions", value="approve"), True),
    Named("actions: an object", ACTIONS, _set("actions", value={"0": {}}), True),
    Named("actions missing", ACTIONS, _drop("actions"), False),
    Named("action_id: a number", ACTIONS, _set("actions", 0, "action_id", value=5), True),
    Named("action_id missing", ACTIONS, _drop("actions", 0, "action_id"), True),
    Named("action value: an object", ACTIONS, _set("actions", 0, "value", value={}), False),
    Named("container missing", ACTIONS, _drop("container"), False),
    Named("container: a string", ACTIONS, _set("container", value="C0FIN"), False),
    Named("message without ts", ACTIONS, _drop("message", "ts"), False),
    Named("message: a list", ACTIONS, _set("message", value=[]), False),
    Named("message.files: a number", ("message_action",), _set("message", "files", value=5), False),
    Named("message.blocks: null", ACTIONS, _set("message", "blocks", value=None), False),
    Named(
        "response_url: not Slack's", ACTIONS, _set("response_url", value="https://x.test/"), False
    ),
    Named("view: {}", VIEWS, _set("view", value={}), False),
    Named("view: null", VIEWS, _set("view", value=None), True),
    Named("view: a string", VIEWS, _set("view", value="callback_id"), True),
    Named("view: a list", VIEWS, _set("view", value=["callback_id"]), True),
    Named("view without callback_id", VIEWS, _drop("view", "callback_id"), False),
    Named("view.callback_id: a number", VIEWS, _set("view", "callback_id", value=7), True),
    Named("view without type", ("view_submission",), _drop("view", "type"), True),
    Named(
        "view.type: workflow_step",
        ("view_submission",),
        _set("view", "type", value="workflow_step"),
        True,
    ),
    Named("view without id", VIEWS, _drop("view", "id"), False),
    Named("view without state", VIEWS, _drop("view", "state"), False),
    Named("view.state: null", VIEWS, _set("view", "state", value=None), False),
    Named("view.state.values: a list", VIEWS, _set("view", "state", "values", value=[]), False),
    Named("private_metadata: a number", VIEWS, _set("view", "private_metadata", value=3), False),
    Named("private_metadata: not JSON", VIEWS, _set("view", "private_metadata", value="{"), False),
    Named(
        "response_urls: a string",
        ("view_submission",),
        _no_response_url(_set("response_urls", value="https://hooks.slack.com/x")),
        True,
    ),
    Named(
        "response_urls: [null]",
        ("view_submission",),
        _no_response_url(_set("response_urls", value=[None])),
        True,
    ),
    Named(
        "response_urls: []",
        ("view_submission",),
        _no_response_url(_set("response_urls", value=[])),
        False,
    ),
    Named("user missing", INTERACTIONS, _drop("user"), False),
    Named("user: a number", INTERACTIONS, _set("user", value=5), True),
    Named("user: a list", INTERACTIONS, _set("user", value=["id"]), True),
    Named("user: a string", INTERACTIONS, _set("user", value="U0EVE"), False),
    Named("user.id: an object", INTERACTIONS, _set("user", "id", value={}), False),
    Named("team missing", INTERACTIONS, _drop("team"), False),
    Named("team: a number", INTERACTIONS, _set("team", value=1), True),
    Named("team: a list", INTERACTIONS, _set("team", value=["id"]), True),
    Named("team: null", INTERACTIONS, _set("team", value=None), False),
    Named("channel: a number", INTERACTIONS, _set("channel", value=3), True),
    Named("enterprise: a list", INTERACTIONS, _set("enterprise", value=["id"]), True),
    Named("authorizations: {}", (), _set("authorizations", value={}), True),
    Named("authorizations: [null]", (), _set("authorizations", value=[None]), True),
    Named("authorizations: [{}]", (), _set("authorizations", value=[{}]), False),
    Named("event: null", (), _set("event", value=None), True),
    Named("event: a string", EVENTS, _set("event", value="message"), True),
    Named("event: {}", EVENTS, _set("event", value={}), False),
    Named("event.type: a number", EVENTS, _set("event", "type", value=1), True),
    Named("event.user: a list", EVENTS, _set("event", "user", value=["id"]), True),
    Named("event.message: a string", EVENTS, _set("event", "message", value="x"), False),
    Named("event.text: null", EVENTS, _set("event", "text", value=None), False),
    Named("type: a number", (), _set("type", value=5), False),
    Named("type: a list", (), _set("type", value=["block_actions"]), False),
    Named("type missing", (), _drop("type"), False),
    Named("callback_id: a number", ("message_action",), _set("callback_id", value=9), True),
    Named("callback_id missing", ("message_action",), _drop("callback_id"), False),
    Named(
        "block_suggestion private_metadata: a number",
        ("block_suggestion",),
        _set("view", "private_metadata", value=5),
        False,
    ),
    Named(
        "block_suggestion action_id: null",
        ("block_suggestion",),
        _set("action_id", value=None),
        True,
    ),
    Named("bot_access_token: a number", (), _set("bot_access_token", value=1), True),
    Named("huge strings", (), _huge_strings, False),
    Named("command text: control characters", ("command",), _set("text", value=CONTROL), False),
    Named("command text: 5,000 characters", ("command",), _set("text", value="x" * 5000), False),
    Named("command missing", ("command",), _drop("command"), False),
    # Form fields are strings, so a command's `authorizations` or `event` is one.
    Named("authorizations in a command", ("command",), _set("authorizations", value="x"), True),
    Named("event in a command", ("command",), _set("event", value="x"), True),
    Named("user_id: not an id", ("command",), _set("user_id", value="<!channel>"), False),
)


def _payload_form(text: str) -> bytes:
    return urlencode({"payload": text}).encode()


# Bodies no template makes: (name, body, content type, refused by the gate).
RAW: tuple[tuple[str, bytes, str, bool], ...] = (
    ("payload not JSON", _payload_form("{not json"), FORM, True),
    ("payload a JSON list", _payload_form("[1, 2]"), FORM, True),
    ("payload a JSON string", _payload_form('"block_actions"'), FORM, True),
    ("payload JSON null", _payload_form("null"), FORM, True),
    ("payload a number", _payload_form("5"), FORM, True),
    ("payload empty", _payload_form(""), FORM, True),
    ("payload nested 20,000 deep", _payload_form("[" * 20_000 + "]" * 20_000), FORM, True),
    ("payload with a 5,000-digit number", _payload_form('{"n": ' + "9" * 5000 + "}"), FORM, True),
    ("payload twice", _payload_form("{}") + b"&" + _payload_form("[]"), FORM, True),
    ("no payload field", b"type=block_actions&actions=x", FORM, True),
    ("form fields only", b"token=x&team_id=T0001", FORM, False),
    ("body empty", b"", FORM, False),
    ("body not UTF-8", b"payload=%7B%7D\xff\xfe", FORM, True),
    ("JSON body a list", b"[]", JSON, True),
    ("JSON body null", b"null", JSON, True),
    ("JSON body not JSON", b"{", JSON, True),
    ("JSON type with a form body", _payload_form("{}"), JSON, True),
    ("form type with a JSON body", b'{"type": "block_actions", "actions": []}', FORM, True),
)


def named_cases(
    templates: list[Template], *, every: bool = True
) -> Iterator[tuple[Malformed, bool]]:
    """Each named change on each template it applies to (or, not `every`, on the first of each
    payload type), then the raw bodies; with whether the gate refuses it."""
    for named in NAMED:
        seen: set[str] = set()
        for template in templates:
            if template.type not in named.types if named.types else template.kind == "command":
                continue
            if not every and template.type in seen:
                continue
            seen.add(template.type)
            payload = copy.deepcopy(template.payload)
            try:
                named.change(payload)
            except (KeyError, IndexError, TypeError):
                continue  # the template has no such part
            name = f"{named.name} ({template.type})"
            yield Malformed(name, template.kind, payload, template=template), named.refused
    for name, body, content_type, refused in RAW:
        yield Malformed(name, "raw", raw=body, content_type=content_type), refused


class Malformer:
    """Malformed requests drawn reproducibly from `seed`: a named change (a quarter of them),
    a raw body (a tenth), else one to three random changes anywhere in a template (a value
    replaced with junk, or a key removed)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def cases(self, templates: list[Template], count: int) -> Iterator[Malformed]:
        named = list(named_cases(templates))
        for _ in range(count):
            roll = self.random.random()
            if roll < 0.25:
                yield self.random.choice(named)[0]
            elif roll < 0.35:
                name, body, content_type, _refused = self.random.choice(RAW)
                yield Malformed(name, "raw", raw=body, content_type=content_type)
            else:
                yield self._mutated(self.random.choice(templates))

    def _mutated(self, template: Template) -> Malformed:
        payload = copy.deepcopy(template.payload)
        changes = []
        for _ in range(self.random.randint(1, 3)):
            # A slash command is flat: its fields are all there is.
            candidates = [p for p in paths(payload) if template.kind != "command" or len(p) == 1]
            if not candidates:
                break
            path = self.random.choice(candidates)
            delete = self.random.random() < 0.3
            value = self.random.choice(JUNK)
            try:
                mutate(payload, path, copy.deepcopy(value), delete)
            except (KeyError, IndexError, TypeError):
                continue
            shown = ".".join(str(p) for p in path)
            changes.append(f"{shown} removed" if delete else f"{shown} = {_short(value)}")
        name = f"{template.type}: " + ", ".join(changes)
        return Malformed(name, template.kind, payload, template=template)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 20 else text[:17] + "..."
