"""Malformed but validly signed requests, as an attacker or a buggy client would send them, to
every action, view, command and event the app registers: each gets a 200 or a 400 in plain words
(never a 5xx, never a traceback in the answer or the log), and nothing changes in the bot's
records or the sandbox.

- The named ones (`testkit.malformed.NAMED`: `actions: []`, `view: {}`, no `container`, a
  payload that is not JSON...) on every request they apply to, over a real socket: the ones Bolt
  would crash on are refused 400 by the gate (`billpay.slack.gate`), the others answered 200.
- Hypothesis changes the parts Bolt and the listeners read first, and (slow) any part at all.

The person acting (EVE) is neither approver nor payer, so no click could be allowed even if a
tampered value happened to be valid; refusals are audited, which is not a change of state.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billpay.slack.blocks.ids import Action, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from billpay.slack.boundary import settled
from billpay.store.db import Database
from billpay.store.models import AuditEvent, BillCase, CompanyLink, Decision, Payment
from payables_sandbox import store as sandbox_store
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, bill_ids, running_bot
from testkit.malformed import (
    CONTROL,
    JUNK,
    Malformed,
    Template,
    encode,
    fresh,
    mutate,
    named_cases,
    paths,
    request_templates,
    signed_body,
)
from testkit.profiles import examples
from testkit.slack import fake_slack_session
from testkit.world import ANA, CONNECT_DEMO, SAM

SLACK_DEADLINE = 3.0
EXAMPLES = 500

junk = st.one_of(
    st.sampled_from(JUNK),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet=CONTROL, min_size=1, max_size=10),
    st.builds(lambda n: "x" * n, st.integers(min_value=3000, max_value=70_000)),
    st.lists(st.text(max_size=5), max_size=3),
    st.lists(st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5)), max_size=2),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)
# The parts Bolt reads before any listener runs, and those every listener reads first.
FIRST_READ: tuple[tuple[Any, ...], ...] = (
    ("type",),
    ("actions",),
    ("actions", 0),
    ("actions", 0, "action_id"),
    ("actions", 0, "value"),
    ("view",),
    ("view", "callback_id"),
    ("view", "type"),
    ("view", "id"),
    ("view", "state"),
    ("view", "state", "values"),
    ("view", "private_metadata"),
    ("container",),
    ("container", "message_ts"),
    ("message",),
    ("message", "ts"),
    ("user",),
    ("user", "id"),
    ("team",),
    ("team", "id"),
    ("channel",),
    ("enterprise",),
    ("authorizations",),
    ("authorizations", 0),
    ("response_url",),
    ("response_urls",),
    ("event",),
    ("event", "type"),
    ("event", "user"),
    ("event", "message"),
    ("callback_id",),
    ("action_id",),
    ("command",),
    ("text",),
    ("user_id",),
    ("team_id",),
    ("channel_id",),
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


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _problems(bot: Bot) -> list[str]:
    """What the bot sent Slack that Slack would refuse; a tampered response_url is the
    request's fault, not the bot's."""
    return [p for p in bot.slack.take_problems() if not p.startswith("response_url")]


async def _send(bot: Bot, case: Malformed) -> Any:
    body, headers = signed_body(SIGNING_SECRET, case)
    return await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)


@pytest.fixture
async def targets(linked_bot: Bot) -> tuple[Bot, list[Template]]:
    return linked_bot, await request_templates(linked_bot)


@pytest.fixture
async def served(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[tuple[Bot, list[Template]]]:
    """The bot served by uvicorn on a port of its own, its channel linked, and the requests
    to tamper with."""
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        running_bot(sandbox, bot_db, slack, approvers=[ANA], payers=[SAM]) as bot,
    ):
        await bot.command("/billpay", CONNECT_DEMO, user=ANA)
        await bot.slack.wait_for_responses(count=1)
        yield bot, await request_templates(bot)


async def _named(
    served: tuple[Bot, list[Template]], caplog: pytest.LogCaptureFixture, *, every: bool
) -> int:
    bot, templates = served
    before = await _state(bot)
    wrong = []
    tried = 0
    with caplog.at_level(logging.WARNING):
        for case, refused in named_cases(templates, every=every):
            response = await _send(bot, case.for_bot(bot))
            tried += 1
            expected = 400 if refused else 200
            if response.status_code != expected or "Traceback" in response.text:
                wrong.append(f"{case.name}: {response.status_code} {response.text[:200]!r}")
            elif refused and response.text != "malformed request":
                wrong.append(f"{case.name}: answered {response.text[:200]!r}")
        await settled()
    assert not wrong, "\n".join(wrong)
    assert await _state(bot) == before
    assert not _tracebacks(caplog), caplog.text
    assert not _problems(bot)
    return tried


async def test_the_named_malformed_requests_get_a_plain_200_or_400_and_change_nothing(
    served: tuple[Bot, list[Template]], caplog: pytest.LogCaptureFixture
) -> None:
    """Each named change on one request of each type it applies to."""
    assert await _named(served, caplog, every=False) > 100


@pytest.mark.slow
async def test_the_named_malformed_requests_to_every_listener(
    served: tuple[Bot, list[Template]], caplog: pytest.LogCaptureFixture
) -> None:
    """Each named change on every request it applies to: every listener reads its own parts."""
    assert await _named(served, caplog, every=True) > 1000


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_a_click_on_a_message_without_a_response_url_gets_a_plain_answer(
    targets: tuple[Bot, list[Template]], caplog: pytest.LogCaptureFixture
) -> None:
    """Slack sends a response_url with every click on a message, and the listeners answer
    through it: a click without one (every menu choice and button of a card) is refused, never
    left to fail when its listener answers."""
    bot, templates = targets
    clicks = [
        t
        for t in templates
        if t.type == "block_actions"
        and isinstance(t.payload.get("container"), dict)
        and t.payload["container"].get("type") == "message"
    ]
    assert len(clicks) > 5
    before = await _state(bot)
    wrong = []
    with caplog.at_level(logging.WARNING):
        for template in clicks:
            payload = fresh(bot, template)
            del payload["response_url"]
            response = await _send(bot, Malformed("no response_url", template.kind, payload))
            await settled()
            if response.status_code not in (200, 400) or "Traceback" in response.text:
                wrong.append(f"{template.payload['actions']}: {response.status_code}")
    assert not wrong
    assert await _state(bot) == before
    assert not _tracebacks(caplog), [r.getMessage() for r in _tracebacks(caplog)]
    assert not _problems(bot)


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_junk_in_the_parts_read_first_gets_a_plain_200_or_400(
    targets: tuple[Bot, list[Template]],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    bot, templates = targets
    template = data.draw(st.sampled_from(templates), label="request")
    payload = fresh(bot, template)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="changes")):
        path = data.draw(st.sampled_from(FIRST_READ), label="path")
        if template.kind == "command" and len(path) > 1:
            continue  # a slash command is flat
        try:
            mutate(payload, path, data.draw(junk, label="value"), data.draw(st.booleans()))
        except (KeyError, IndexError, TypeError):
            continue  # the request has no such part (any more)
    before = await _state(bot)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = await _send(bot, Malformed("drawn", template.kind, payload=payload))
        await settled()  # what the request started after its ack
    assert response.status_code in (200, 400), response.text
    assert "Traceback" not in response.text
    assert await _state(bot) == before
    tracebacks = _tracebacks(caplog)
    caplog.clear()
    assert not _problems(bot)
    assert not tracebacks, [r.getMessage() for r in tracebacks]


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
    targets: tuple[Bot, list[Template]],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    bot, templates = targets
    template = data.draw(st.sampled_from(templates), label="request")
    payload = copy.deepcopy(template.payload)
    found = [p for p in paths(payload) if template.kind != "command" or len(p) == 1]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(found), label="path")
        try:
            mutate(payload, path, data.draw(junk, label="value"), data.draw(st.booleans()))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
        found = list(paths(payload)) if template.kind != "command" else found
        if not found:
            break
    payload = fresh(bot, template, payload)
    before = await _state(bot)
    caplog.clear()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        response = await _send(bot, Malformed("drawn", template.kind, payload=payload))
    elapsed = time.monotonic() - started

    assert response.status_code in (200, 400), response.text
    assert "Traceback" not in response.text
    assert elapsed < SLACK_DEADLINE, (template.kind, str(payload)[:2000])
    await settled()  # what the request started after its ack
    assert await _state(bot) == before
    tracebacks = _tracebacks(caplog)
    caplog.clear()
    assert not _problems(bot)
    assert not tracebacks, caplog.text


async def test_an_unsigned_malformed_request_is_unauthorised_not_malformed(
    linked_bot: Bot,
) -> None:
    body, _ = encode("form", {"type": "block_actions", "actions": []})
    signed = signed_body(SIGNING_SECRET, Malformed("actions: []", "raw", raw=body))[1]
    headers = {**signed, "X-Slack-Signature": "v0=" + "0" * 64}
    response = await linked_bot.http.post(
        f"{linked_bot.url}/slack/events", content=body, headers=headers
    )
    assert response.status_code == 401


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
    body, headers = signed_body(SIGNING_SECRET, Malformed("huge", "command", payload))
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 413
    assert await _state(bot) == before


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_the_requests_as_sent_change_nothing_for_someone_the_policy_does_not_allow(
    targets: tuple[Bot, list[Template]], caplog: pytest.LogCaptureFixture
) -> None:
    """The untouched requests the fuzz starts from: EVE may look, not create or decide."""
    bot, templates = targets
    before = await _state(bot)
    with caplog.at_level(logging.WARNING):
        for template in templates:
            # Each request has its own response_url, as from Slack.
            response = await _send(bot, Malformed("as sent", template.kind, fresh(bot, template)))
            assert response.status_code == 200, (template.type, response.text)
        await settled()
    assert await _state(bot) == before
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
@pytest.mark.parametrize("action_id", [Action.REJECT, Action.MORE])
async def test_a_click_that_opens_a_form_without_its_trigger_is_out_of_date_for_anyone(
    linked_bot: Bot, caplog: pytest.LogCaptureFixture, action_id: str
) -> None:
    """Reject, or the card's menu asking a question, by the approver: the modal can't open
    without Slack's trigger, and the click says so instead of failing as a fault of ours."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    payload = bot.requests.click_payload(
        message,
        action_id,
        user_id=ANA,
        block_id_prefix=f"card_actions:{bill_id}",
        option_value=(
            MoreAction(choice=MoreOption.ASK, bill_id=bill_id).dump()
            if action_id == Action.MORE
            else None
        ),
    )
    del payload["trigger_id"]
    before = await _state(bot)
    with caplog.at_level(logging.WARNING):
        response = await _send(bot, Malformed("no trigger_id", "form", payload))
        assert response.status_code == 200
        await bot.slack.wait_for_responses(where=lambda r: "out of date" in str(r.get("text")))
        await settled()
    assert not bot.slack.calls_to("views.open")
    assert await _state(bot) == before
    assert not _tracebacks(caplog), caplog.text
