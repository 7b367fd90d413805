"""The Pay modal before it is submitted: changing the account, the amount or the rate updates the
view (the rate as nobody can invert it, what the payment comes to in the company's currency),
keeps what the person typed, and answers bad text with a hint instead of failing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from billpay.slack.blocks.ids import Action, Input
from billpay.slack.boundary import settled
from billpay.slack.handlers.pay_form import Redraws
from billpay.store.models import CaseState
from testkit.bot import Bot
from testkit.world import ANA, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def _preview(view: dict[str, Any]) -> str:
    block = _block(view, "pay_preview")
    assert block is not None, [b.get("block_id") for b in view["blocks"]]
    return " ".join(e["text"] for e in block["elements"])


async def _change(
    bot: Bot, view: dict[str, Any], action_id: str, value: Any, **typed: Any
) -> dict[str, Any]:
    """Type or pick `value` in `action_id` of the open modal (with `typed` entered elsewhere);
    returns the view as the bot updated it."""
    updates = len(bot.slack.calls_to("views.update"))
    request = bot.requests.click(view, action_id, user_id=SAM, option_value=value, inputs=typed)
    response = await bot.send(request)
    assert response.status_code == 200, response.text
    (call,) = (await bot.slack.wait_for("views.update", count=updates + 1))[updates:]
    assert call.ok, call.response
    assert call.args["hash"] == view["hash"]  # a later change in the modal wins, never an older
    return call.response["view"]


async def _approved_foreign_modal(bot: Bot) -> tuple[dict[str, Any], str, dict[str, Any]]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message, "EUR")
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    return message, bill_id, await _pay_modal(bot, message, bill_id, SAM)


async def test_the_rate_and_the_converted_amount_show_before_submitting(linked_bot: Bot) -> None:
    bot = linked_bot
    _message, bill_id, view = await _approved_foreign_modal(bot)
    amount = _block(view, Input.PAY_AMOUNT)
    rate = _block(view, Input.PAY_RATE)
    assert amount and rate and amount["dispatch_action"] and rate["dispatch_action"]
    assert rate["element"]["dispatch_action_config"]["trigger_actions_on"]
    assert "exchange rate" in _preview(view)  # asks for it, says what it will show

    view = await _change(bot, view, Input.PAY_RATE, "0.8612", pay_amount="100.00")
    preview = _preview(view)
    assert "1 EUR = 0.8612 GBP" in preview and "≈ £86.12" in preview, preview
    assert "Euro Account" in preview  # the account the euros leave
    # What was typed is kept, in the fields as they were.
    assert _block(view, Input.PAY_AMOUNT)["element"]["initial_value"] == "100.00"
    assert _block(view, Input.PAY_RATE)["element"]["initial_value"] == "0.8612"

    # Paying from the pounds account: the rate stays (it converts into the books' pounds) and
    # the preview says that the pounds leave that account.
    gbp = bot.sandbox.demo.bank_accounts["GBP"]
    view = await _change(bot, view, Input.PAY_ACCOUNT, gbp, pay_amount="10", pay_rate="0.8612")
    preview = _preview(view)
    assert "≈ £8.61" in preview and "Business Current" in preview, preview
    assert _block(view, Input.PAY_ACCOUNT)["element"]["initial_option"]["value"] == gbp
    assert _block(view, Input.PAY_AMOUNT)["element"]["initial_value"] == "10"

    # Bad text gets a hint in the modal, nothing fails and nothing is paid.
    view = await _change(bot, view, Input.PAY_RATE, "0,86,12", pay_amount="10")
    assert "is not an exchange rate" in _preview(view)
    assert _block(view, Input.PAY_RATE)["element"]["initial_value"] == "0,86,12"
    view = await _change(bot, view, Input.PAY_AMOUNT, "€10", pay_rate="0.8612")
    assert "That amount is in EUR" not in _preview(view)  # the bill's own symbol is fine
    view = await _change(bot, view, Input.PAY_AMOUNT, "$10", pay_rate="0.8612")
    assert "That amount is in USD" in _preview(view)
    bot.slack.assert_no_problems()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    # The final check is still the submission's.
    ack = await bot.submit(view, user=SAM)
    assert ack["response_action"] == "errors" and Input.PAY_AMOUNT in ack["errors"]
    ack = await bot.submit(view, {"pay_amount": "10"}, user=SAM)
    assert ack["response_action"] == "update"
    await bot.slack.wait_for("views.update", where=lambda c: "recorded in" in str(c.args))
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    assert await bot.case_state(bill_id) == CaseState.APPROVED  # partly paid: the rest is due


async def test_a_bill_in_the_base_currency_has_no_rate_field(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)
    assert _block(view, Input.PAY_RATE) is None
    view = await _change(bot, view, Input.PAY_AMOUNT, "2.5")
    assert _block(view, Input.PAY_RATE) is None
    assert "£2.50" in _preview(view)  # read as the person's locale writes it, and said back
    view = await _change(bot, view, Input.PAY_AMOUNT, "ten")
    assert "is not an amount" in _preview(view)


async def test_the_newest_change_shows_whatever_order_the_redraws_land_in(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _message, _bill_id, view = await _approved_foreign_modal(bot)

    async def typed_in_order(*amounts: str, sent: tuple[int, ...]) -> dict[str, Any]:
        # Both changes leave the client before either redraw lands: they carry the same hash.
        requests = [
            bot.requests.click(
                view, Input.PAY_AMOUNT, user_id=SAM, option_value=a, inputs={"pay_rate": "2"}
            )
            for a in amounts
        ]
        for index in sent:
            assert (await bot.send(requests[index])).status_code == 200
            await settled()  # this change's redraw has landed or was dropped
        return bot.slack.views[view["id"]]

    shown = await typed_in_order("1", "12", sent=(0, 1))  # in order: the second redraw retries
    assert "£24.00" in _preview(shown), _preview(shown)
    view = shown
    shown = await typed_in_order("3", "34", sent=(1, 0))  # the older one lands last: dropped
    assert "£68.00" in _preview(shown), _preview(shown)
    assert _block(shown, Input.PAY_AMOUNT)["element"]["initial_value"] == "34"


async def test_a_change_that_arrives_after_the_modal_closed_is_let_go(
    linked_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = linked_bot
    _message, _bill_id, view = await _approved_foreign_modal(bot)
    request = bot.requests.click(view, Input.PAY_AMOUNT, user_id=SAM, option_value="5")
    del bot.slack.views[view["id"]]  # closed before the change reached the bot
    assert (await bot.send(request)).status_code == 200
    await settled()
    call = bot.slack.calls_to("views.update")[-1]  # after the one that filled the form in
    assert call.error == "not_found"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


async def test_a_change_older_than_the_submission_does_not_wipe_its_answer() -> None:
    class Client:
        updates: list[str] = []

        async def views_update(self, **args: Any) -> dict[str, Any]:
            self.updates.append(args["view_id"])
            return {"view": {"hash": "h2"}}

    client, redraws = Client(), Redraws()
    five_hundred = ("acc", "500", None)
    typed = redraws.arrived()  # "500" typed: its preview is being drawn...
    redraws.submitted("V1", five_hundred)  # ...when Pay is pressed, answered with a field error
    await redraws.draw(client, "V1", "h1", 1.0, {}, arrival=typed, entered=five_hundred)  # type: ignore[arg-type]
    assert client.updates == []  # the error stays on screen
    # The same change reaching the bot only after the submission: the same.
    later = redraws.arrived()
    await redraws.draw(client, "V1", "h1", 1.0, {}, arrival=later, entered=five_hundred)  # type: ignore[arg-type]
    assert client.updates == []
    # A change made after it is drawn.
    await redraws.draw(
        client, "V1", "h1", 2.0, {}, arrival=redraws.arrived(), entered=("acc", "50", None)
    )  # type: ignore[arg-type]
    assert client.updates == ["V1"]
