"""Malformed but validly signed requests, as an attacker or a buggy client would send them, to
every action, view, command and event the app registers: each gets an answer in time, no 5xx,
no traceback in the log, and nothing changes in the bot's records or the sandbox.

The person acting (EVE) is neither approver nor payer, so no click could be allowed even if a
tampered value happened to be valid; refusals are audited, which is not a change of state.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

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
from billpay.slack.boundary import settled
from billpay.store.models import AuditEvent, BillCase, CompanyLink, Decision, Payment
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, bill_ids
from testkit.payables import TODAY
from testkit.profiles import examples
from testkit.world import ANA, CHANNEL, EVE, SAM

SLACK_DEADLINE = 3.0
EXAMPLES = 500

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
junk = st.one_of(
    st.none(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet=CONTROL, min_size=1, max_size=10),
    st.builds(lambda n: "x" * n, st.integers(min_value=3000, max_value=70_000)),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(
        [
            '{"b": 1}',
            '{"b": "\\u0000"}',
            '{"b": "does-not-exist"}',
            '{"c": "nope", "b": "x"}',
            '{"p": -1, "f": ""}',
            '{"p": 99999999999, "f": "overdue"}',
            '{"p": 1, "f": "\\u0007"}',
            "[]",
            "{",
            "null",
            "U0ANA",
            "C0FIN",
            "V0000001",
            "1700000000.000100",
            "2026-13-45",
            "0000-00-00",
        ]
    ),
)


async def _state(bot: Bot) -> tuple[Any, ...]:
    """What a person would call the state: links, cases and their versions, decisions,
    payments (bot and sandbox) and every audit event but refusals."""
    async with bot.services.db.read() as s:
        links = (await s.execute(select(CompanyLink.id, CompanyLink.company_id))).all()
        cases = (await s.execute(select(BillCase.bill_id, BillCase.state, BillCase.version))).all()
        decisions = await s.scalar(select(func.count()).select_from(Decision))
        payments = await s.scalar(select(func.count()).select_from(Payment))
        audited = await s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            # Refusals are audited, and so is Slack saying the app was uninstalled.
            .where(AuditEvent.action.not_in(["permission_denied", "app_uninstalled"]))
        )
    async with bot.sandbox.db.read() as s:
        paid = await s.scalar(select(func.count()).select_from(sandbox_store.BillPayment))
        made = [
            await s.scalar(select(func.count()).select_from(table))
            for table in (
                sandbox_store.Bill,
                sandbox_store.Supplier,
                sandbox_store.BankAccount,
                sandbox_store.Attachment,
            )
        ]
    return (sorted(links), sorted(cases), decisions, payments, audited, paid, made)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON payload, containers included."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(payload: dict[str, Any], path: tuple[Any, ...], new: Any, delete: bool) -> None:
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = new


@pytest.fixture
async def targets(linked_bot: Bot) -> tuple[Bot, list[tuple[str, dict[str, Any]]]]:
    """Valid requests of every kind the app handles, to be tampered with."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    requests = bot.requests
    clicks = []
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
        clicks.append(("form", payload))
    for action_id in (
        Action.PAY,  # not on a card waiting for approval, but an older copy may still show it
        Action.CHECK_PAYMENT,
        Action.RETRY_PAYMENT,
        Action.CANCEL_PAYMENT,
        Action.PAYMENT_IS_IN_PLATFORM,
        Action.SEND_PAYMENT_AGAIN,
        Action.PAGE_NEXT,
    ):
        payload = copy.deepcopy(clicks[0][1])
        payload["actions"][0]["action_id"] = action_id
        if action_id == Action.PAGE_NEXT:
            payload["actions"][0]["value"] = '{"p":1,"f":""}'
        clicks.append(("form", payload))
    for action_id, value in (
        (Action.REPLY_APPROVE, ReplyApproval(bill_id=bill_id, message_ts=message["ts"]).dump()),
        (Action.RESOLVE_QUESTION, QuestionAction(bill_id=bill_id, question_id=1).dump()),
    ):
        payload = copy.deepcopy(clicks[0][1])
        payload["actions"][0].update(action_id=action_id, value=value)
        clicks.append(("form", payload))
    for choice in (MoreOption.VIEW_INVOICE, MoreOption.ATTACH_INVOICE):
        more = next(c for _, c in clicks if c["actions"][0]["action_id"] == Action.MORE)
        payload = copy.deepcopy(more)
        payload["actions"][0]["selected_option"]["value"] = MoreAction(
            choice=choice, bill_id=bill_id
        ).dump()
        clicks.append(("form", payload))
    link = await bot.services.links.link_for("T0001", CHANNEL)
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
        amount_due=100,
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
    views = []
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
            (
                "form",
                {
                    "type": "view_submission",
                    "team": {"id": "T0001", "domain": "acme"},
                    "user": {"id": EVE, "team_id": "T0001"},
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
                },
            )
        )
    views += _supplier_forms(bot)
    clicks += _supplier_clicks(clicks[0][1])
    commands = [
        ("command", requests.command_payload(name, text, user_id=EVE))
        for name, text in (
            ("/bills", "overdue"),
            ("/supplier", "north"),
            ("/billpay", "help"),
            ("/billpay", "bill"),
            ("/billpay", "account new"),
        )
    ]
    events = [
        ("json", requests.event_payload({"type": "app_home_opened", "user": EVE, "tab": "home"})),
        ("json", requests.event_payload({"type": "app_uninstalled"})),
        (
            "json",
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
        ),
    ]
    return bot, [*clicks, *views, *commands, *events]


