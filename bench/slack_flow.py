"""What one approve and one payment cost, end to end: the real bot over HTTP, the fake Slack and
the in-process payables sandbox.

Run with `make bench-slack` (or `python -m bench.slack_flow`). For each step it counts the Slack
Web API calls and payables API calls the bot made, and times the step from the signed request
leaving to the card showing the result (median of several bills, and its ratio to a bare
`GET /healthz` of the same server, measured in the same process).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from billpay.slack.blocks.ids import Action
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground import FakeSlack
from testkit.bot import BOT_TOKEN, Bot, bill_ids, running_bot
from testkit.payables import SANDBOX_KEY
from testkit.world import CONNECT_DEMO

TODAY = date(2026, 11, 22)

ANA, SAM = "U0ANA", "U0SAM"


class Step:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.slack_before = len(bot.slack.calls)
        self.payables_before = len(bot.payables_transport.requests)
        self.started = time.perf_counter()

    def done(self) -> tuple[float, Counter[str], int]:
        elapsed = (time.perf_counter() - self.started) * 1000
        slack = Counter(c.method for c in self.bot.slack.calls[self.slack_before :])
        payables = len(self.bot.payables_transport.requests) - self.payables_before
        return elapsed, slack, payables


async def _healthz(bot: Bot, rounds: int = 30) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        await bot.http.get(f"{bot.url}/healthz")
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        sandbox = Sandbox(SandboxConfig(api_key=SANDBOX_KEY, database_url=url, today=TODAY))
        await sandbox.start()
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        async with FakeSlack(bot_token=BOT_TOKEN) as slack, running_bot(sandbox, db, slack) as bot:
            await bot.command("/billpay", CONNECT_DEMO, user=ANA)
            await slack.wait_for_responses()
            baseline = await _healthz(bot)
            rows: dict[str, list[tuple[float, Counter[str], int]]] = {}

            step = Step(bot)
            message = await bot.bills(user=ANA)
            rows.setdefault("/bills (first page of 10)", []).append(step.done())

            demo = sandbox.demo
            assert demo is not None
            for bill_id in bill_ids(message):
                bill = await bot.services.payables.get_bill(
                    demo.company_id, demo.connection_id, bill_id
                )
                if bill.currency != "GBP":
                    continue
                step = Step(bot)
                await bot.click(message, Action.APPROVE, bill_id, user=ANA)
                message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
                rows.setdefault("Approve", []).append(step.done())

                step = Step(bot)
                opened = len(slack.calls_to("views.open"))
                await bot.click(message, Action.PAY, bill_id, user=SAM)
                view = await bot.modal(opened)  # the loading modal, then the form in its place
                rows.setdefault("Pay… (open the form)", []).append(step.done())

                step = Step(bot)
                await bot.submit(view, user=SAM)
                message = await bot.wait_for_card(message["ts"], bill_id, "Paid ")
                await slack.wait_for(
                    "chat.postMessage",
                    where=lambda c, ts=message["ts"]: c.args.get("thread_ts") == ts,
                    count=sum(1 for r in rows.get("Pay (submit to card paid)", [])) + 1,
                )
                paid = len(rows.get("Pay (submit to card paid)", [])) + 1
                await slack.wait_for(
                    "views.update", count=paid, where=lambda c: "Paid " in str(c.args)
                )
                rows.setdefault("Pay (submit to card paid)", []).append(step.done())
        await db.dispose()
        await sandbox.stop()

    table = Table(title=f"One click, end to end (baseline GET /healthz: {baseline:.2f} ms)")
    for column in ("Step", "Runs", "Median", "Ratio", "Slack Web API calls", "Payables calls"):
        table.add_column(
            column, justify="left" if column in ("Step", "Slack Web API calls") else "right"
        )
    for name, results in rows.items():
        median = statistics.median(r[0] for r in results)
        last = results[-1]
        calls = ", ".join(f"{m} {n}" for m, n in sorted(last[1].items()))
        payables = sorted({r[2] for r in results})
        table.add_row(
            name,
            str(len(results)),
            f"{median:.1f} ms",
            f"{median / baseline:.0f}x",
            f"{sum(last[1].values())}: {calls}",
            " or ".join(str(p) for p in payables),
        )
    Console(width=150).print(table)


if __name__ == "__main__":
    asyncio.run(main())
