"""End to end over HTTP: a question on a card (asked in its thread, shown on the card, holding
back payment until resolved by the asker or an approver), and replies in a card's thread that
read as an approval, which only ever offer the approver a button."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from billpay.bills.questions import reads_as_approval
from billpay.slack.blocks.ids import Action, Callback, Input, MoreOption
from billpay.store.models import AuditEvent, CaseState
from testkit.bot import Bot, bill_ids, card_text
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM
from tests.slack.handlers.test_invoices import use_more


async def ask(bot: Bot, message: dict[str, Any], bill_id: str, *, by: str, of: str) -> None:
    before = len(bot.slack.calls_to("views.open"))
    await use_more(bot, message, bill_id, MoreOption.ASK, by)
    opened = (await bot.slack.wait_for("views.open", count=before + 1))[-1]
    assert opened.ok, opened.response
    view = opened.response["view"]
    assert view["callback_id"] == Callback.ASK
    ack = await bot.submit(
        view, {Input.ASK_TEXT: "Did we get the <!channel> pallets?", Input.ASK_WHO: of}, user=by
    )
    assert ack == {}


def thread_buttons(bot: Bot, ts: str) -> list[dict[str, Any]]:
    return [m for m in bot.slack.thread(CHANNEL, ts) if m.get("blocks")]


@pytest.mark.bot(approvers=[ANA, BEN])
async def test_a_question_is_asked_in_the_thread_and_holds_back_payment(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    await ask(bot, message, bill_id, by=SAM, of=BEN)

    message = await bot.wait_for_card(message["ts"], bill_id, "Question open")
    assert "<@U0SAM> asked <@U0BEN>" in card_text(message, bill_id)
    (posted,) = thread_buttons(bot, message["ts"])
    text = json.dumps(posted["blocks"])
    assert "<@U0BEN>" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "<!channel>" not in posted["text"] and "&lt;!channel&gt;" in posted["text"]

    # Paying needs the override while the question is open.
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.click(message, Action.PAY, bill_id, user=SAM)
    view = await bot.modal(1)
    assert "Pay although a question is open" in json.dumps(view)
    assert (await bot.submit(view, {Input.PAY_CONFIRM: ["question"]}, user=SAM))[
        "response_action"
    ] == "update"
    message = await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    async with bot.services.db.read() as s:
        details = await s.scalar(
            select(AuditEvent.details).where(
                AuditEvent.bill_id == bill_id, AuditEvent.action == "payment_requested"
            )
        )
    assert details is not None and details["confirmed"] == ["question"]

    # Someone who neither asked nor approves can't resolve it; the asker can.
    resolve = bot.requests.click(posted, Action.RESOLVE_QUESTION, user_id=EVE)
    assert (await bot.send(resolve)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "Only the person who asked" in r["text"])
    resolve = bot.requests.click(posted, Action.RESOLVE_QUESTION, user_id=SAM)
    assert (await bot.send(resolve)).status_code == 200
    message = await bot.slack.wait_for(
        "chat.postMessage",
        where=lambda c: "resolved by <@U0SAM>" in c.args.get("text", ""),
    )
    await bot.slack.wait_for(
        "chat.update",
        where=lambda c: (
            c.args.get("ts") == posted["thread_ts"]
            and "Question open" not in card_text(c.args, bill_id)
        ),
    )


@pytest.mark.bot(approvers=[ANA, BEN])
async def test_a_reply_that_reads_as_approval_offers_a_button_and_decides_nothing(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    await ask(bot, message, bill_id, by=ANA, of=BEN)
    await bot.wait_for_card(message["ts"], bill_id, "Question open")

    # Not an approver, or not an approval: nothing.
    for user, text in ((EVE, "approved"), (BEN, "not approved yet"), (BEN, "why?")):
        event = bot.slack.uploads.reply(CHANNEL, user, text, message["ts"])
        assert (await bot.send(bot.requests.event(event))).status_code == 200
    event = bot.slack.uploads.reply(CHANNEL, BEN, "Looks good!", message["ts"])
    assert (await bot.send(bot.requests.event(event))).status_code == 200
    await bot.slack.wait_for("chat.postEphemeral")
    (prompt,) = [e for e in bot.slack.ephemerals if e.get("blocks")]
    assert prompt["user"] == BEN and prompt["thread_ts"] == message["ts"]
    assert "Approve this bill?" in json.dumps(prompt["blocks"])
    assert await bot.case_state(bill_id) == CaseState.PENDING  # nothing decided yet

    # The bill is listed again meanwhile: the approval shows on every message listing it.
    again = await bot.bills(user=ANA)
    assert bill_id in bill_ids(again)
    shown = {"ts": prompt["message_ts"], "channel": CHANNEL, "blocks": prompt["blocks"]}
    click = bot.requests.click(
        shown,
        Action.REPLY_APPROVE,
        user_id=BEN,
        channel_id=CHANNEL,
    )
    assert (await bot.send(click)).status_code == 200
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0BEN>")
    await bot.wait_for_card(again["ts"], bill_id, "Approved by <@U0BEN>")
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    bot.slack.assert_no_problems()


async def test_replies_elsewhere_are_not_read(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.bills(user=ANA)
    other = bot.slack._post(CHANNEL, "lunch?", None, None, {"user": SAM})
    event = bot.slack.uploads.reply(CHANNEL, ANA, "approved", other["ts"])
    assert (await bot.send(bot.requests.event(event))).status_code == 200
    bot_edit = {**event, "subtype": "message_changed"}
    assert (await bot.send(bot.requests.event(bot_edit))).status_code == 200
    assert bot.slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize(
    "text",
    [
        "approved",
        "Approved.",
        "looks good",
        "LGTM",
        "ok to pay",
        "OK to pay!",
        "Approuvé",
        "c’est bon",
        "ça me va",
        "ok pour payer",
        "bon pour paiement",
        "<@U0SAM> approved :+1:",
    ],
)
def test_approvals_in_english_and_french(text: str) -> None:
    assert reads_as_approval(text)


@pytest.mark.parametrize(
    "text",
    [
        "not approved",
        "approved?! who said so, this is wrong",
        "is it ok to pay?",
        "looks bad",
        "I approved the other one but not this",
        "",
    ],
)
def test_other_replies(text: str) -> None:
    assert not reads_as_approval(text)


@given(st.text(max_size=300))
def test_any_reply_is_read_without_failing_and_long_ones_never_count(text: str) -> None:
    answer = reads_as_approval(text)
    assert isinstance(answer, bool)
    assert not reads_as_approval("not " + text)
    assert not reads_as_approval("approved " + "x" * 60 + text)


async def test_a_blank_question_gets_a_field_error_and_a_tampered_resolve_changes_nothing(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    first, second = bill_ids(message)[:2]
    await use_more(bot, message, first, MoreOption.ASK, ANA)
    (opened,) = await bot.slack.wait_for("views.open")
    ack = await bot.submit(
        opened.response["view"], {Input.ASK_TEXT: "   ", Input.ASK_WHO: BEN}, user=ANA
    )
    assert (
        ack["response_action"] == "errors" and "Write the question" in ack["errors"][Input.ASK_TEXT]
    )

    await ask(bot, message, second, by=ANA, of=BEN)
    await bot.wait_for_card(message["ts"], second, "Question open")
    (posted,) = thread_buttons(bot, message["ts"])
    tampered = json.loads(posted["blocks"][1]["elements"][0]["value"])
    tampered["b"] = first  # the question belongs to another bill
    posted["blocks"][1]["elements"][0]["value"] = json.dumps(tampered)
    stored = bot.slack.thread(CHANNEL, message["ts"])[0]
    stored["blocks"] = posted["blocks"]
    await bot.send(bot.requests.click(posted, Action.RESOLVE_QUESTION, user_id=ANA))
    await bot.slack.wait_for_responses(where=lambda r: "out of date" in r["text"])
    card = card_text(bot.message(message["ts"]), second)
    assert "Question open" in card
