"""`python -m bench.scale`: the arguments, each size's world and parts, then the tables."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import scale
from bench.scale.bills import fresh_bills, print_bills
from bench.scale.days import day, print_days
from bench.scale.digests import digests, print_digests
from bench.scale.figures import LoadFigures, SizeFigures
from bench.scale.live_reads import live_rereads, print_live
from bench.scale.load import load, print_load
from bench.scale.people import link
from bench.scale.report import console
from bench.scale.startup import (
    BOT_LIBRARIES,
    STARTS,
    bare_bolt_start,
    bot_starts,
    compile_bytecode,
    import_seconds,
    print_start,
)
from bench.scale.world import ERRORS, MissingMirror, world


async def one_size(size: int, largest: bool, args: argparse.Namespace) -> tuple[SizeFigures, Any]:
    parts = set(args.parts)
    started = time.perf_counter()
    async with world(size) as w:
        figures = SizeFigures(size, 0, 0.0)
        loaded = None
        digest = None
        try:
            if 5 in parts:
                figures.link_day, figures.fresh = await day(w, linking=True)
                figures.steady_day, _ = await day(w, linking=False)
            else:
                await link(w)
                figures.fresh = await fresh_bills(w)
            figures.outstanding, figures.fill_seconds = w.outstanding, w.fill_seconds
            if 2 in parts:
                figures.live = await live_rereads(w)
            if 3 in parts:
                figures.starts = await bot_starts(w)
            if args.digest_channels and size == 5000:
                digest = await digests(w, args.digest_channels)
            if largest and 6 in parts:
                loaded = await load(w, args.load_seconds)
        except MissingMirror:
            w.notes.append("this checkout has no mirror (billpay.mirror.service.Mirror)")
            figures.starts = await bot_starts(w)
        for error, count in ERRORS.seen.most_common():
            w.notes.append(f"the bot logged {count} error(s): {error}")
        ERRORS.seen.clear()
        for note in w.notes:
            console.print(f"[yellow]{size:,}: {note}[/yellow]")
    figures.world_seconds = time.perf_counter() - started
    console.print(
        f"{size:,} bills: world, days and measures in {figures.world_seconds:.0f} s "
        f"(first fill {figures.fill_seconds:.1f} s)"
    )
    return figures, (loaded, digest)


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    logging.getLogger().addHandler(ERRORS)
    sizes = sorted(args.sizes)
    rows: list[SizeFigures] = []
    load_figures: LoadFigures | None = None
    digest_figures = None
    await compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        bare_starts = [await bare_bolt_start(Path(tmp)) for _ in range(STARTS)]
        floor_starts = [await bare_bolt_start(Path(tmp), BOT_LIBRARIES) for _ in range(STARTS)]
        imports = statistics.median([await import_seconds(Path(tmp)) for _ in range(3)])
    for size in sizes:
        figures, (loaded, digest) = await one_size(size, size == sizes[-1], args)
        rows.append(figures)
        load_figures = loaded or load_figures
        digest_figures = digest or digest_figures
    if args.digest_channels and 5000 not in sizes:
        async with world(5000) as w:
            await link(w)
            digest_figures = await digests(w, args.digest_channels)

    console.rule(f"Scale: {', '.join(f'{n:,}' for n in sizes)} outstanding bills")
    print_bills(rows)
    print_live(rows)
    print_start(rows, bare_starts, floor_starts, imports)
    if digest_figures is not None:
        print_digests(digest_figures)
    print_days(rows)
    if load_figures is not None:
        print_load(sizes[-1], load_figures)
    console.print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(scale.__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument(
        "--digest-channels",
        type=int,
        default=0,
        help="also the digests of this many channels of companies of 5,000 bills (part 4)",
    )
    parser.add_argument(
        "--parts",
        type=int,
        nargs="+",
        default=[1, 2, 3, 5, 6],
        help="which parts to run (1, the first fill and /bills, always runs; 4 is "
        "--digest-channels)",
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=120.0,
        help="part 6: stop sending the 300 /bills after this long (each is measured whole)",
    )
    asyncio.run(main(parser.parse_args()))
