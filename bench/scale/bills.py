"""Part 1: `/bills` to its first answer once the mirror is filled, and the payables calls it
made."""

from __future__ import annotations

import statistics

from rich.table import Table

from bench.scale.figures import BillsFigures, SizeFigures
from bench.scale.people import bills
from bench.scale.report import calls_text, console, s, verdict
from bench.scale.world import World
from testkit.bot import settle_listeners


async def fresh_bills(w: World) -> BillsFigures:
    before = len(w.wire.requests)
    first, _ = await bills(w)
    await settle_listeners()
    first_calls = w.wire.since(before)
    before = len(w.wire.requests)
    later = [(await bills(w))[0] for _ in range(4)]
    await settle_listeners()
    return BillsFigures(first, first_calls, statistics.median(later), len(w.wire.requests) - before)


def print_bills(rows: list[SizeFigures]) -> None:
    rows = [r for r in rows if r.fresh is not None]
    if not rows:
        return
    base = rows[0].fresh
    assert base is not None
    table = Table(title="1. /bills to its first answer, the mirror filled (target: ≤ 2x, 0 calls)")
    for c in ("outstanding", "first /bills", "its calls", "next 4 (median)", "their calls"):
        table.add_column(c, justify="right")
    table.add_column("x the smallest", justify="right")
    table.add_column("target: ≤ 2x and 0 calls")
    for r in rows:
        f = r.fresh
        assert f is not None
        ratio = f.later / base.later
        table.add_row(
            f"{r.outstanding:,}",
            s(f.first),
            calls_text(f.first_calls),
            s(f.later),
            str(f.later_calls),
            f"{ratio:.1f}x (first {f.first / base.first:.1f}x)",
            verdict(ratio <= 2 and f.first / base.first <= 2 and not f.first_calls)
            + ("" if not f.first_calls else " (first /bills made calls)"),
        )
    console.print(table)
