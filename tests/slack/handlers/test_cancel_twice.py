"""Two people call off the same payment: the second is told who did it first and when, in their
own time zone, not a generic refusal; nothing else changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.metadata import BillAction
from testkit.bot import Bot, card_actions
from testkit.payables import TODAY
from testkit.world import BEN, SAM, sandbox_payments
from tests.slack.handlers.test_safety import _approved_pay_modal


async def _press(bot: Bot, message: dict[str, Any], action_id: str, bill_id: str, user: str) -> str:
    """Press `action_id` on the card as `message` showed it; the answer only `user` sees."""
    before = len(bot.slack.responses)
    action = {
        "type": "button",
        "action_id": action_id,
        "block_id": f"card_actions:{bill_id}",
        "text": {"type": "plain_text", "text": "Cancel payment"},
        "value": BillAction(bill_id=bill_id).dump(),
    }
    response = await bot.send(bot.requests.block_action(action, message=message, user_id=user))
    assert response.status_code == 200, response.text
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


@pytest.mark.parametrize(
    ("when", "shown"),
    [(TODAY + timedelta(days=3), "scheduled for"), (TODAY, "in a few seconds")],
    ids=["scheduled", "held"],
)
@pytest.mark.bot(payment_hold_seconds=10)
async def test_cancelling_what_someone_else_cancelled_says_who_and_when(
    linked_bot: Bot, when: Any, shown: str
) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"tz": "America/New_York"}
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, {"pay_date": when.isoformat()}, user=SAM)
    seen_by_both = await bot.wait_for_card(message["ts"], bill_id, shown)
    assert Action.CANCEL_PAYMENT in card_actions(seen_by_both, bill_id)

    first = await _press(bot, seen_by_both, Action.CANCEL_PAYMENT, bill_id, SAM)
    assert "Undone" in first or "is cancelled" in first, first
    await bot.wait_for_card(message["ts"], bill_id, "Approved by")

    second = await _press(bot, seen_by_both, Action.CANCEL_PAYMENT, bill_id, BEN)
    # 10:00 in London is 05:00 in New York, where Ben reads it.
    assert second.startswith("Already cancelled by <@U0SAM> at 05:00"), second
    assert "approved" not in second.lower()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
