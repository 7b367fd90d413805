"""What protects money and people, end to end over HTTP: signatures, double clicks, Slack's
retries, bad amounts, untrusted text, and channels the bot can't use yet."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import func, select

from billpay.payables.models import BillLineItem, BillPrototype, Ref, SupplierPrototype, SupplierRef
from billpay.slack.blocks.ids import Action
from billpay.store.models import CaseState, Decision, Payment
from testkit.bot import Bot, bill_ids, card_text, shows_result
from testkit.world import ANA, CHANNEL, SAM, sandbox_payments
from tests.mirror.conftest import told_of_changes
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal
from tests.test_manifest import MANIFEST

EVIL = "<!channel> & <https://evil.example|click>"


async def _approved_pay_modal(bot: Bot) -> tuple[dict, str, dict]:
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    return message, bill_id, await _pay_modal(bot, message, bill_id, SAM)


async def _payment_rows(bot: Bot) -> int:
    async with bot.services.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(Payment)) or 0)


async def test_a_bad_signature_gets_401_and_changes_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    posts = len(bot.slack.calls_to("chat.postMessage"))

    forged = bot.requests.command("/bills", user_id=ANA).tampered()
    assert (await bot.send(forged)).status_code == 401
    click = bot.requests.click(
        message, Action.APPROVE, user_id=ANA, block_id_prefix=f"card_actions:{bill_id}"
    )
    wrong_secret = click.with_signature("v0=" + "0" * 64)
    assert (await bot.send(wrong_secret)).status_code == 401
    await asyncio.sleep(0.2)  # anything wrongly started would have called Slack by now
    assert len(bot.slack.calls_to("chat.postMessage")) == posts
    assert bot.slack.calls_to("chat.update") == []
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def test_a_request_signed_six_minutes_ago_gets_401(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    click = bot.requests.click(
        message, Action.APPROVE, user_id=ANA, block_id_prefix=f"card_actions:{bill_id}"
    )
    replay = click.with_timestamp(int(time.time()) - 6 * 60)
    assert (await bot.send(replay)).status_code == 401
    await asyncio.sleep(0.2)
    assert bot.slack.calls_to("chat.update") == []
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def test_a_double_clicked_submit_records_one_payment(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    submission = bot.requests.view_submission(view, user_id=SAM)
    responses = await asyncio.gather(*(bot.send(submission) for _ in range(3)))
    assert all(r.status_code == 200 for r in responses)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    await bot.slack.wait_for("views.update", count=3, where=shows_result)
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    assert await _payment_rows(bot) == 1
    results = [str(c.args["view"]) for c in bot.slack.calls_to("views.update") if shows_result(c)]
    assert sum("already" in r for r in results) == 2


async def test_slacks_retry_of_a_submission_records_nothing_more(linked_bot: Bot) -> None:
    bot = linked_bot
    message, bill_id, view = await _approved_pay_modal(bot)
    submission = bot.requests.view_submission(view, user_id=SAM)
    await bot.send(submission)
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")
    retry = await bot.http.post(
        f"{bot.url}/slack/events",
        content=submission.body,
        headers={**submission.headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"},
    )
    assert retry.status_code == 200
    await bot.slack.wait_for("views.update", count=2, where=shows_result)
    assert await sandbox_payments(bot.sandbox, bill_id) == 1
    assert await _payment_rows(bot) == 1


async def test_a_double_clicked_approve_records_one_decision(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    click = bot.requests.click(
        message, Action.APPROVE, user_id=ANA, block_id_prefix=f"card_actions:{bill_id}"
    )
    await asyncio.gather(bot.send(click), bot.send(click))
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
    await bot.slack.wait_for_responses(where=lambda r: "already approved" in str(r.get("text")))
    async with bot.services.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Decision)) == 1


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("999999", "more than the"),
        ("1.005", "decimal places"),
        ("twelve", "is not an amount"),
        ("€10", "That amount is in EUR; this bill is in GBP."),
        ("1.000", "£1,000.00 or £1.00? Write 1000 or 1.00."),
    ],
)
async def test_bad_amounts_are_field_errors_and_pay_nothing(
    linked_bot: Bot, amount: str, error: str
) -> None:
    bot = linked_bot
    _, bill_id, view = await _approved_pay_modal(bot)
    ack = await bot.submit(view, {"pay_amount": amount}, user=SAM)
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == ["pay_amount"] and error in ack["errors"]["pay_amount"]
    assert await sandbox_payments(bot.sandbox, bill_id) == 0
    assert await _payment_rows(bot) == 0
    assert await bot.case_state(bill_id) == CaseState.APPROVED


async def test_a_supplier_named_like_a_mention_is_shown_literally(linked_bot: Bot) -> None:
    bot = linked_bot
    demo = bot.sandbox.demo
    payables = bot.services.payables
    supplier = await payables.create_supplier(
        demo.company_id,
        demo.connection_id,
        SupplierPrototype(supplier_name=EVIL, default_currency="GBP"),
    )
    await payables.create_bill(
        demo.company_id,
        demo.connection_id,
        BillPrototype(
            supplier_ref=SupplierRef(id=supplier.id),
            issue_date="2026-10-01",
            due_date="2026-10-02",
            currency="GBP",
            reference="<@U0ANA> *bold*",
            line_items=[
                BillLineItem(
                    unit_amount=Decimal("10.00"), account_ref=Ref(id=demo.expense_accounts["6800"])
                )
            ],
        ),
    )
    await told_of_changes(bot)  # made in the platform: the mirror reads it
    message = await bot.bills("evil.example", user=ANA)
    (bill_id,) = bill_ids(message)
    shown = card_text(message, bill_id) + message["text"] + str(message["blocks"][0])
    assert "<!channel>" not in shown and "<https://evil" not in shown and "<@U0ANA>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in shown


async def test_bills_in_an_unlinked_channel_explains_how_to_link_it(bot: Bot) -> None:
    await bot.command("/bills", user=ANA)
    (answer,) = await bot.slack.wait_for_responses()
    assert "/billpay connect" in answer["text"] and answer["response_type"] == "ephemeral"
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_channel_the_bot_is_not_in_gets_an_invite_hint(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.not_in_channel.add(CHANNEL)
    await bot.command("/bills", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "/invite" in str(r.get("text")))
    assert answer["response_type"] == "ephemeral"
    # The bot's name in the channel is the manifest's display name: what `/invite @` completes.
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    name = manifest["features"]["bot_user"]["display_name"]
    assert f"`/invite @{name}`" in answer["text"]


async def test_a_filter_that_cannot_be_read_says_how_to_write_it(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/bills", "due soon", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "due 7d" in str(r.get("text")))
    assert answer["response_type"] == "ephemeral"
