"""A French reader end to end, over HTTP through the Slack fake: whoever's Slack profile says
`fr-FR` reads the bot in French (the Pay modal, its result, the details and `/billpay status`),
money and dates as Babel writes them for France, while an English reader in the same channel
keeps reading English. Cards and their threads are the channel's, in its language: French here
once `/billpay language fr` set it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billpay.slack.blocks.ids import Action, Input, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from slack_playground.blockkit import validate_message_blocks, validate_view
from testkit.bot import Bot, bill_ids, card_text, shows_result
from testkit.world import ANA, BEN, CHANNEL, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _pay_modal
from tests.slack.handlers.test_pay_form import _change, _preview

# £3,000.00 for fr_FR: CLDR's number (narrow no-break space, comma), then the ISO code.
THREE_THOUSAND_POUNDS = "3\u202f000,00\xa0GBP"
# What the bot sends of a modal (Slack's copy adds ids and state).
SENT = ("type", "title", "submit", "close", "blocks", "callback_id", "private_metadata")


async def _pinecrest(bot: Bot, message: dict) -> str:
    """The demo's £3,000.00 bill from Pinecrest Facilities, on the first page."""
    demo = bot.sandbox.demo
    for bill_id in bill_ids(message):
        bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
        if bill.supplier_ref.supplier_name == "Pinecrest Facilities":
            assert bill.total_amount == 3000 and bill.currency == "GBP"
            return bill_id
    raise AssertionError("the £3,000.00 Pinecrest bill is not on the first page")


async def _french_channel(bot: Bot) -> None:
    """Ana, who linked the channel in English, makes French its language."""
    before = len(bot.slack.responses)
    await bot.command("/billpay", "language fr", user=ANA)
    await bot.slack.wait_for_responses(count=before + 1)


def _buttons(message: dict, bill_id: str) -> list[str]:
    (actions,) = [b for b in message["blocks"] if b.get("block_id") == f"card_actions:{bill_id}"]
    return [e["text"]["text"] for e in actions["elements"] if e["type"] == "button"]


@pytest.mark.bot(approvers=[ANA, BEN], approver_may_pay=True)  # one reader, each step
async def test_a_french_reader_sees_french_words_and_french_money(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"locale": "fr-FR", "tz": "Europe/Paris"}
    await _french_channel(bot)

    message = await bot.bills(user=BEN)
    assert validate_message_blocks(message["blocks"]) == []
    bill_id = await _pinecrest(bot, message)
    card = card_text(message, bill_id)
    assert f"*{THREE_THOUSAND_POUNDS}* à payer" in card
    assert "Échéance le 23 oct. 2026" in card and "en retard de 30 jours" in card
    assert _buttons(message, bill_id) == ["Valider", "Rejeter"]  # Payer… once approved
    page = str(message["blocks"][1])
    assert "Page 1 sur 3" in page and "en retard d’abord" in page

    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    message = await bot.wait_for_card(message["ts"], bill_id, "Validée par <@U0BEN>")
    assert _buttons(message, bill_id) == ["Payer…", "Rejeter"]

    # Details are shown to whoever asks, in their own language.
    for user, words in ((BEN, ("*Fournisseur*", "*Reste dû*")), (ANA, ("*Supplier*",))):
        before = len(bot.slack.responses)
        value = MoreAction(choice=MoreOption.DETAILS, bill_id=bill_id).dump()
        request = bot.requests.click(
            message,
            Action.MORE,
            user_id=user,
            block_id_prefix=f"card_actions:{bill_id}",
            option_value=value,
        )
        assert (await bot.send(request)).status_code == 200
        (details, *_) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
        shown = json.dumps(details, ensure_ascii=False)
        assert all(word in shown for word in words), shown

    view = await _pay_modal(bot, message, bill_id, BEN)
    sent = {key: view[key] for key in SENT if key in view}
    assert validate_view(sent) == []
    assert view["title"]["text"] == "Payer la facture"
    assert (view["submit"]["text"], view["close"]["text"]) == ("Payer", "Annuler")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:3] == ["Payer depuis", "Montant (GBP)", "Date du règlement"]
    assert f"Jusqu’à {THREE_THOUSAND_POUNDS}." in json.dumps(view, ensure_ascii=False)

    ack = await bot.submit(view, user=BEN)
    assert ack["response_action"] == "update"
    assert f"Enregistrement de {THREE_THOUSAND_POUNDS}" in json.dumps(ack, ensure_ascii=False)
    message = await bot.wait_for_card(message["ts"], bill_id, f"{THREE_THOUSAND_POUNDS} payés")
    assert "réglée intégralement" in card_text(message, bill_id)
    result = (await bot.slack.wait_for("views.update", where=shows_result))[-1].args["view"]
    assert validate_view(result) == []
    assert "La facture est réglée intégralement." in json.dumps(result, ensure_ascii=False)
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == message["ts"]
    )
    (line,) = bot.slack.thread(CHANNEL, message["ts"])
    assert f"<@U0BEN> a payé {THREE_THOUSAND_POUNDS} à Pinecrest Facilities" in line["text"]

    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=BEN)
    (status, *_) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "est relié à ce canal" in status["text"] and "lun., mar., mer." in status["text"]
    assert "Valideurs\xa0: <@U0ANA> ou <@U0BEN>. Payeurs\xa0: tout membre" in status["text"]


