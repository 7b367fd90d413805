"""Bounds checked before anything is stored, and nothing trusted from a message: reasons and
references of any length or with control characters, tampered modal metadata, a payment key
borrowed from another bill, a payment date the form claims is today, stale buttons."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from billpay.slack.blocks.ids import Action, Input, MoreOption
from billpay.slack.blocks.metadata import MoreAction, PayMetadata
from billpay.store.models import CaseState, Decision, Payment
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, bill_ids
from testkit.world import ANA, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal
from tests.slack.handlers.test_safety import _approved_pay_modal


async def _reject_modal(bot: Bot) -> tuple[dict, str, dict]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.REJECT, bill_id, user=ANA)
    view = (await bot.slack.wait_for("views.open", count=opened + 1))[-1].response["view"]
    return message, bill_id, view


async def _rows(bot: Bot, table: type) -> int:
    async with bot.services.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def _forged(
    bot: Bot,
    view: dict,
    *,
    user: str,
    metadata: str | None = None,
    values: dict[str, str] | None = None,
) -> dict:
    """Submit `view` as a forged client would: with other metadata, or values Slack's own
    client would not let through. Returns the bot's ack body."""
    payload = bot.requests.view_submission_payload(
        view, dict.fromkeys(values or {}, "placeholder"), user_id=user
    )
    if metadata is not None:
        payload["view"]["private_metadata"] = metadata
    for block_id, value in (values or {}).items():
        payload["view"]["state"]["values"][block_id][block_id]["value"] = value
    response = await bot.send(bot.requests._form(payload, None))
    assert response.status_code == 200, response.text
    return json.loads(response.text) if response.text.strip() else {}


def _tampered(view: dict, **changes: object) -> str:
    return json.dumps({**json.loads(view["private_metadata"]), **changes})


@pytest.mark.parametrize(
    ("reason", "error"),
    [("x" * 20_000, "Keep this to 500 characters"), ("Not \x00ours", "special characters")],
)
async def test_a_reject_reason_too_long_or_with_control_characters_is_a_field_error(
    linked_bot: Bot, reason: str, error: str
) -> None:
    bot = linked_bot
    _, bill_id, view = await _reject_modal(bot)
    # Slack's client caps the field at 500; a forged submission need not.
    ack = await _forged(bot, view, user=ANA, values={Input.REJECT_REASON: reason})
    assert ack["response_action"] == "errors" and error in ack["errors"][Input.REJECT_REASON]
    assert await _rows(bot, Decision) == 0
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def test_a_reference_with_a_nul_byte_is_a_field_error(linked_bot: Bot) -> None:
    bot = linked_bot
    _, _, view = await _approved_pay_modal(bot)
    ack = await bot.submit(view, {Input.PAY_REFERENCE: "INV\x00-1"}, user=SAM)
    assert ack["response_action"] == "errors" and Input.PAY_REFERENCE in ack["errors"]
    assert await _rows(bot, Payment) == 0


async def test_tampered_pay_metadata_is_out_of_date_and_pays_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    _, bill_id, view = await _approved_pay_modal(bot)
    for tampered in (
        _tampered(view, k="billpay-not-a-guid"),
        _tampered(view, due="-1"),
        _tampered(view, ch="<!channel>"),
        "{" * 10,
    ):
        ack = await _forged(bot, view, user=SAM, metadata=tampered)
        assert ack["response_action"] == "update"
        assert "This form is out of date" in json.dumps(ack["view"])
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    assert await _rows(bot, Payment) == 0


async def test_a_payment_key_of_another_bill_is_never_looked_up(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    await bot.submit(view, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    paid_key = PayMetadata.load(view["private_metadata"])
    assert paid_key is not None

    other = next(b for b in bill_ids(message) if b != bill_id)
    await bot.click(message, Action.APPROVE, other, user=ANA)
    message = await bot.wait_for_card(message["ts"], other, "Approved by")
    other_view = await _pay_modal(bot, message, other, SAM)
    updates = len(bot.slack.calls_to("views.update"))
    # The second form carries the first payment's key: it must not be taken for that payment.
    await _forged(
        bot, other_view, user=SAM, metadata=_tampered(other_view, k=paid_key.idempotency_key)
    )
    result = (await bot.slack.wait_for("views.update", count=updates + 1))[-1].args["view"]
    assert "This form is out of date" in json.dumps(result)
    assert "already recorded" not in json.dumps(result)
    assert await sandbox_payments(bot.sandbox, other) == 0
    assert await bot.case_state(other) == CaseState.APPROVED


async def test_the_payment_date_is_checked_against_the_servers_today(linked_bot: Bot) -> None:
    bot = linked_bot
    _, _, view = await _approved_pay_modal(bot)
    # The form once carried its own "today"; a submission claiming yesterday is today is refused.
    ack = await bot.submit(view, {Input.PAY_DATE: "2026-11-21"}, user=SAM)
    assert ack["response_action"] == "errors"
    assert "today, or a later date" in ack["errors"][Input.PAY_DATE]
    assert await _rows(bot, Payment) == 0


async def test_a_button_of_an_older_version_is_out_of_date(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    # Buttons once carried the bare bill id.
    click = bot.requests.block_action(
        {"type": "button", "action_id": Action.APPROVE, "value": bill_id, "block_id": "old"},
        message=message,
        user_id=ANA,
    )
    assert (await bot.send(click)).status_code == 200
    (answer,) = await bot.slack.wait_for_responses(
        where=lambda r: "out of date" in str(r.get("text"))
    )
    assert "run `/bills` again" in answer["text"] and answer["response_type"] == "ephemeral"
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def test_an_unknown_button_is_answered_not_ignored(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    click = bot.requests.block_action(
        {"type": "button", "action_id": "bill_pay_twice", "value": "x", "block_id": "old"},
        message=message,
        user_id=ANA,
    )
    assert (await bot.send(click)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "out of date" in str(r.get("text")))


async def test_the_details_fallback_text_is_escaped(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    async with bot.sandbox.db.write() as s:
        bill = await s.get(sandbox_store.Bill, bill_id)
        assert bill is not None
        bill.supplier_name = "<!channel> Evil & Co"
    await bot.send(
        bot.requests.click(
            message,
            Action.MORE,
            user_id=ANA,
            block_id_prefix=f"card_actions:{bill_id}",
            option_value=MoreAction(choice=MoreOption.DETAILS, bill_id=bill_id).dump(),
        )
    )
    (details,) = await bot.slack.wait_for_responses(where=lambda r: "Details" in str(r))
    assert "<!channel>" not in details["text"] and "&lt;!channel&gt;" in details["text"]
