"""End to end over HTTP: a bill like one paid lately (same supplier and amount, same reference)
is flagged on its card, and paying it needs the payer's explicit confirmation, audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from billpay.payables.models import BillPrototype, SupplierRef
from billpay.slack.blocks.ids import Action, Input
from billpay.store.models import AuditEvent
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, bill_ids, card_text
from testkit.world import ANA, NOW, SAM, sandbox_payments


async def paid_copy(bot: Bot, bill_id: str, days_ago: int) -> str:
    """A copy of the bill in the sandbox, paid `days_ago` days before the tests' today."""
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    copy = await bot.services.payables.create_bill(
        demo.company_id,
        demo.connection_id,
        BillPrototype(
            supplier_ref=SupplierRef(id=bill.supplier_ref.id),
            issue_date=bill.issue_date,
            due_date=bill.due_date,
            currency=bill.currency,
            reference=bill.reference,
            line_items=bill.line_items,
        ),
    )
    async with bot.sandbox.db.write() as s:
        row = await s.get(sandbox_store.Bill, copy.id)
        assert row is not None
        row.status, row.amount_due = "Paid", 0
        row.source_modified_date = NOW - timedelta(days=days_ago)
    # Changed with a date older than incremental reads look back: the nightly whole read of
    # the mirror, which also reads the bills paid lately, finds it.
    await bot.services.mirror.sync_now(demo.company_id, demo.connection_id, full=True)
    return copy.id


async def first_open_gbp(bot: Bot, message: dict[str, Any]) -> str:
    demo = bot.sandbox.demo
    for bill_id in bill_ids(message):
        bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
        if bill.currency == "GBP" and bill.status == "Open" and bill.reference:
            return bill_id
    raise AssertionError("no open GBP bill with a reference on the first page")


async def test_a_bill_like_one_paid_lately_is_flagged_and_paid_only_when_confirmed(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bill_id = await first_open_gbp(bot, await bot.bills(user=ANA))
    demo = bot.sandbox.demo
    reference = (
        await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    ).reference
    await paid_copy(bot, bill_id, days_ago=3)

    message = await bot.bills(user=ANA)
    assert f"Possible duplicate of {reference}, paid 3 days ago" in card_text(message, bill_id)

    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.click(message, Action.PAY, bill_id, user=SAM)
    view = await bot.modal(0)
    assert "paid 3 days ago" in str(view)

    (confirm,) = [b for b in view["blocks"] if b.get("block_id") == Input.PAY_CONFIRM]
    assert confirm["optional"] is False  # Slack won't submit the form unticked
    assert "initial_options" not in confirm["element"]
    ack = await bot.submit(view, {Input.PAY_CONFIRM: ["duplicate"]}, user=SAM)
    assert ack["response_action"] == "update"
    await bot.wait_for_card(message["ts"], bill_id, "Paid £")

    async with bot.services.db.read() as s:
        details = await s.scalar(
            select(AuditEvent.details).where(
                AuditEvent.bill_id == bill_id, AuditEvent.action == "payment_requested"
            )
        )
    assert details is not None and details["confirmed"] == ["duplicate"]


async def test_an_old_payment_or_another_amount_is_no_duplicate(linked_bot: Bot) -> None:
    bot = linked_bot
    bill_id = await first_open_gbp(bot, await bot.bills(user=ANA))
    await paid_copy(bot, bill_id, days_ago=91)  # beyond the 90-day look-back
    message = await bot.bills(user=ANA)
    assert "Possible duplicate" not in card_text(message, bill_id)


async def test_the_server_refuses_to_pay_a_flagged_bill_without_the_confirmation(
    linked_bot: Bot,
) -> None:
    """A submission that skips the box (a tampered form) pays nothing."""
    bot = linked_bot
    bill_id = await first_open_gbp(bot, await bot.bills(user=ANA))
    await paid_copy(bot, bill_id, days_ago=1)
    message = await bot.bills(user=ANA)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.click(message, Action.PAY, bill_id, user=SAM)
    view = await bot.modal(0)
    view["blocks"] = [b for b in view["blocks"] if b.get("block_id") != Input.PAY_CONFIRM]
    bot.slack.views[view["id"]]["blocks"] = view["blocks"]
    ack = await bot.submit(view, user=SAM)
    assert ack["response_action"] == "errors"
    assert "Tick each box" in ack["errors"][Input.PAY_CONFIRM]
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


async def test_a_form_tampered_to_drop_the_confirmation_pays_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    bill_id = await first_open_gbp(bot, await bot.bills(user=ANA))
    await paid_copy(bot, bill_id, days_ago=1)
    message = await bot.bills(user=ANA)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    await bot.click(message, Action.PAY, bill_id, user=SAM)
    stored = bot.slack.views[(await bot.modal(0))["id"]]
    metadata = json.loads(stored["private_metadata"])
    del metadata["cf"]
    stored["private_metadata"] = json.dumps(metadata)
    stored["blocks"] = [b for b in stored["blocks"] if b.get("block_id") != Input.PAY_CONFIRM]
    ack = await bot.submit(stored, user=SAM)
    assert ack["response_action"] == "update"  # the form looked fine; the server says no
    result = await bot.slack.wait_for(
        "views.update", where=lambda c: "may be a duplicate" in json.dumps(c.args)
    )
    assert result
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


async def test_a_new_bill_is_checked_before_it_is_created(linked_bot: Bot) -> None:
    bot = linked_bot
    bill_id = await first_open_gbp(bot, await bot.bills(user=ANA))
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    link = await bot.services.links.link_for("T0001", "C0FIN")
    check = bot.services.invoices.duplicate_of_new
    same = await check(
        link,
        supplier_id=bill.supplier_ref.id,
        currency=bill.currency,
        total=bill.total_amount,
        reference=bill.reference,
        issue_date=bill.issued_on + timedelta(days=30),  # the same reference is enough
        today=NOW.date(),
    )
    assert same is not None and same.bill_id == bill_id and same.paid_on is None
    other = await check(
        link,
        supplier_id=bill.supplier_ref.id,
        currency=bill.currency,
        total=bill.total_amount + 1,
        reference=bill.reference,
        issue_date=bill.issued_on,
        today=NOW.date(),
    )
    assert other is None