async def test_cards_are_in_the_channels_language_whoever_lists_them(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"locale": "fr-FR", "tz": "Europe/Paris"}
    english = await bot.bills(user=BEN)  # Ana linked the channel in English
    bill_id = await _pinecrest(bot, english)
    assert _buttons(english, bill_id) == ["Approve", "Reject"]
    assert "*£3,000.00* due" in card_text(english, bill_id)
    await _french_channel(bot)
    french = await bot.bills(user=ANA)
    assert _buttons(french, bill_id) == ["Valider", "Rejeter"]


@pytest.mark.bot(approvers=[ANA])
async def test_an_amount_typed_the_french_way_is_read_and_one_that_cannot_be_is_said_so(
    linked_bot: Bot,
) -> None:
    """A French payer types amounts as French accounts write them: the line under the amount
    follows each change, the form is never replaced by an error of ours, and what can't be
    read gets a reason on the field, in French."""
    bot = linked_bot
    bot.slack.users[SAM] = {"locale": "fr-FR", "tz": "Europe/Paris"}
    message = await bot.bills(user=ANA)
    bill_id = await _pinecrest(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)

    view = await _change(bot, view, Input.PAY_AMOUNT, "1.234,56")
    assert "Paie 1\u202f234,56\xa0GBP" in _preview(view), _preview(view)
    refusals = {
        "1,234.56": "«\xa01,234.56\xa0»\xa0: 1\u202f234,56\xa0GBP\u202f? Écrivez 1234,56.",
        "1.2,3": "«\xa01.2,3\xa0» n’est pas un montant. Écrivez-le comme 3\u202f000,00\xa0GBP.",
    }
    for typed, reason in refusals.items():
        view = await _change(bot, view, Input.PAY_AMOUNT, typed)
        assert reason in _preview(view), _preview(view)
        ack = await bot.submit(view, {Input.PAY_AMOUNT: typed}, user=SAM)
        assert ack == {"response_action": "errors", "errors": {Input.PAY_AMOUNT: reason}}
    bot.slack.assert_no_problems()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    for typed in ("1\u202f234,56", "1 234,56", "1234,56"):
        view = await _change(bot, view, Input.PAY_AMOUNT, typed)
        assert "Paie 1\u202f234,56\xa0GBP" in _preview(view), (typed, _preview(view))
    ack = await bot.submit(view, {Input.PAY_AMOUNT: "1.234,56"}, user=SAM)
    assert ack["response_action"] == "update", ack
    await bot.wait_for_card(message["ts"], bill_id, "£1,234.56")  # the channel reads English
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    assert bill.amount_due == Decimal("1765.44")
