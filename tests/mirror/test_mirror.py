"""The mirror as people notice it: `/bills` from the database with no payables call, a bill paid
in the accounting platform leaving the list after an incremental read, the live re-read that
money needs in at most two calls, the first fill said in words while it runs, and one replica
syncing a company at a time."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.slack.blocks.ids import Action
from billpay.store import claims
from billpay.store.models import Claim, CompanyLink
from testkit.bot import Bot, bill_ids, replica_of
from testkit.payables import add_bills
from testkit.world import ANA, CONNECT_DEMO, NOW, TODAY
from tests.mirror.conftest import bill_reads, link

pytestmark = pytest.mark.bot(approvers=[ANA], payers=[ANA])


def ids(bot: Bot) -> tuple[str, str]:
    demo = bot.sandbox.demo
    assert demo is not None
    return demo.company_id, demo.connection_id


async def pay_elsewhere(bot: Bot, bill_id: str, amount: Decimal) -> None:
    """Another app pays the bill through the payables API: the bot is not told."""
    demo = bot.sandbox.demo
    assert demo is not None
    payment = BillPaymentPrototype(
        amount=amount, date=TODAY.isoformat(), account_ref=Ref(id=demo.bank_accounts["GBP"])
    )
    await bot.services.payables.create_bill_payment(*ids(bot), bill_id, payment)


async def test_bills_with_a_fresh_mirror_reads_nothing_from_the_payables_api(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    requests = bot.payables_transport.requests
    before = len(requests)
    first = await bot.bills(user=ANA)
    # The first page lists each card's files once; nothing else is read.
    assert all(r.url.path.endswith("/attachments") for r in requests[before:])
    before = len(requests)
    second = await bot.bills(user=ANA)
    assert requests[before:] == []
    assert bill_ids(second) == bill_ids(first) != []


async def test_a_bill_paid_in_the_platform_leaves_the_list_after_an_incremental_read(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    shown = bill_ids(await bot.bills(user=ANA))
    paid = shown[0]
    bill = await bot.services.mirror.live_bill(await _link(bot), paid)
    await pay_elsewhere(bot, paid, bill.outstanding_amount)
    assert paid in bill_ids(await bot.bills(user=ANA))  # the mirror was not told yet
    requests = bot.payables_transport.requests
    before = len(requests)
    bot.services.mirror.data_changed(ids(bot)[0], "bills")
    await bot.services.mirror.settled()
    # One read of the bills changed since the watermark, one of the suppliers.
    assert len(bill_reads(requests[before:])) == 1
    assert paid not in bill_ids(await bot.bills(user=ANA))
    mirrored = await bot.services.mirror.bill(await _link(bot), paid)
    assert mirrored is not None and mirrored.status == "Paid"


async def _link(bot: Bot) -> CompanyLink:
    return await bot.services.links.link_for("T0001", "C0FIN")


async def test_a_live_reread_costs_at_most_two_calls_outstanding_or_paid(linked_bot: Bot) -> None:
    bot = linked_bot
    link_row = await _link(bot)
    mirror = bot.services.mirror
    requests = bot.payables_transport.requests
    shown = bill_ids(await bot.bills(user=ANA))
    outstanding, to_pay = shown[0], shown[1]

    before = len(requests)
    bill = await mirror.live_bill(link_row, outstanding)
    assert bill.id == outstanding and bill.is_outstanding
    assert len(requests) - before == 1  # unchanged: found by its own sourceModifiedDate

    due = (await mirror.live_bill(link_row, to_pay)).outstanding_amount
    await pay_elsewhere(bot, to_pay, due)
    before = len(requests)
    bill = await mirror.live_bill(link_row, to_pay)  # changed since the mirror read it
    assert bill.status == "Paid"
    assert len(requests) - before == 2
    before = len(requests)
    bill = await mirror.live_bill(link_row, to_pay)  # paid, as mirrored now
    assert bill.status == "Paid"
    assert len(requests) - before == 1


async def test_approve_rereads_the_bill_live_in_one_call(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    requests = bot.payables_transport.requests
    before = len(requests)
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    assert len(bill_reads(requests[before:])) == 1


@pytest.mark.sandbox(page_size=4)
async def test_bills_says_the_first_read_is_still_running_and_how_far(bot: Bot) -> None:
    bot.services.mirror.first_fill_wait = 0.05
    gate = bot.hold_payables(lambda r: "continuationToken" in str(r.url) and "/bills" in r.url.path)
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await gate.reached()
    await bot.command("/bills", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(
        where=lambda r: "Still reading bills" in str(r.get("text"))
    )
    assert "%" in str(answer.get("text"))
    gate.release()
    await bot.services.mirror.settled()
    assert bill_ids(await bot.bills(user=ANA)) != []


async def test_two_replicas_syncing_one_company_read_it_once(linked_bot: Bot) -> None:
    bot = linked_bot
    other = replica_of(bot, NOW)
    company, connection = ids(bot)
    gate = bot.hold_payables(lambda r: "/bills" in r.url.path)
    first = asyncio.create_task(bot.services.mirror.sync_now(company, connection))
    await gate.reached()
    held = len(gate.held)
    assert await other.mirror.sync_now(company, connection) is None  # the first holds it
    assert len(gate.held) == held  # and the second read nothing
    gate.release()
    synced = await first
    assert synced is not None
    # Asked again while it ran, the holder read the changes once more: every claim is done.
    state = await claims.overdue(bot.services.db, NOW + timedelta(days=1))
    assert [c for c in state if c.kind == "mirror"] == []


async def test_a_sync_a_dead_replica_left_is_taken_over(linked_bot: Bot) -> None:
    bot = linked_bot
    company, connection = ids(bot)
    later = NOW + timedelta(hours=1)
    dead = replica_of(bot, NOW)
    assert await dead.mirror._claim(company, connection) is not None  # claimed, never run
    survivor = replica_of(bot, later)
    assert await survivor.mirror.sync_due() >= 1
    state = await claims.overdue(bot.services.db, later + timedelta(days=1))
    assert [c for c in state if c.kind == "mirror"] == []


async def test_finished_syncs_leave_no_claims_behind_after_a_day(linked_bot: Bot) -> None:
    """A claim per sync, 96 a day per company: the finished ones are forgotten after a day."""
    bot = linked_bot
    company, connection = ids(bot)
    assert await bot.services.mirror.sync_now(company, connection) is not None
    async with bot.services.db.read() as s:
        done = await s.scalar(select(func.count()).select_from(Claim).where(Claim.kind == "mirror"))
    assert done and done >= 2  # the fill at link, and this sync
    tomorrow = replica_of(bot, NOW + timedelta(days=1, hours=1))
    await tomorrow.mirror.sync_due()
    async with bot.services.db.read() as s:
        kept = await s.scalar(select(func.count()).select_from(Claim).where(Claim.kind == "mirror"))
    assert kept == 1  # tomorrow's own sync


async def test_cards_say_when_their_figures_were_read_once_that_is_minutes_ago(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    fresh = await bot.bills(user=ANA)
    assert "figures from" not in json.dumps(fresh["blocks"])
    bot.services.clock.set(lambda: NOW + timedelta(minutes=10))
    stale = await bot.bills(user=ANA)
    (page,) = [b for b in stale["blocks"] if b.get("block_id") == "bills_page"]
    # As of the last read, 10:00, not of now, 10:10.
    assert page["elements"][0]["text"].endswith(
        "overdue first · figures from Codat Sandbox as of 22 Nov 2026, 10:00"
    )
    # The schedule reads again every 15 minutes; a reader asks for a read only when it fell
    # behind (each read costs calls of the day's allowance).
    requests = bot.payables_transport.requests
    before = len(requests)
    await bot.services.mirror.settled()
    assert requests[before:] == []
    bot.services.clock.set(lambda: NOW + timedelta(minutes=16))
    behind = await bot.bills(user=ANA)
    assert "figures from" in json.dumps(behind["blocks"])
    await bot.services.mirror.settled()  # that read asked for a sync: now fresh again
    again = await bot.bills(user=ANA)
    assert "figures from" not in json.dumps(again["blocks"])


@pytest.mark.slow
@pytest.mark.parametrize("extra", [500, 5000])
async def test_thousands_of_bills_fill_in_one_pass_and_reread_in_two_calls(
    bot: Bot, extra: int
) -> None:
    await add_bills(bot.sandbox, extra)
    requests = bot.payables_transport.requests
    await link(bot)
    filled = len(requests)
    reads = bill_reads(requests)
    outstanding = extra + 25
    pages = -(-outstanding // 100)
    # One pass over the pages, one read of what changed around it, one of the bills paid lately.
    assert len(reads) == pages + 2
    link_row = await _link(bot)
    assert len(await bot.services.mirror.outstanding_bills(link_row)) == outstanding

    before = len(requests)
    message = await bot.bills(user=ANA)
    assert all(r.url.path.endswith("/attachments") for r in requests[before:])
    first_bills = len(requests) - before
    before = len(requests)
    await bot.bills(user=ANA)
    assert requests[before:] == []

    mirrored = {b.id: b for b in await bot.services.mirror.outstanding_bills(link_row)}
    (bill_id, *_) = [b for b in bill_ids(message) if mirrored[b].currency == "GBP"]
    before = len(requests)
    bill = await bot.services.mirror.live_bill(link_row, bill_id)
    assert bill.is_outstanding and len(requests) - before == 1
    await pay_elsewhere(bot, bill_id, bill.outstanding_amount)
    before = len(requests)
    assert (await bot.services.mirror.live_bill(link_row, bill_id)).status == "Paid"
    assert len(requests) - before == 2
    before = len(requests)
    assert (await bot.services.mirror.live_bill(link_row, bill_id)).status == "Paid"
    assert len(requests) - before == 1
    print(
        f"\n{outstanding} outstanding bills: fill {filled} calls ({len(reads)} of list bills), "
        f"first /bills {first_bills} (files), next /bills 0, live re-read 1 unchanged, "
        "2 changed, 1 paid"
    )


@pytest.mark.sandbox(page_size=4, paging="offset")
async def test_a_bill_paid_while_the_pages_are_read_sends_the_read_round_again(bot: Bot) -> None:
    """Codat's pages are offsets: a bill already read that leaves the list moves every later
    bill one place forward, and the next page skips one. The read after the pass sees the bill
    leave, and the pass is read again: no outstanding bill is missed."""
    company, connection = ids(bot)
    first_page = (await bot.services.payables.list_bills(company, connection)).results
    paid = next(b for b in first_page if b.currency == "GBP")
    gate = bot.hold_payables(lambda r: "continuationToken=" in str(r.url))
    syncing = asyncio.create_task(bot.services.mirror.sync_now(company, connection))
    await gate.reached()
    await pay_elsewhere(bot, paid.id, paid.outstanding_amount)  # not through the gate: a POST
    gate.release()
    synced = await syncing
    assert synced is not None and synced.passes == 2
    everyone = [b async for b in bot.services.payables.iter_bills(company, connection)]
    await link(bot)
    link_row = await _link(bot)
    mirrored = await bot.services.mirror.outstanding_bills(link_row)
    assert {b.id for b in mirrored} == {b.id for b in everyone}
    assert paid.id not in {b.id for b in mirrored}


async def test_the_same_tick_in_two_replicas_reads_a_company_once(linked_bot: Bot) -> None:
    bot = linked_bot
    later = NOW + timedelta(minutes=20)  # past BILLPAY_MIRROR_SYNC_SECONDS (15 minutes)
    first, second = replica_of(bot, later), replica_of(bot, later)
    requests = bot.payables_transport.requests
    before = len(requests)
    assert await first.mirror.sync_due() == 1
    read = len(bill_reads(requests[before:]))
    assert read == 1  # what changed since the watermark
    before = len(requests)
    assert await second.mirror.sync_due() == 0
    assert requests[before:] == []


@pytest.mark.sandbox(page_size=4)
async def test_a_company_of_several_pages_gets_a_progress_line_then_what_was_read(
    bot: Bot,
) -> None:
    posted = len(bot.slack.calls_to("chat.postMessage"))
    await link(bot)
    lines = [
        c for c in bot.slack.calls_to("chat.postMessage")[posted:] if "Reading" in c.args["text"]
    ]
    (line,) = lines
    assert line.args["text"].startswith("Reading 28 bills from Codat Sandbox… ")
    shown = bot.message(line.response["ts"])
    assert shown["text"] == "Read 25 outstanding bills from Codat Sandbox: `/bills` lists them."


async def test_syncs_read_suppliers_on_the_hour_or_when_a_webhook_names_them(
    linked_bot: Bot,
) -> None:
    """Every scheduled sync reads the bills changed; suppliers change far less, so a sync reads
    them when its last read of them is an hour old, or when Codat says they changed."""
    bot = linked_bot
    company, connection = ids(bot)
    requests = bot.payables_transport.requests

    def supplier_reads(since: int) -> list[str]:
        return [r.url.path for r in requests[since:] if r.url.path.endswith("/suppliers")]

    before = len(requests)
    assert await bot.services.mirror.sync_now(company, connection) is not None
    assert len(bill_reads(requests[before:])) == 1
    assert supplier_reads(before) == []

    bot.services.clock.set(lambda: NOW + timedelta(hours=1))
    before = len(requests)
    assert await bot.services.mirror.sync_now(company, connection) is not None
    assert len(supplier_reads(before)) == 1

    before = len(requests)
    bot.services.mirror.data_changed(company, "suppliers")
    await bot.services.mirror.settled()
    assert len(supplier_reads(before)) == 1
