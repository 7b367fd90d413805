"""The periodic re-read of the outstanding bills taken a slice a day (`billpay.mirror.slices`),
through the sandbox over HTTP: a bill deleted in the platform leaves the mirror when its slice
is read, one cycle reads every bill once at a seventh of the pages a day, another replica goes
on with the cycle where the last one stopped, and a slice read while bills change stays whole.

Pages hold 4 bills here, and the company of 65 bills counts as a big one (slices of at least
8 bills, whole reads up to 20), so that a week is 7 slices of about 3 pages."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from billpay.mirror import slices
from billpay.payables.models import OUTSTANDING_STATUSES
from billpay.store.models import MirroredBill
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, replica_of
from testkit.payables import add_bills
from testkit.world import ANA, NOW
from tests.mirror.conftest import bill_reads, link

pytestmark = [
    pytest.mark.bot(approvers=[ANA], payers=[ANA]),
    pytest.mark.sandbox(page_size=4, paging="offset"),
]

EXTRA = 40
OUTSTANDING = EXTRA + 25
WEEK = 7


@pytest.fixture
async def big(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> Bot:
    monkeypatch.setattr(slices, "WHOLE_UP_TO", 20)
    monkeypatch.setattr(slices, "SLICE_AT_LEAST", 8)
    await add_bills(bot.sandbox, EXTRA)
    await link(bot)
    return bot


def ids(bot: Bot) -> tuple[str, str]:
    demo = bot.sandbox.demo
    assert demo is not None
    return demo.company_id, demo.connection_id


def day(n: int) -> datetime:
    """A tick on the `n`th day after the fill (which read the company whole at NOW)."""
    return NOW + timedelta(days=n, minutes=1)


def query_of(request: httpx.Request) -> str:
    return parse_qs(request.url.query.decode()).get("query", [""])[0]


def slice_reads(requests: list[httpx.Request]) -> list[httpx.Request]:
    """The pages of slices among these requests (a range of dates, the statuses named)."""
    return [
        r
        for r in bill_reads(requests)
        if "status=PartiallyPaid" in query_of(r) and "sourceModifiedDate" in query_of(r)
    ]


async def tick(bot: Bot, now: datetime) -> list[httpx.Request]:
    """The scheduler's tick in a replica whose clock is at `now`: the payables requests."""
    requests = bot.payables_transport.requests
    before = len(requests)
    await replica_of(bot, now).mirror.sync_due()
    return requests[before:]


async def mirrored(bot: Bot) -> dict[str, MirroredBill]:
    company, connection = ids(bot)
    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(MirroredBill).where(
                MirroredBill.company_id == company, MirroredBill.connection_id == connection
            )
        )
        return {row.bill_id: row for row in rows}


async def outstanding_in_platform(bot: Bot) -> set[str]:
    return {b.id async for b in bot.services.payables.iter_bills(*ids(bot))}


async def delete_in_platform(bot: Bot, bill_id: str) -> None:
    """Someone deletes the bill in the platform: it leaves every listing, with no change mark."""
    async with bot.sandbox.db.write() as s:
        row = await s.get(sandbox_store.Bill, bill_id)
        assert row is not None
        await s.delete(row)


def oldest_and_newest(rows: dict[str, MirroredBill]) -> tuple[str, str]:
    dated = sorted(
        (row for row in rows.values() if row.status in OUTSTANDING_STATUSES),
        key=lambda row: (row.source_modified_at, row.bill_id),
    )
    return dated[0].bill_id, dated[-1].bill_id


async def test_a_bill_deleted_in_the_platform_leaves_the_mirror_when_its_slice_is_read(
    big: Bot,
) -> None:
    bot = big
    oldest, newest = oldest_and_newest(await mirrored(bot))
    await delete_in_platform(bot, oldest)
    await delete_in_platform(bot, newest)
    # No change mark: the incremental reads of the first day see nothing.
    assert slice_reads(await tick(bot, NOW + timedelta(hours=6))) == []
    assert (await mirrored(bot))[oldest].status == "Open"
    # The first day's slice holds the oldest bills: the one deleted leaves the list.
    assert slice_reads(await tick(bot, day(1))) != []
    rows = await mirrored(bot)
    assert rows[oldest].status == "Unknown"
    assert rows[newest].status == "Open"  # its slice is the week's last
    for n in range(2, WEEK + 1):
        await tick(bot, day(n))
    rows = await mirrored(bot)
    assert rows[newest].status == "Unknown"
    held = {bill_id for bill_id, row in rows.items() if row.status in OUTSTANDING_STATUSES}
    assert held == await outstanding_in_platform(bot)


