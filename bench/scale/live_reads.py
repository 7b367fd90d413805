"""Part 2: the payables calls of a payment's live re-read (`Mirror.live_bill`)."""

from __future__ import annotations

from datetime import timedelta

from rich.table import Table

from bench.scale.figures import SizeFigures
from bench.scale.people import bills
from bench.scale.report import console, verdict
from bench.scale.world import World, mirror_of
from testkit.bot import bill_ids


async def live_rereads(w: World) -> tuple[int, int]:
    """Payables calls of `Mirror.live_bill` for an outstanding bill, and for one just paid in
    the platform (the mirror still shows it outstanding)."""
    assert w.link is not None
    mirror = mirror_of(w.services)
    _, message = await bills(w, "brightwave")
    outstanding, paid = bill_ids(message)[:2]
    before = len(w.wire.requests)
    await mirror.live_bill(w.link, outstanding)
    outstanding_calls = len(w.wire.requests) - before
    bill = await mirror.bill(w.link, paid)
    w.advance(timedelta(seconds=5))
    await w.sandbox.pay_in_platform(paid, bill.amount_due)
    w.advance(timedelta(seconds=5))
    before = len(w.wire.requests)
    read = await mirror.live_bill(w.link, paid)
    assert read.status == "Paid", read.status
    return outstanding_calls, len(w.wire.requests) - before


def print_live(rows: list[SizeFigures]) -> None:
    if all(r.live is None for r in rows):
        return
    table = Table(title="2. A payment's live re-read (Mirror.live_bill): payables calls")
    for c in ("outstanding", "outstanding bill", "bill paid in the platform", "per payment, whole"):
        table.add_column(c, justify="right")
    table.add_column("target: ≤ 2")
    for r in rows:
        if r.live is None:
            continue
        pays = r.link_day.pay_calls if r.link_day else []
        table.add_row(
            f"{r.outstanding:,}",
            str(r.live[0]),
            str(r.live[1]),
            f"{min(pays)}-{max(pays)} (approve, Pay…, submit)" if pays else "",
            verdict(max(r.live) <= 2),
        )
    console.print(table)
