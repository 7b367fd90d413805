"""When the bot's database or the payables API can't be reached, every click still gets its
answer in time, in plain words, on the surface the person is looking at; the payment's story
reads the same in the modal, on the card and in the thread; no internal URL or id reaches
anyone (the log keeps them, under the reference the person is given)."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from billpay.slack.blocks.ids import Action
from billpay.slack.boundary import settled
from testkit.bot import Bot, bill_ids, card_text, shows_result
from testkit.world import ANA, CHANNEL, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal

SLACK_DEADLINE = 3.0
INTERNAL = re.compile(r"https?://|/companies/|sandbox\.test|127\.0\.0\.1|postgresql|Traceback")


def _break_database(bot: Bot) -> None:
    """From now on every session of the bot's database fails to connect (nothing listens)."""
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/billpay")
    bot.services.db.sessions = async_sessionmaker(engine, expire_on_commit=False)


class _Unreachable(httpx.AsyncBaseTransport):
    """The payables API's network: requests matching `fails` never connect."""

    def __init__(self, inner: httpx.AsyncBaseTransport, fails: Any) -> None:
        self.inner, self.fails = inner, fails

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fails(request):
            raise httpx.ConnectError("All connection attempts failed", request=request)
        return await self.inner.handle_async_request(request)


def _break_payables(bot: Bot, fails: Any = lambda request: True) -> None:
    transport = bot.payables_transport
    transport.inner = _Unreachable(transport.inner, fails)


def _everything_shown(bot: Bot) -> str:
    """Every text the bot sent to Slack: messages, updates, views and ephemeral answers."""
    shown = [
        {k: v for k, v in call.args.items() if k in ("text", "blocks", "view")}
        for call in bot.slack.calls
    ]
    shown += [{k: r.get(k) for k in ("text", "blocks")} for r in bot.slack.responses]
    return json.dumps(shown, ensure_ascii=False)


async def _timed(bot: Bot, request: Any) -> float:
    started = time.monotonic()
    response = await bot.send(request)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    return elapsed


async def _answer(bot: Bot, before: int) -> str:
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    return str(answer["text"])


async def _approved(bot: Bot) -> tuple[dict[str, Any], str]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    return await bot.wait_for_card(message["ts"], bill_id, "Approved by"), bill_id


async def test_with_the_database_unreachable_every_click_is_answered(
    linked_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = linked_bot
    message, bill_id = await _approved(bot)
    view = await _pay_modal(bot, message, bill_id, SAM)
    pending = next(b for b in bill_ids(message) if b != bill_id)
    _break_database(bot)
    requests = bot.requests

    answers = []
    for request in (
        requests.command("/bills", user_id=ANA),
        requests.click(
            message, Action.APPROVE, user_id=ANA, block_id_prefix=f"card_actions:{pending}"
        ),
        requests.click(message, Action.PAY, user_id=SAM, block_id_prefix=f"card_actions:{bill_id}"),
    ):
        before = len(bot.slack.responses)
        assert await _timed(bot, request) < SLACK_DEADLINE
        answers.append(await _answer(bot, before))
    for text in answers:
        assert "can't reach its database" in text and "Nothing was changed" in text, text
        reference = re.search(r"reference `([0-9a-f]{8})`", text)
        assert reference is not None, text
        assert f"reference {reference.group(1)}" in caplog.text  # the log has the same one

    updates = len(bot.slack.calls_to("views.update"))
    submission = requests.view_submission(view, user_id=SAM)
    assert await _timed(bot, submission) < SLACK_DEADLINE
    result = (await bot.slack.wait_for("views.update", count=updates + 1))[-1].args["view"]
    assert "can't reach its database" in str(result) and "Nothing was paid" in str(result)
    await settled()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    assert not INTERNAL.search(_everything_shown(bot))


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_with_the_payables_api_unreachable_approve_reject_and_pay_say_so(
    linked_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    approved = next(b for b in bill_ids(message) if b != bill_id)
    await bot.click(message, Action.APPROVE, approved, user=ANA)
    message = await bot.wait_for_card(message["ts"], approved, "Approved by")
    other = next(b for b in (await bot.bills(user=ANA))["blocks"] if "block_id" in b)
    _break_payables(bot)
    requests = bot.requests
    caplog.set_level(logging.INFO)

    before = len(bot.slack.responses)
    card = f"card_actions:{bill_id}"
    await _timed(bot, requests.click(message, Action.APPROVE, user_id=ANA, block_id_prefix=card))
    approve = await _answer(bot, before)
    assert approve.startswith("The accounting platform didn't answer in time. Nothing was changed.")

    # Pay… opens its loading modal before reading anything; the reason then shows there.
    opened = len(bot.slack.calls_to("views.open"))
    paying = f"card_actions:{approved}"
    await _timed(bot, requests.click(message, Action.PAY, user_id=SAM, block_id_prefix=paying))
    pay = json.dumps((await bot.modal(opened))["blocks"])
    assert "didn't answer in time" in pay and "Nothing was changed" in pay

    # Reject opens its modal from the bot's own record; the submission re-reads the bill.
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.REJECT, bill_id, user=ANA)
    view = (await bot.slack.wait_for("views.open", count=opened + 1))[-1].response["view"]
    ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
    await bot.submit(view, {"reject_reason": "Not our order"}, user=ANA)
    (said,) = (await bot.slack.wait_for("chat.postEphemeral", count=ephemerals + 1))[ephemerals:]
    assert said.args["user"] == ANA and said.args["channel"] == CHANNEL
    assert "didn't answer in time. Nothing was changed." in said.args["text"]

    await settled()
    assert other  # the listing itself was untouched by the faults
    assert await bot.case_state(bill_id) == "pending"
    assert not INTERNAL.search(_everything_shown(bot))


async def test_a_payment_that_cannot_reach_the_api_reads_the_same_everywhere(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message, bill_id = await _approved(bot)
    view = await _pay_modal(bot, message, bill_id, SAM)
    # Reads work; the payment itself never connects.
    _break_payables(bot, lambda request: request.method == "POST")

    await bot.submit(view, user=SAM)
    card = await bot.wait_for_card(message["ts"], bill_id, "Payment failed")
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == message["ts"]
    )
    result = str((await bot.slack.wait_for("views.update", where=shows_result))[-1].args["view"])
    (line,) = bot.slack.thread(CHANNEL, message["ts"])
    cause = "The accounting platform didn't answer in time. Nothing was paid."
    for surface in (card_text(card, bill_id), line["text"], result):
        assert cause in surface, surface
    assert "Pay" in json.dumps(card)  # a payment that never connected can simply be paid again
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    assert not INTERNAL.search(_everything_shown(bot))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (409, "The accounting data is still syncing. Nothing was changed. Try again in a minute."),
        (402, "The payables service account needs attention (plan or billing)"),
        (403, "Bill Pay isn't allowed to do that in the accounting platform."),
    ],
)
async def test_what_codat_says_of_a_listing_is_worded_for_a_person(
    linked_bot: Bot, status: int, words: str
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)  # from the mirror
    bill_id = await _open_bill(bot, message)
    bot.sandbox.faults.fail_operation("list-bills", status)
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)  # re-reads the bill live
    answer = await _answer(bot, before)
    assert answer.startswith(words), answer
    assert "payment" not in answer  # a read, never taken for a payment's outcome
    assert not INTERNAL.search(_everything_shown(bot))
