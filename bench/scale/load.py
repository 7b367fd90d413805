"""Part 6: at the largest size, the ack of Refresh clicks with and without a whole sync, many
`/bills` at once, and the payables requests in flight per company."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from rich.table import Table

from bench.scale.figures import LoadFigures
from bench.scale.people import bills
from bench.scale.report import console, s, verdict
from bench.scale.world import ERRORS, WAIT, World, mirror_of
from billpay.slack.blocks.ids import Action, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from testkit.bot import bill_ids, settle_listeners
from testkit.world import ANA, SAM


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def ack_burst(w: World, message: dict[str, Any], at_once: int, rounds: int) -> list[float]:
    """Seconds to the HTTP 200 of `at_once` signed clicks on the cards' Refresh sent together,
    `rounds` times."""
    cards = bill_ids(message)
    times: list[float] = []

    async def one(n: int) -> None:
        bill_id = cards[n % len(cards)]
        request = w.bot.requests.click(
            message,
            Action.MORE,
            user_id=ANA,
            block_id_prefix=f"card_actions:{bill_id}",
            option_value=MoreAction(choice=MoreOption.REFRESH, bill_id=bill_id).dump(),
        )
        started = time.perf_counter()
        response = await w.bot.send(request)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text

    for _ in range(rounds):
        await asyncio.gather(*(one(n) for n in range(at_once)))
    return times


async def load(w: World, load_seconds: float) -> LoadFigures:
    mirror = mirror_of(w.services)
    company, connection = w.ids
    _, message = await bills(w)
    await settle_listeners()
    acks: dict[tuple[int, bool], float] = {}
    for at_once in (10, 50):
        acks[(at_once, False)] = p99(await ack_burst(w, message, at_once, 4))
        await settle_listeners()
    w.wire.reset_most()
    budget_most = 0
    before = len(w.wire.requests)
    started = time.perf_counter()
    syncing = asyncio.create_task(mirror.sync_now(company, connection, full=True))
    while len(w.wire.requests) - before < 3 and not syncing.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    during_from = len(w.wire.requests)
    for at_once in (10, 50):
        acks[(at_once, True)] = p99(await ack_burst(w, message, at_once, 4))
        budget_most = max(budget_most, w.services.budget.in_flight(company))
    during = len(w.wire.requests) - during_from
    if syncing.done():
        w.notes.append("the whole sync ended before the last clicks: a bigger size shows more")
    await syncing
    sync_seconds = time.perf_counter() - started
    whole = len(w.wire.requests) - before
    await settle_listeners()

    # 300 /bills, 10 at once: the answers (a chat.postMessage or a response_url post) paired
    # with the commands in the order they arrive.
    sent: list[float] = []
    answered: list[float] = []
    posts = len(w.slack.calls_to("chat.postMessage"))
    responses = len(w.slack.responses)
    done = asyncio.Event()

    async def watch() -> None:
        seen = 0
        while True:
            now = time.perf_counter()
            count = (
                len(w.slack.calls_to("chat.postMessage"))
                - posts
                + len(w.slack.responses)
                - responses
            )
            answered.extend([now] * (count - seen))
            seen = count
            if done.is_set() and len(answered) >= len(sent):
                return
            nonlocal budget_most
            budget_most = max(budget_most, w.services.budget.in_flight(company))
            await asyncio.sleep(0.002)

    gate = asyncio.Semaphore(10)
    deadline = time.perf_counter() + load_seconds

    async def command(n: int) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                return
            sent.append(time.perf_counter())
            await w.bot.command("/bills", user=ANA if n % 2 else SAM)

    errors_before = sum(ERRORS.seen.values())
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(command(n) for n in range(300)))
    done.set()
    try:
        async with asyncio.timeout(WAIT):
            await watcher
    except TimeoutError:
        w.notes.append(f"only {len(answered)} of 300 /bills answered within {WAIT:.0f} s")
        watcher.cancel()
    await settle_listeners()
    failed = sum(ERRORS.seen.values()) - errors_before
    # A /bills answers once (the bills) or twice (the placeholder, then the bills): the
    # first answer of each command is the earlier of the pairs, so pairing in order of
    # arrival gives each command an answer no later than its own.
    firsts = [a - s for s, a in zip(sorted(sent), sorted(answered), strict=False)]
    return LoadFigures(
        acks,
        (during, whole),
        sync_seconds,
        firsts,
        max(w.wire.most.values(), default=0),
        budget_most,
        failed,
    )


def print_load(size: int, f: LoadFigures) -> None:
    table = Table(title=f"6. Under load at {size:,} outstanding bills")
    for c in ("measure", "without a sync", "during a whole sync", "ratio", "target"):
        table.add_column(c, justify="right" if c != "measure" else "left")
    for at_once in (10, 50):
        quiet, busy = f.acks[(at_once, False)], f.acks[(at_once, True)]
        table.add_row(
            f"ack of Refresh, {at_once} at once (p99)",
            s(quiet),
            s(busy),
            f"{busy / quiet:.1f}x",
            f"≤ 1.5x: {verdict(busy <= 1.5 * quiet)}",
        )
    answers = f.bills_answers
    worst = max(answers) if answers else float("inf")
    table.add_row(
        f"{len(answers)} /bills, 10 at once: first answer",
        f"median {s(statistics.median(answers)) if answers else '-'}",
        f"p99 {s(p99(answers)) if answers else '-'}",
        f"max {s(worst)}; {f.errors} errors logged",
        f"≤ 3 s: {verdict(worst <= 3 and not f.errors)}",
    )
    table.add_row(
        "most payables requests in flight per company",
        f"on the wire {f.most_in_flight}",
        f"budget's in_flight {f.budget_most}",
        "",
        f"≤ 10: {verdict(max(f.most_in_flight, f.budget_most) <= 10)}",
    )
    console.print(table)
    console.print(
        f"The whole sync took {s(f.sync_seconds)}; {f.sync_pages[1]} payables requests went out "
        f"meanwhile (the sync's and the clicks'), {f.sync_pages[0]} of them while the clicks "
        "were sent."
    )
