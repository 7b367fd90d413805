"""Paging through `/bills`, the card's overflow, `/supplier`, `/billpay help`, the App Home tab,
and the same bot driven over Socket Mode."""

from __future__ import annotations

from billpay.slack.app import create_app
from billpay.slack.blocks.ids import Action, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from slack_playground import validate_message_blocks
from testkit.bot import Bot, bill_ids, card_text
from testkit.world import ANA, BEN
from tests.test_manifest import billpay_verbs


def _navigation(message: dict) -> list[str]:
    return [
        e["action_id"]
        for b in message["blocks"]
        if b.get("block_id") == "bills_navigation"
        for e in b["elements"]
    ]


async def test_next_and_previous_page_through_the_bills_in_place(linked_bot: Bot) -> None:
    bot = linked_bot
    first = await bot.bills(user=ANA)
    assert _navigation(first) == [Action.PAGE_NEXT]
    page_one = bill_ids(first)
    request = bot.requests.click(first, Action.PAGE_NEXT, user_id=ANA)
    assert (await bot.send(request)).status_code == 200
    await bot.slack.wait_for("chat.update", where=lambda c: "Page 2 of 3" in str(c.args))
    second = bot.message(first["ts"])
    assert not set(bill_ids(second)) & set(page_one)
    assert _navigation(second) == [Action.PAGE_PREVIOUS, Action.PAGE_NEXT]
    request = bot.requests.click(second, Action.PAGE_PREVIOUS, user_id=ANA)
    await bot.send(request)
    await bot.slack.wait_for("chat.update", where=lambda c: "Page 1 of 3" in str(c.args))
    assert bill_ids(bot.message(first["ts"])) == page_one


async def test_overdue_and_supplier_filters(linked_bot: Bot) -> None:
    bot = linked_bot
    overdue = await bot.bills("overdue", user=ANA)
    assert "7 overdue bills" in overdue["text"] and len(bill_ids(overdue)) == 7
    assert "overdue bills · 7 overdue" not in overdue["text"]  # said once is enough
    brightwave = await bot.bills("brightwave", user=ANA)
    assert "3 outstanding bills matching “brightwave” · 1 overdue" in brightwave["text"]
    cards = [b for b in brightwave["blocks"] if str(b.get("block_id")).startswith("card:")]
    assert cards and all("Brightwave Energy" in b["text"]["text"] for b in cards)
    # Filters combine; accents and case are ignored; references match too.
    both = await bot.bills("overdue BRIGHTWAVE", user=ANA)
    assert "1 overdue bill matching “BRIGHTWAVE” · £" in both["text"] and len(bill_ids(both)) == 1
    muller = await bot.bills("muller", user=ANA)
    assert all("Müller" in card_text(muller, b) for b in bill_ids(muller)) and bill_ids(muller)
    soon = await bot.bills("due 7d", user=ANA)
    assert " bills due within 7 days · 7 overdue" in soon["text"]
    reference = next(b for b in bill_ids(brightwave))
    ref_text = card_text(brightwave, reference).split("· ")[1].split("\\n")[0]
    by_reference = await bot.bills(ref_text, user=ANA)
    assert bill_ids(by_reference) == [reference]


async def test_details_from_the_overflow_are_shown_only_to_the_asker(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    request = bot.requests.click(
        message,
        Action.MORE,
        user_id=BEN,
        block_id_prefix=f"card_actions:{bill_id}",
        option_value=MoreAction(choice=MoreOption.DETAILS, bill_id=bill_id).dump(),
    )
    await bot.send(request)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Details" in str(r.get("text")))
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert (
        "*Still due*" in str(answer["blocks"]) and validate_message_blocks(answer["blocks"]) == []
    )
    # The panel stays as it was while the bill moves on ("0 of 1 approvals" after approval):
    # it says when it was read, and where the bill is shown as it is now.
    assert answer["blocks"][0]["elements"][0]["text"] == (
        "Details as of 22 Nov 2026, 10:00; the card shows the bill as it is now."
    )


async def test_supplier_lookup_shows_contact_balance_and_what_is_owed(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/supplier", "northridge", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Northridge" in str(r))
    text = str(answer["blocks"])
    assert "Northridge Office Supplies" in text and "Sarah Johnson" in text
    assert "Balance: £" in text and "outstanding bill" in text


async def test_billpay_help_and_the_home_tab(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/billpay", "help", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(
        where=lambda r: "/billpay connect" in str(r.get("text"))
    )
    assert "…*." not in answer["text"] and "*Pay…*" in answer["text"]  # one stop, not "Pay…."
    for verb in billpay_verbs():
        assert f"`/billpay {verb}" in answer["text"], verb
    event = bot.requests.event({"type": "app_home_opened", "user": ANA, "tab": "home"})
    assert (await bot.send(event)).status_code == 200
    (publish,) = await bot.slack.wait_for("views.publish")
    assert "Larkspur Design Studio Ltd" in str(publish.args["view"])
    assert "<#C0FIN>" in str(publish.args["view"])


async def test_the_same_bot_over_socket_mode(linked_bot: Bot) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    bot = linked_bot
    socket = bot.slack.enable_socket_mode()
    handler = AsyncSocketModeHandler(create_app(bot.services), bot.slack.app_token)
    await handler.connect_async()
    try:
        await socket.connected()
        payload = bot.requests.command_payload("/bills", "overdue", ANA, "ana", "C0FIN", "finance")
        ack = await socket.send("slash_commands", payload)
        assert ack["envelope_id"]
        (post,) = await bot.slack.wait_for("chat.postMessage")
        assert post.ok and "7 overdue bills" in post.args["text"]
    finally:
        await handler.close_async()


async def test_refresh_tells_the_person_it_read_the_bill_again(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    supplier = next(
        b["text"]["text"].split("*")[1]
        for b in message["blocks"]
        if b.get("block_id") == f"card:{bill_id}"
    )
    reads = len(bot.payables_transport.requests)
    before = len(bot.slack.responses)
    request = bot.requests.click(
        message,
        Action.MORE,
        user_id=BEN,
        block_id_prefix=f"card_actions:{bill_id}",
        option_value=MoreAction(choice=MoreOption.REFRESH, bill_id=bill_id).dump(),
    )
    await bot.send(request)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    read = f"Read {supplier} again from Codat Sandbox at 22 Nov 2026, 10:00: "
    assert answer["text"].startswith(f":arrows_counterclockwise: {read}")
    assert answer["text"].endswith(" due. The card is up to date.")
    assert len(bot.payables_transport.requests) > reads  # read again, not from memory