def _supplier_clicks(card_click: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
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
        clicks.append(("form", payload))
    return clicks


def _supplier_forms(bot: Bot) -> list[tuple[str, dict[str, Any]]]:
    """The supplier, new bill and bank account forms submitted, the supplier type-ahead, and
    the message shortcut on a message with a file."""
    key = "0b6a4a9e-2d7c-4f38-9a51-3c1f1e7f2a10"
    new_bill = NewBillMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB", lines=1)

    def text(block_id: str, value: str) -> dict[str, Any]:
        return {block_id: {block_id: {"type": "plain_text_input", "value": value}}}

    def form(callback: str, metadata: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": "T0001", "domain": "acme"},
            "user": {"id": EVE, "team_id": "T0001"},
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

    supplier = {
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
        "team": {"id": "T0001", "domain": "acme"},
        "user": {"id": EVE, "team_id": "T0001"},
        "channel": {"id": CHANNEL, "name": "finance"},
        "trigger_id": bot.slack.new_trigger_id(),
        "response_url": bot.slack.new_response_url(channel_id=CHANNEL, user_id=EVE),
        "message_ts": "1700000000.000100",
        "message": {"ts": "1700000000.000100", "text": "", "files": [{"id": "F0FUZZ0001"}]},
    }
    return [
        ("form", form(SupplierCallback.NEW_BILL, new_bill.dump(), bill)),
        (
            "form",
            form(
                SupplierCallback.CREATE,
                SupplierMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB").dump(),
                text(SupplierInput.NAME, "Zephyr"),
            ),
        ),
        (
            "form",
            form(
                SupplierCallback.NEW_ACCOUNT,
                BankAccountMetadata(channel_id=CHANNEL, idempotency_key=key, locale="en_GB").dump(),
                {**text(SupplierInput.ACCOUNT_NAME, "Float"), **text("account_number", "01200440")},
            ),
        ),
        ("form", suggestion),
        ("form", shortcut),
    ]


def _signed(bot: Bot, kind: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    if kind == "form":
        body = urlencode({"payload": json.dumps(payload)}).encode()
    elif kind == "command":
        body = urlencode({k: "" if v is None else str(v) for k, v in payload.items()}).encode()
    else:
        body = json.dumps(payload).encode()
    content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
    signed = bot.requests.sign(body, content_type=content_type, payload=payload)
    return signed.body, signed.headers


@pytest.mark.slow
@pytest.mark.bot(approvers=[ANA], payers=[SAM])
@settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
async def test_tampered_requests_get_an_answer_in_time_and_change_nothing(
    targets: tuple[Bot, list[tuple[str, dict[str, Any]]]],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    bot, requests = targets
    kind, original = data.draw(st.sampled_from(requests), label="request")
    payload = copy.deepcopy(original)
    paths = [p for p in _paths(payload) if kind != "command" or len(p) == 1]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(paths), label="path")
        try:
            _mutate(payload, path, data.draw(junk, label="value"), data.draw(st.booleans()))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
        paths = list(_paths(payload)) if kind != "command" else paths
        if not paths:
            break
    if payload.get("response_url") == original.get("response_url") and "response_url" in original:
        # Slack gives every request its own response_url (usable 5 times).
        payload["response_url"] = bot.slack.new_response_url(
            channel_id=CHANNEL, user_id=EVE, message_ts=(original.get("message") or {}).get("ts")
        )
    before = await _state(bot)
    caplog.clear()
    body, headers = _signed(bot, kind, payload)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    elapsed = time.monotonic() - started

    assert response.status_code < 500, response.text
    assert response.status_code != 404, "Bolt found no listener: Slack shows 'didn't respond'"
    assert elapsed < SLACK_DEADLINE, (kind, str(payload)[:2000])
    await settled()  # what the request started after its ack
    assert await _state(bot) == before
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    caplog.clear()
    # What the bot sent Slack must be valid; a tampered response_url is the request's fault.
    problems = [p for p in bot.slack.take_problems() if not p.startswith("response_url")]
    assert not problems
    assert not tracebacks, caplog.text


async def test_a_timestamp_that_is_not_a_number_is_unauthorised(linked_bot: Bot) -> None:
    request = linked_bot.requests.command("/bills", user_id=ANA)
    headers = {**request.headers, "X-Slack-Request-Timestamp": "soon"}
    response = await linked_bot.http.post(
        f"{linked_bot.url}/slack/events", content=request.body, headers=headers
    )
    assert response.status_code == 401


async def test_a_megabyte_body_is_refused_quickly_and_changes_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    before = await _state(bot)
    payload = bot.requests.command_payload("/bills", "x" * 1_000_000, user_id=SAM)
    body, headers = _signed(bot, "command", payload)
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 413
    assert await _state(bot) == before


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_the_requests_as_sent_change_nothing_for_someone_the_policy_does_not_allow(
    targets: tuple[Bot, list[tuple[str, dict[str, Any]]]], caplog: pytest.LogCaptureFixture
) -> None:
    """The untouched requests the fuzz starts from: EVE may look, not create or decide."""
    bot, requests = targets
    before = await _state(bot)
    with caplog.at_level(logging.WARNING):
        for kind, original in requests:
            payload = dict(original)
            if "response_url" in payload:  # each request has its own, as from Slack
                payload["response_url"] = bot.slack.new_response_url(
                    channel_id=CHANNEL, user_id=EVE
                )
            body, headers = _signed(bot, kind, payload)
            response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
            assert response.status_code == 200, (kind, payload.get("type"), response.text)
        await settled()
    assert await _state(bot) == before
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text
