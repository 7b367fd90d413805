"""Someone the policy does not allow is refused before anything asks them a question: the card's
buttons carry no dialog of their own that Slack would show before the bot can answer."""

from __future__ import annotations

import pytest

from billpay.slack.blocks.ids import Action
from testkit.bot import Bot
from testkit.world import ANA, SAM
from tests.slack.handlers.test_bills_flow import _open_bill


def _button(message: dict, bill_id: str, action_id: str) -> dict:
    (actions,) = [b for b in message["blocks"] if b.get("block_id") == f"card_actions:{bill_id}"]
    return next(e for e in actions["elements"] if e["action_id"] == action_id)


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_a_payer_who_may_not_reject_is_refused_before_being_asked_anything(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    # Slack shows a button's confirm dialog before the click reaches the bot: Sam would be
    # asked "Reject this bill?" and only then told he may not.
    assert "confirm" not in _button(message, bill_id, Action.REJECT)

    opened = len(bot.slack.calls_to("views.open"))
    before = len(bot.slack.responses)
    await bot.click(message, Action.REJECT, bill_id, user=SAM)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "Only <@U0ANA> can" in answer["text"], answer
    assert len(bot.slack.calls_to("views.open")) == opened  # no reason asked of him

    # Ana, who may, is asked for the reason; the form says what rejecting means.
    await bot.click(message, Action.REJECT, bill_id, user=ANA)
    view = (await bot.slack.wait_for("views.open", count=opened + 1))[-1].response["view"]
    assert view["callback_id"] == "reject_bill"
    assert "A rejected bill can't be paid from Slack." in str(view["blocks"])
