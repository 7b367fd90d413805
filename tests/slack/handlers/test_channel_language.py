"""Whose language the bot speaks, end to end over signed HTTP through the Slack fake.

The rule: what answers one person's action (modals, their results and buttons, ephemeral
answers, error screens and their Close button) is in that person's Slack language; what the bot
says to a channel (cards, thread lines, announcements, the digest) is in the channel's language, a
setting of the linked channel: the linker's language when linked, changed by an approver with
`/billpay language fr` (audited). A French payer in an English channel reads her own result in
French while the channel reads her payment in English; an English payer in a French channel the
other way round, whether the line follows the click or the scheduler sending a held payment."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action, Callback
from billpay.store.models import AuditEvent, CompanyLink
from testkit.bot import Bot, card_actions, shows_result
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, EVE, NOW, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal
from tests.slack.handlers.test_safety import _approved_pay_modal
from tests.slack.handlers.test_scheduled_payments import _at

NBSP = "\u00a0"


def _speaks(bot: Bot, user: str, slack_locale: str) -> None:
    bot.slack.users[user] = {"locale": slack_locale}


async def _paid_line(bot: Bot, ts: str, user: str) -> str:
    """The thread line of `user`'s payment under the card `ts`, once posted."""
    await bot.slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == ts and f"<@{user}>" in str(c.args["text"]),
    )
    (line,) = [m["text"] for m in bot.slack.thread(CHANNEL, ts) if f"<@{user}>" in m["text"]]
    return str(line)


async def _result(bot: Bot, count: int = 1) -> dict[str, Any]:
    calls = await bot.slack.wait_for("views.update", where=shows_result, count=count)
    view: dict[str, Any] = calls[-1].args["view"]
    return view


async def _set_language(bot: Bot, user: str, text: str) -> dict[str, Any]:
    before = len(bot.slack.responses)
    await bot.command("/billpay", f"language {text}".strip(), user=user)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    return answer


async def _channel_language(bot: Bot) -> str | None:
    async with bot.services.db.read() as s:
        link = await s.scalar(select(CompanyLink).where(CompanyLink.channel_id == CHANNEL))
    assert link is not None
    return link.language


async def test_a_french_payers_payment_reads_in_english_in_an_english_channel_and_french_to_her(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _speaks(bot, SAM, "fr-FR")
    message, bill_id, view = await _approved_pay_modal(bot)

    ack = await bot.submit(view, {"pay_amount": "100"}, user=SAM)
    assert ack["response_action"] == "update", ack

    line = await _paid_line(bot, message["ts"], SAM)
    assert line.startswith(":moneybag: <@U0SAM> paid £100.00 to "), line
    result = await _result(bot)
    assert result["title"]["text"] == "Payer la facture" and "enregistré" in str(result)
    assert result["close"]["text"] == "Fermer"
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


@pytest.mark.bot(payment_hold_seconds=10)
async def test_a_french_channel_reads_an_english_payers_held_payment_in_french_once_sent(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    said = await _set_language(bot, ANA, "fr")
    assert said["response_type"] == "in_channel"
    assert said["text"].startswith(f"<@U0ANA> a changé la langue de ce canal{NBSP}: français.")
    assert await _channel_language(bot) == "fr_FR"
    message = await bot.bills(user=ANA)  # English Ana lists; the channel reads French cards
    bill_id = await _open_bill(bot, message)
    assert card_actions(message, bill_id)[:1] == [Action.APPROVE]
    assert "Valider" in str(message["blocks"]) and "Approve" not in str(message["blocks"])
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Validée par <@U0ANA>")
    view = await _pay_modal(bot, message, bill_id, SAM)
    assert view["close"]["text"] == "Cancel"  # Sam's own form, in his language
    await bot.submit(view, {"pay_amount": "100.00"}, user=SAM)
    held = await _result(bot)
    assert held["close"]["text"] == "Close" and "Undo" in str(held)

    _at(bot, NOW + timedelta(seconds=11))
    await Scheduler(bot.services).send_due_payments()

    line = await _paid_line(bot, message["ts"], SAM)
    assert line.startswith(f":moneybag: <@U0SAM> a payé 100,00{NBSP}GBP à "), line
    sent = await _result(bot, count=2)
    assert "recorded in the accounting platform" in str(sent) and sent["close"]["text"] == "Close"
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


async def test_a_channel_takes_its_linkers_language_and_each_person_reads_it_named_in_theirs(
    bot: Bot,
) -> None:
    _speaks(bot, ANA, "fr-FR")
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(count=1)
    assert await _channel_language(bot) == "fr_FR"
    _speaks(bot, EVE, "en-GB")
    answer = await _set_language(bot, EVE, "")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("This channel's language: French (thread lines,")


@pytest.mark.bot(approvers=[ANA])
async def test_who_may_not_link_may_not_change_the_language_and_is_told_in_their_own(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    _speaks(bot, EVE, "fr-FR")
    answer = await _set_language(bot, EVE, "fr")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Seul <@U0ANA> peut changer la langue de ce canal"), answer
    answer = await _set_language(bot, ANA, "klingon")
    assert answer["text"].startswith("I can't speak “klingon” to this channel"), answer
    assert await _channel_language(bot) == "en_GB"  # the linker's, unchanged
    await _set_language(bot, ANA, "français")
    async with bot.services.db.read() as s:
        (event,) = await s.scalars(
            select(AuditEvent).where(AuditEvent.action == "channel_language_changed")
        )
    assert (event.actor, event.details) == (ANA, {"before": "en_GB", "after": "fr_FR"})


async def test_the_error_screen_and_its_close_button_are_in_the_readers_language(
    linked_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = linked_bot
    _speaks(bot, SAM, "fr-FR")
    _, bill_id, view = await _approved_pay_modal(bot)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(bot.services.payments, "submit_payment", broken)
    await bot.submit(view, user=SAM)

    screen = await _result(bot)
    assert screen["callback_id"] == Callback.RESULT
    assert "Un problème est survenu de notre côté" in str(screen)
    assert screen["close"]["text"] == "Fermer"
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


async def test_a_french_channels_digest_is_french_whoever_asks_for_it(linked_bot: Bot) -> None:
    bot = linked_bot
    await _set_language(bot, ANA, "fr")
    await bot.command("/billpay", "digest now", user=ANA)  # Ana reads English
    (posted,) = await bot.slack.wait_for(
        "chat.postMessage",
        where=lambda c: "Factures à payer" in json.dumps(c.args, ensure_ascii=False),
    )
    assert "Bills due" not in json.dumps(posted.args)
