"""Part 5: a simulated day's payables calls against Codat's daily share, the link day and a
steady day apart."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from rich.table import Table

from bench.scale.bills import fresh_bills
from bench.scale.figures import BillsFigures, DayFigures, SizeFigures
from bench.scale.people import bills, link, pay, supplier
from bench.scale.report import calls_text, console, s, verdict
from bench.scale.world import STEP, World, mirror_of
from testkit.bot import bill_ids, settle_listeners

QUOTA_UNIT = 1000
TARGET_SHARE = 0.25


async def day(w: World, *, linking: bool) -> tuple[DayFigures, BillsFigures | None]:
    """One day (96 ticks of 15 minutes): the link first when `linking`, then people's work
    7 minutes into their tick (the mirror's figures 7 minutes old), the scheduler's jobs at
    each tick's end."""
    from billpay.runtime.scheduler import Scheduler

    scheduler = Scheduler(w.services)
    mirror = mirror_of(w.services)
    started_at, started = len(w.wire.requests), time.perf_counter()
    by_activity: Counter[str] = Counter()
    fresh: BillsFigures | None = None
    pay_calls: list[int] = []

    async def counted(name: str, work: Awaitable[Any]) -> Any:
        await mirror.settled()
        before = len(w.wire.requests)
        result = await work
        await settle_listeners()
        await mirror.settled()
        by_activity[name] += len(w.wire.requests) - before
        return result

    bills_left = 20
    if linking:
        await counted("link (the first fill)", link(w))
        fresh = await counted("/bills", fresh_bills(w))
        bills_left -= 5
    to_pay: list[str] = []
    pay_message: dict[str, Any] = {}
    for tick in range(96):
        w.advance(timedelta(minutes=7))
        if 1 <= tick <= bills_left:
            await counted("/bills", bills(w))
        elif tick == 30:
            _, pay_message = await counted("/bills", bills(w, "northridge"))
            to_pay = bill_ids(pay_message)[:10]
        elif 31 <= tick < 31 + len(to_pay):
            before = len(w.wire.requests)
            pay_message = await counted("payments", pay(w, pay_message, to_pay[tick - 31]))
            pay_calls.append(len(w.wire.requests) - before)
        elif 45 <= tick < 50:
            name = ("northridge", "brightwave", "office", "energy", "north")[tick - 45]
            await counted("/supplier", supplier(w, name))
        w.advance(STEP - timedelta(minutes=7))
        await counted("the digest", scheduler.send_due_digests())
        await counted("reminders", scheduler.send_reminders())
        await counted("the mirror's tick", mirror.sync_due())
    figures = DayFigures(
        w.wire.since(started_at), by_activity, time.perf_counter() - started, pay_calls
    )
    return figures, fresh


def print_days(rows: list[SizeFigures]) -> None:
    if all(r.link_day is None for r in rows):
        return
    one = QUOTA_UNIT * 2
    fifty = QUOTA_UNIT * 51 / 50
    table = Table(
        title="5. A simulated day for one company: payables calls against Codat's daily share "
        f"(1 company: {one:,}; 1 of 50: {fifty:,.0f}; target: under 25 %)"
    )
    for c in ("outstanding", "day", "calls", "% of 1's share", "% of 1 of 50's"):
        table.add_column(c, justify="right")
    table.add_column("target: < 25 % (1 of 50)")
    table.add_column("where the calls went")
    for r in rows:
        for name, d in (("link day", r.link_day), ("steady day", r.steady_day)):
            if d is None:
                continue
            total = sum(d.calls.values())
            table.add_row(
                f"{r.outstanding:,}",
                f"{name} ({s(d.seconds)})",
                f"{total:,}",
                f"{total / one:.1%}",
                f"{total / fifty:.1%}",
                verdict(total < TARGET_SHARE * fifty),
                calls_text(d.by_activity),
            )
    console.print(table)
    for r in rows:
        for name, d in (("link day", r.link_day), ("steady day", r.steady_day)):
            if d is not None:
                console.print(f"{r.outstanding:,}, {name}, by request: {calls_text(d.calls)}")