async def test_a_week_reads_every_bill_once_a_seventh_of_the_pages_a_day(big: Bot) -> None:
    bot = big
    whole_pages = -(-OUTSTANDING // 4)
    pages: list[int] = []
    queries: list[str] = []
    for n in range(1, WEEK + 1):
        requests = await tick(bot, day(n))
        read = slice_reads(requests)
        pages.append(len(read))
        queries.append(query_of(read[0]))
        # Besides the slice, one read of what changed: the tick's incremental read.
        assert len(bill_reads(requests)) == len(read) + 1
    # The week's slices, listed again: each outstanding bill is in one of them, a seventh of
    # the bills in each, in about a seventh of the pages a whole read takes.
    counts: list[int] = []
    seen: set[str] = set()
    for query in queries:
        held = {b.id async for b in bot.services.payables.iter_bills(*ids(bot), query=query)}
        counts.append(len(held))
        seen |= held
    assert sum(counts) == len(seen) == OUTSTANDING
    assert seen == await outstanding_in_platform(bot)
    share = OUTSTANDING // WEEK
    assert all(share - 4 <= count <= share + 4 for count in counts), counts
    assert sum(pages) <= whole_pages + WEEK
    assert max(pages) <= -(-whole_pages // WEEK) + 1, pages
    assert "sourceModifiedDate>=" not in queries[0] and "sourceModifiedDate<" not in queries[-1]
    # The next day begins the next week's cycle, with its first slice.
    assert slice_reads(await tick(bot, day(WEEK) + timedelta(hours=6))) == []
    read = slice_reads(await tick(bot, day(WEEK + 1)))
    assert read and "sourceModifiedDate>=" not in query_of(read[0])


async def test_another_replica_goes_on_with_the_cycle_where_it_was(big: Bot) -> None:
    bot = big
    first = slice_reads(await tick(bot, day(1)))
    end = next(c for c in query_of(first[0]).split("&&") if c.startswith("sourceModifiedDate<"))
    # Later that day, another replica (or this one restarted) reads no slice again ...
    assert slice_reads(await tick(bot, day(1) + timedelta(hours=2))) == []
    # ... and the next day, a third goes on from where the first slice ended.
    second = slice_reads(await tick(bot, day(2)))
    assert f"sourceModifiedDate>={end.split('<')[1]}" in query_of(second[0]).split("&&")


async def test_a_slice_read_while_bills_change_stays_whole(big: Bot) -> None:
    """A bill of the slice edited in the platform while its pages are read leaves the slice
    (its date moves on) and shifts the pages after it: the slice is read again, and no bill is
    taken for deleted."""
    bot = big
    company, connection = ids(bot)
    oldest, _ = oldest_and_newest(await mirrored(bot))
    bot.services.clock.set(lambda: day(1))
    gate = bot.hold_payables(lambda r: "continuationToken=" in str(r.url))
    syncing = asyncio.create_task(bot.services.mirror.sync_now(company, connection))
    await gate.reached()
    await bot.sandbox.edit_bill_in_platform(oldest, reference="EDITED")
    gate.release()
    synced = await syncing
    assert synced is not None and synced.slice == (1, WEEK) and synced.passes == 2
    rows = await mirrored(bot)
    assert rows[oldest].reference == "EDITED"
    held = {bill_id for bill_id, row in rows.items() if row.status in OUTSTANDING_STATUSES}
    assert held == await outstanding_in_platform(bot)
    assert len(held) == OUTSTANDING


async def test_a_company_of_few_bills_is_still_read_whole_once_a_week(linked_bot: Bot) -> None:
    bot = linked_bot
    whole_pages = -(-25 // 4)
    assert len(bill_reads(await tick(bot, day(6)))) == 1  # what changed, no more
    read = bill_reads(await tick(bot, NOW + timedelta(days=WEEK, minutes=1)))
    # The pages, what changed around them, the bills paid lately.
    assert len(read) == whole_pages + 2
    assert slice_reads(read) == []


def test_slices_a_day_for_big_companies_whole_for_small_or_undated_ones() -> None:
    week = timedelta(hours=168)
    assert slices.slices_for(50_000, 0, week) == WEEK
    assert slices.slices_for(1_500, 0, week) == 3  # slices of 500 bills at least
    assert slices.slices_for(1_000, 0, week) == 1
    assert slices.slices_for(50_000, 1, week) == 1  # a bill no range can hold
    assert slices.slices_for(50_000, 0, timedelta(hours=24)) == 1


async def test_slices_left_overdue_by_a_stop_still_come_a_day_apart(big: Bot) -> None:
    bot = big
    assert slice_reads(await tick(bot, day(1)))
    # Stopped for three days: the next slice is read when the bot is back ...
    assert slice_reads(await tick(bot, day(4)))
    # ... and the one after it a day later, not at the next tick.
    assert slice_reads(await tick(bot, day(4) + timedelta(minutes=15))) == []
    assert slice_reads(await tick(bot, day(4) + timedelta(hours=23))) == []
    assert slice_reads(await tick(bot, day(5)))
