"""Errors answer in the language of the person who caused them, from their Slack locale, end to
end through the fake Slack: a click the policy refuses, a mistake on a field of the Pay form, an
amount that could be read two ways (both readings in the reader's number format), a button of an
older version. A French reader (`fr-FR`) reads French; an English one (`en-GB`) reads English,
though the team's default here is French. What the core tells one person (already approved, a
scheduled payment not sent) is in that person's language; a card's thread is the channel's."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billpay.core.domain import CaseState
from billpay.core.money import format_money
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action, Input
from testkit.bot import Bot
from testkit.payables import TODAY
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal
from tests.slack.handlers.test_cards_stay_true import _bill, _paid_elsewhere, _reject
from tests.slack.handlers.test_safety import _approved_pay_modal
from tests.slack.handlers.test_scheduled_payments import _at

NNBSP, NBSP = "\u202f", "\u00a0"

DENIED = {
    "fr-FR": "Seul <@U0ANA> peut valider les factures dans ce canal. Rien n’a été modifié.",
    "en-GB": "Only <@U0ANA> can approve bills in this channel. Nothing was changed.",
}
MORE_THAN_DUE = {
    "fr-FR": "C’est plus que le reste dû de {due} sur cette facture.",
    "en-GB": "That is more than the {due} still due on this bill.",
}
BOTH_READINGS = {
    "fr-FR": (
        "1.000",
        f"«{NBSP}1.000{NBSP}»{NBSP}: 1{NNBSP}000,00{NBSP}GBP ou 1,00{NBSP}GBP{NNBSP}? "
        "Écrivez 1000 ou 1,00.",
    ),
    "en-GB": ("1.000", "“1.000”: £1,000.00 or £1.00? Write 1000 or 1.00."),
}
OUT_OF_DATE = {
    "fr-FR": f"Ce bouton n’est plus à jour{NBSP}: relancez `/bills`.",
    "en-GB": "This button is out of date: run `/bills` again.",
}
LOCALES = pytest.mark.parametrize("slack_locale", ["fr-FR", "en-GB"])
FRENCH_TEAM = pytest.mark.bot(default_locale="fr-FR")


def _speaks(bot: Bot, user: str, slack_locale: str) -> None:
    bot.slack.users[user] = {"locale": slack_locale}


async def _answer_to(bot: Bot, before: int) -> dict[str, Any]:
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    return answer


@LOCALES
@pytest.mark.bot(approvers=[ANA], default_locale="fr-FR")
async def test_a_refused_click_is_answered_in_the_readers_language(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, EVE, slack_locale)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=EVE)
    answer = await _answer_to(bot, before)
    assert answer["text"] == DENIED[slack_locale]
    assert answer["response_type"] == "ephemeral"
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def _pay_form(bot: Bot, payer: str) -> tuple[str, dict[str, Any]]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "<@U0ANA>")
    return bill_id, await _pay_modal(bot, message, bill_id, payer)


@LOCALES
@FRENCH_TEAM
async def test_an_amount_above_what_is_due_is_refused_on_the_field_in_the_readers_language(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, SAM, slack_locale)
    bill_id, view = await _pay_form(bot, SAM)
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    locale = slack_locale.replace("-", "_")
    due = format_money(bill.outstanding_amount, bill.currency, locale)

    ack = await bot.submit(view, {Input.PAY_AMOUNT: "99999999"}, user=SAM)

    assert ack["response_action"] == "errors"
    assert ack["errors"] == {Input.PAY_AMOUNT: MORE_THAN_DUE[slack_locale].format(due=due)}
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


@LOCALES
@FRENCH_TEAM
async def test_an_amount_read_two_ways_offers_both_in_the_readers_number_format(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, SAM, slack_locale)
    bill_id, view = await _pay_form(bot, SAM)
    typed, expected = BOTH_READINGS[slack_locale]

    ack = await bot.submit(view, {Input.PAY_AMOUNT: typed}, user=SAM)

    assert ack["response_action"] == "errors"
    assert ack["errors"][Input.PAY_AMOUNT] == expected
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


@LOCALES
@FRENCH_TEAM
async def test_a_button_of_an_older_version_says_out_of_date_in_the_readers_language(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, EVE, slack_locale)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    before = len(bot.slack.responses)
    # Buttons once carried the bare bill id.
    click = bot.requests.block_action(
        {"type": "button", "action_id": Action.APPROVE, "value": bill_id, "block_id": "old"},
        message=message,
        user_id=EVE,
    )
    assert (await bot.send(click)).status_code == 200
    answer = await _answer_to(bot, before)
    assert answer["text"] == OUT_OF_DATE[slack_locale]
    assert await bot.case_state(bill_id) == CaseState.PENDING


def test_the_french_answers_use_babels_money_for_pounds() -> None:
    # The expected texts above spell money as Babel writes it, not by hand.
    assert format_money(Decimal(1000), "GBP", "fr_FR") == f"1{NNBSP}000,00{NBSP}GBP"


@pytest.mark.bot(dual_approval_threshold=Decimal(0))
async def test_what_the_core_tells_the_person_who_acted_is_in_their_language(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _speaks(bot, BEN, "fr-FR")
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    message = await bot.wait_for_card(message["ts"], bill_id, "<@U0BEN>")
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    answer = await _answer_to(bot, before)
    assert answer["text"] == (
        f"Vous avez déjà validé cette facture{NNBSP}; il lui faut encore 1 validation de "
        "quelqu’un d’autre."
    )


async def test_a_payer_told_on_their_own_reads_their_language_while_the_channel_reads_its_own(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _speaks(bot, SAM, "fr-FR")
    message, bill_id, view = await _approved_pay_modal(bot)
    date = (TODAY + timedelta(days=1)).isoformat()
    await bot.submit(view, {Input.PAY_DATE: date}, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "<@U0SAM>")
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    await bot.services.payables.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill_id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount - Decimal("1.00"),
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=demo.bank_accounts["GBP"]),
        ),
    )
    _at(bot, datetime.fromisoformat(f"{date}T09:00:00+00:00"))
    await Scheduler(bot.services).send_due_payments()

    (dm,) = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == SAM]
    scheduled = format_money(bill.outstanding_amount, "GBP", "fr_FR")
    assert dm.args["text"].startswith(":warning: Votre règlement programmé de ")
    assert (
        f"n’a pas été envoyé{NBSP}: le reste dû n’est plus que de 1,00{NBSP}GBP, moins que les "
        f"{scheduled} programmés. Rien n’a été payé{NNBSP}; la facture peut être payée à nouveau."
    ) in dm.args["text"]
    # The card's thread is the channel's: in the team's default language.
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "was not sent" in str(c.args.get("text"))
    )
    (line,) = [m for m in bot.slack.thread(CHANNEL, message["ts"]) if "not sent" in m["text"]]
    assert "only £1.00 is still due now" in line["text"]


async def test_digest_settings_mistakes_are_named_on_their_fields_in_the_readers_language(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _speaks(bot, BEN, "fr-FR")
    bot.slack.users[BEN]["is_admin"] = True
    await bot.command("/billpay", "digest", user=BEN)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    ack = await bot.submit(view, {"digest_time": "25:00", "digest_zone": "Mars/Base"}, user=BEN)
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {
        "digest_time": (
            f"«{NBSP}25:00{NBSP}» n’est pas une heure{NBSP}: écrivez-la comme 7h30 ou 07:30, de "
            "0h00 à 23h59."
        ),
        "digest_zone": (
            f"«{NBSP}Mars/Base{NBSP}» n’est pas un fuseau horaire que je connais{NBSP}: utilisez "
            "un nom IANA comme Europe/Paris."
        ),
    }


CARD_OUT_OF_DATE = {
    "fr-FR": "Cette fiche n’était plus à jour, donc rien n’a été modifié.",
    "en-GB": "This card was out of date, so nothing was changed.",
}
REOPEN_DENIED = {
    "fr-FR": "Seuls les valideurs peuvent rouvrir une facture rejetée dans ce canal.",
    "en-GB": "Only approvers can reopen a rejected bill in this channel.",
}


@LOCALES
@FRENCH_TEAM
async def test_a_click_on_a_card_drawn_before_the_bill_changed_is_refused_in_the_readers_language(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, BEN, slack_locale)
    message = await bot.bills(user=ANA)
    bill_id, _ = await _bill(bot, message)
    await _paid_elsewhere(bot, bill_id, Decimal("50.00"))
    before = len(bot.slack.responses)
    await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    answer = await _answer_to(bot, before)
    assert answer["text"].startswith(CARD_OUT_OF_DATE[slack_locale])
    assert await bot.case_state(bill_id) == CaseState.PENDING


@LOCALES
@pytest.mark.bot(approvers=[ANA, BEN], default_locale="fr-FR")
async def test_reopen_refused_to_a_non_approver_in_their_language(
    linked_bot: Bot, slack_locale: str
) -> None:
    bot = linked_bot
    _speaks(bot, EVE, slack_locale)
    message = await bot.bills(user=ANA)
    bill_id, _ = await _bill(bot, message)
    message = await _reject(bot, message, bill_id)
    before = len(bot.slack.responses)
    await bot.click(message, Action.REOPEN, bill_id, user=EVE)
    answer = await _answer_to(bot, before)
    assert answer["text"].startswith(REOPEN_DENIED[slack_locale])
    assert await bot.case_state(bill_id) == CaseState.REJECTED
