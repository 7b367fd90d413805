"""Words within Slack's 3 seconds, whatever the payables API does: the payables API's answers
are held at a gate the test controls, and the bot's clock (frozen) is moved on by hand, so
"a second later" is the test's decision, never the wall clock's.

`/bills` (and `/supplier`, `/billpay connect`) post a placeholder only the person sees once
the read takes longer than about a second, while the API still has not answered; the cards,
the answer or the reason then take its place. Pay… and the other forms read from the API open
a loading modal before the API answers, and the form or the reason replaces it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from billpay.slack.blocks.ids import Action, Callback, MoreOption, SupplierAction, SupplierCallback
from billpay.slack.budget import PATIENCE_SECONDS
from billpay.store.models import Claim, MirroredBill, MirrorState
from testkit.bot import Bot, bill_ids
from testkit.payables import PayablesGate
from testkit.world import ANA, BEN, CHANNEL, CONNECT_DEMO, NOW, SAM
from tests.slack.handlers.suppliers.steps import _ephemeral
from tests.slack.handlers.test_bills_flow import _open_bill
from tests.slack.handlers.test_invoices import use_more

DOWN = "The accounting platform didn't answer in time. Nothing was changed. Try again in a minute."


def _a_second_later(bot: Bot) -> None:
    """The person has waited as long as the bot lets them before it says something."""
    bot.services.clock.set(lambda: NOW + timedelta(seconds=PATIENCE_SECONDS))


def _seen_by(bot: Bot, user: str) -> list[str]:
    """The ephemerals `user` sees in the channel now, oldest first."""
    return [e["text"] for e in bot.slack.ephemerals if e["user"] == user]


async def _placeholder(bot: Bot, gate: PayablesGate, before: int) -> dict[str, Any]:
    """The read is held; a second later the placeholder goes out, the read still held."""
    await gate.reached()
    assert len(bot.slack.responses) == before  # the clock has not moved: nothing said yet
    _a_second_later(bot)
    (said,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert gate.holding  # said while the payables API still has not answered
    assert said["response_type"] == "ephemeral"
    return said


async def never_filled(bot: Bot) -> None:
    """The channel's mirror as if it had never been filled: the next `/bills` reads the bills
    from the payables API (once the mirror is filled, `/bills` makes no call at all)."""
    async with bot.services.db.write() as s:
        await s.execute(delete(MirrorState))
        await s.execute(delete(MirroredBill))
        await s.execute(delete(Claim))  # the fill's claim, done


async def test_bills_says_reading_bills_while_the_api_is_slow_then_the_cards_replace_it(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    await never_filled(bot)
    gate = bot.hold_payables()
    before, posted = len(bot.slack.responses), len(bot.slack.calls_to("chat.postMessage"))
    await bot.command("/bills", user=ANA)

    said = await _placeholder(bot, gate, before)
    assert said["text"] == ":hourglass_flowing_sand: Reading bills…"
    assert _seen_by(bot, ANA) == [said["text"]]
    assert len(bot.slack.calls_to("chat.postMessage")) == posted  # no cards yet

    gate.release()
    (cards,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    assert len(bill_ids(cards.args)) == 10
    (gone,) = (await bot.slack.wait_for_responses(count=before + 2))[before + 1 :]
    assert gone.get("delete_original") is True
    assert _seen_by(bot, ANA) == []  # the placeholder went; the cards are in the channel
    assert bot.slack.message(CHANNEL, cards.response["ts"])["text"] == cards.args["text"]


async def test_bills_with_the_api_down_shows_the_mirrored_cards_at_once(linked_bot: Bot) -> None:
    """The cards come from the mirror, their files included as far as they are known: the
    payables API being down (its answers held) changes nothing and nothing waits for it."""
    bot = linked_bot
    gate = bot.hold_payables()
    before = len(bot.slack.responses)

    message = await bot.bills(user=ANA)

    assert len(bill_ids(message)) == 10
    assert not gate.holding
    assert len(bot.slack.responses) == before and _seen_by(bot, ANA) == []


async def test_the_placeholder_speaks_the_readers_language(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"locale": "fr-FR"}
    await never_filled(bot)
    gate = bot.hold_payables()
    before = len(bot.slack.responses)
    await bot.command("/bills", user=BEN)
    said = await _placeholder(bot, gate, before)
    assert said["text"] == ":hourglass_flowing_sand: Lecture des factures…"
    gate.release()
    await bot.slack.wait_for_responses(count=before + 2)
    assert _seen_by(bot, BEN) == []


async def test_bills_answering_in_time_shows_no_placeholder(linked_bot: Bot) -> None:
    bot = linked_bot
    before = len(bot.slack.responses)
    message = await bot.bills(user=ANA)  # the clock never moves: the cards come first
    assert len(bill_ids(message)) == 10
    assert len(bot.slack.responses) == before and _seen_by(bot, ANA) == []


async def test_a_failure_before_the_placeholder_is_said_once(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    gate = bot.hold_payables()
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)  # re-reads the bill live
    await gate.reached()
    gate.down()
    (reason,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert reason["text"] == DOWN and reason["replace_original"] is False
    assert _seen_by(bot, ANA) == [DOWN]


async def test_supplier_lookup_puts_its_answer_in_the_placeholders_place(linked_bot: Bot) -> None:
    bot = linked_bot
    gate = bot.hold_payables()
    before = len(bot.slack.responses)
    await bot.command("/supplier", "north", user=ANA)

    said = await _placeholder(bot, gate, before)
    assert said["text"] == ":hourglass_flowing_sand: Looking up suppliers…"
    gate.release()
    (answer,) = (await bot.slack.wait_for_responses(count=before + 2))[before + 1 :]
    assert answer["replace_original"] is True
    (seen,) = _seen_by(bot, ANA)
    assert "Northridge Office Supplies" in json.dumps(
        next(e for e in bot.slack.ephemerals if e["user"] == ANA)
    )
    assert "Looking up" not in seen


async def test_linking_a_channel_while_the_api_is_slow(bot: Bot) -> None:
    gate = bot.hold_payables()
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    said = await _placeholder(bot, gate, 0)
    assert "Finding the company in the accounting platform…" in said["text"]
    gate.release()
    gone, linked = (await bot.slack.wait_for_responses(count=3))[1:]
    assert gone.get("delete_original") is True  # an ephemeral can't become a channel message
    assert linked["response_type"] == "in_channel" and "linked this channel" in linked["text"]
    assert _seen_by(bot, ANA) == []
    (message,) = bot.slack.messages.values()
    assert "linked this channel to *Larkspur Design Studio Ltd*" in message["text"]


async def _approved(bot: Bot) -> tuple[dict[str, Any], str]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    return await bot.wait_for_card(message["ts"], bill_id, "Approved by"), bill_id


async def _loading(bot: Bot, gate: PayablesGate, opened: int) -> str:
    """The loading modal opened while the payables API had not answered; its view id."""
    (call,) = (await bot.slack.wait_for("views.open", count=opened + 1))[opened:]
    await gate.reached()
    assert gate.holding  # the read was still held when the modal opened
    assert call.ok and call.args["view"]["callback_id"] == Callback.LOADING
    return str(call.response["view"]["id"])


async def _filled(bot: Bot, view_id: str) -> dict[str, Any]:
    (call,) = await bot.slack.wait_for("views.update", where=lambda c: c.args["view_id"] == view_id)
    assert call.ok, call.response
    return bot.slack.views[view_id]


async def test_pay_opens_its_loading_modal_before_the_api_answers(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id = await _approved(bot)
    gate = bot.hold_payables()
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.PAY, bill_id, user=SAM)

    view_id = await _loading(bot, gate, opened)
    shown = json.dumps(bot.slack.views[view_id], ensure_ascii=False)
    assert "Fetching the bill and your bank accounts…" in shown
    gate.release()
    form = await _filled(bot, view_id)
    assert form["callback_id"] == Callback.PAY and form["title"]["text"] == "Pay bill"


async def test_pay_with_the_api_down_says_why_in_its_modal(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id = await _approved(bot)
    gate = bot.hold_payables()
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, Action.PAY, bill_id, user=SAM)
    view_id = await _loading(bot, gate, opened)
    gate.down()
    shown = json.dumps((await _filled(bot, view_id))["blocks"])
    assert DOWN in shown and ":x:" in shown


async def _new_bill(bot: Bot) -> None:
    await bot.command("/billpay", "bill", user=ANA)


async def _edit_supplier(bot: Bot, answer: dict[str, Any]) -> None:
    request = bot.requests.click(_ephemeral(answer, 2), SupplierAction.EDIT, user_id=ANA)
    assert (await bot.send(request)).status_code == 200


async def test_every_form_read_from_the_api_opens_before_the_api_answers(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.command("/supplier", "northridge", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Northridge" in str(r))
    # The new-bill and supplier forms are filled from the mirror: no payables call to wait on.
    requests = bot.payables_transport.requests
    for open_form, callback in (
        (lambda: _new_bill(bot), SupplierCallback.NEW_BILL),
        (lambda: _edit_supplier(bot, answer), SupplierCallback.EDIT),
    ):
        opened, before = len(bot.slack.calls_to("views.open")), len(requests)
        await open_form()
        (call,) = (await bot.slack.wait_for("views.open", count=opened + 1))[opened:]
        view_id = str(call.response["view"]["id"])
        if call.args["view"]["callback_id"] == Callback.LOADING:
            await _filled(bot, view_id)
        assert bot.slack.views[view_id]["callback_id"] == callback
        assert requests[before:] == []
    # Invoice… lists the bill's files live (none: the Attach invoice form).
    gate = bot.hold_payables()
    opened = len(bot.slack.calls_to("views.open"))
    await use_more(bot, message, bill_id, MoreOption.INVOICE, ANA)
    view_id = await _loading(bot, gate, opened)
    gate.release()
    assert (await _filled(bot, view_id))["callback_id"] == Callback.ATTACH


async def test_approve_with_the_api_slow_says_it_is_waiting_then_the_card_shows_the_approval(
    linked_bot: Bot,
) -> None:
    """A button's answer replaces its message, so nothing can be taken back: the words said
    while the payables API is slow stay true after the card shows the approval."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    gate = bot.hold_payables()
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)

    said = await _placeholder(bot, gate, before)
    assert said["text"] == (
        ":hourglass_flowing_sand: Waiting for the accounting platform to answer; this can take "
        "a few seconds. Nothing needs clicking again."
    )
    assert said.get("replace_original") is False  # the card stays as it is
    assert await bot.case_state(bill_id) == "pending"

    gate.release()
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    assert len(bot.slack.responses) == before + 1  # said once


async def test_approve_with_the_api_down_says_it_is_waiting_then_why_nothing_changed(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    gate = bot.hold_payables()
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await _placeholder(bot, gate, before)

    gate.down()
    (reason,) = (await bot.slack.wait_for_responses(count=before + 2))[before + 1 :]
    assert reason["text"] == DOWN and reason["response_type"] == "ephemeral"
    assert await bot.case_state(bill_id) == "pending"


async def test_a_click_answered_in_time_says_nothing_more(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)  # the clock never moves
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    assert len(bot.slack.responses) == before and _seen_by(bot, ANA) == []
