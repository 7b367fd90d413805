"""Pay… on a card: shown only in the states where a payment can be made, and a click by someone
who may not pay now answered at once, in words, before any modal opens or the payables API is
asked anything. A card in a channel is the same for everyone, so the refusal is per click."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.metadata import BillAction
from testkit.bot import Bot, card_actions
from testkit.world import ANA, BEN, EVE, SAM
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal


class _Held(httpx.AsyncBaseTransport):
    """The payables API's network, held: no request gets through until `release()`."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.open, self.waiting = inner, asyncio.Event(), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.waiting += 1
        await self.open.wait()
        return await self.inner.handle_async_request(request)


def _hold_payables(bot: Bot) -> _Held:
    held = _Held(bot.payables_transport.inner)
    bot.payables_transport.inner = held
    return held


async def _click_pay(bot: Bot, message: dict[str, Any], bill_id: str, user: str) -> str:
    """Pay… as a card that still shows it (an older copy, a client not yet refreshed) sends it;
    returns the answer only `user` sees."""
    before = len(bot.slack.responses)
    action = {
        "type": "button",
        "action_id": Action.PAY,
        "block_id": f"card_actions:{bill_id}",
        "text": {"type": "plain_text", "text": "Pay…"},
        "value": BillAction(bill_id=bill_id).dump(),
    }
    response = await bot.send(bot.requests.block_action(action, message=message, user_id=user))
    assert response.status_code == 200, response.text
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


@pytest.mark.bot(dual_approval_threshold=Decimal(100))
async def test_pay_appears_once_enough_approvers_said_yes_and_before_that_says_why_not(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    assert Action.PAY not in card_actions(message, bill_id)  # waiting for approval
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "1 of 2")
    assert card_actions(message, bill_id) == [Action.APPROVE, Action.REJECT, Action.MORE]

    held = _hold_payables(bot)
    opened = len(bot.slack.calls_to("views.open"))
    answer = await _click_pay(bot, message, bill_id, SAM)
    assert "needs approval" in answer and "1 of 2" in answer, answer
    assert len(bot.slack.calls_to("views.open")) == opened and held.waiting == 0
    held.open.set()

    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    message = await bot.wait_for_card(message["ts"], bill_id, "2 of 2")
    assert card_actions(message, bill_id)[0] == Action.PAY


@pytest.mark.bot(approver_may_pay=False, payers=[ANA, SAM])
async def test_the_approver_who_may_not_pay_is_told_at_once_and_sees_no_modal(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    held = _hold_payables(bot)
    opened = len(bot.slack.calls_to("views.open"))
    answer = await _click_pay(bot, message, bill_id, ANA)
    assert "You approved this bill" in answer and "someone else" in answer, answer
    answer = await _click_pay(bot, message, bill_id, EVE)
    assert "can pay bills in this channel" in answer, answer
    assert len(bot.slack.calls_to("views.open")) == opened and held.waiting == 0

    held.open.set()
    await bot.click(message, Action.PAY, bill_id, user=SAM)  # a payer who didn't approve
    assert (await bot.modal(opened))["callback_id"] == "pay_bill"


async def test_pay_on_an_older_copy_of_a_paid_card_says_so_at_once(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    older = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, older, bill_id, SAM)
    await bot.submit(view, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")

    held = _hold_payables(bot)
    opened = len(bot.slack.calls_to("views.open"))
    answer = await _click_pay(bot, older, bill_id, BEN)
    assert "already paid" in answer, answer
    assert len(bot.slack.calls_to("views.open")) == opened and held.waiting == 0
    held.open.set()
