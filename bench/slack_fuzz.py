"""What malformed but signed Slack requests get from the bot: the real bot served by uvicorn on
a port, the fake Slack and the in-process payables sandbox, every request signed with the
signing secret and sent over HTTP.

Run with `python -m bench.slack_fuzz` (`--cases 2000 --seed 1`; part of `make bench`). The
requests are drawn reproducibly from the seed (`testkit.malformed.Malformer`: the named
malformed requests, raw bodies, and random changes anywhere in a well-formed request of every
kind the bot handles), each as EVE, who may neither approve nor pay. Printed: how many were
sent, the answers by status, the 5xx among them, tracebacks in answers and in the log (the
bot's, Bolt's and uvicorn's), answers that took over 3 s (Slack's deadline), what changed in
the books, and the time to an answer against a baseline measured in the same process: the
same well-formed requests, untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from billpay.slack.app import listeners_settled
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import AuditEvent, Decision, Payment
from payables_sandbox import store as sandbox_store
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground import FakeSlack
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, running_bot
from testkit.malformed import Malformed, Malformer, fresh, request_templates, signed_body
from testkit.payables import SANDBOX_KEY
from testkit.world import ANA, CONNECT_DEMO, SAM

TODAY = date(2026, 11, 22)
SLACK_DEADLINE = 3.0
BASELINE_ROUNDS = 5
LIMIT = 5  # tracebacks shown
# What `billpay.runtime.web` logs when it refuses a request, before Bolt or after it failed.
GATE = "refused a malformed Slack request:"
PAST_GATE = "refused a malformed Slack request Bolt"


class Recorder(logging.Handler):
    """Every record at WARNING or above, from the bot, Bolt and uvicorn (kept out of the
    console: the run refuses hundreds of requests on purpose)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def tracebacks(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.exc_info or r.levelno >= logging.ERROR]

    def saying(self, text: str) -> int:
        return sum(1 for r in self.records if r.getMessage().startswith(text))


async def _books(bot: Bot) -> tuple[int, ...]:
    """Decisions, payments (the bot's and the sandbox's) and audit events but refusals."""
    async with bot.services.db.read() as s:
        decisions = await s.scalar(select(func.count()).select_from(Decision))
        payments = await s.scalar(select(func.count()).select_from(Payment))
        audited = await s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.not_in(["permission_denied", "app_uninstalled"]))
        )
    async with bot.sandbox.db.read() as s:
        paid = await s.scalar(select(func.count()).select_from(sandbox_store.BillPayment))
    return tuple(int(n or 0) for n in (decisions, payments, audited, paid))


async def _send(bot: Bot, case: Malformed) -> tuple[float, int, str]:
    body, headers = signed_body(SIGNING_SECRET, case)
    started = time.perf_counter()
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    return time.perf_counter() - started, response.status_code, response.text


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


async def main(cases: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        # The bot and the sandbox each have a database of their own, as when the bot runs.
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bot.db'}"
        sandbox_url = f"sqlite+aiosqlite:///{Path(folder) / 'sandbox.db'}"
        sandbox = Sandbox(SandboxConfig(api_key=SANDBOX_KEY, database_url=sandbox_url, today=TODAY))
        await sandbox.start()
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        recorder = Recorder()
        async with (
            FakeSlack(bot_token=BOT_TOKEN) as slack,
            running_bot(sandbox, db, slack, approvers=[ANA], payers=[SAM]) as bot,
        ):
            await bot.command("/billpay", CONNECT_DEMO, user=ANA)
            await slack.wait_for_responses()
            templates = await request_templates(bot)
            await listeners_settled()
            # Attached once uvicorn has configured its loggers (it replaces their handlers).
            for name in ("", "uvicorn"):
                logging.getLogger(name).addHandler(recorder)
            logging.getLogger().setLevel(logging.WARNING)
            books = await _books(bot)

            baseline: list[float] = []
            for _ in range(BASELINE_ROUNDS):
                for template in templates:
                    case = Malformed("as sent", template.kind, fresh(bot, template))
                    elapsed, status, text = await _send(bot, case)
                    assert status == 200, (template.type, status, text)
                    baseline.append(elapsed)
            await listeners_settled()
            baseline_tracebacks = len(recorder.tracebacks)
            recorder.records.clear()
            slack.take_problems()

            statuses: Counter[int] = Counter()
            timings: list[float] = []
            traceback_bodies = 0
            slow = []
            started = time.perf_counter()
            for case in Malformer(seed).cases(templates, cases):
                elapsed, status, text = await _send(bot, case.for_bot(bot))
                statuses[status] += 1
                timings.append(elapsed)
                traceback_bodies += "Traceback" in text
                if elapsed > SLACK_DEADLINE:
                    slow.append(case.name)
            await listeners_settled()
            total = time.perf_counter() - started
            changed = await _books(bot) != books
            rejected = [p for p in slack.take_problems() if not p.startswith("response_url")]
            for name in ("", "uvicorn"):
                logging.getLogger(name).removeHandler(recorder)
        await db.dispose()
        await sandbox.stop()

    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    table = Table(title=f"{cases} signed malformed requests (seed {seed}), over HTTP")
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    table.add_row("cases", str(sum(statuses.values())))
    for status, count in sorted(statuses.items()):
        table.add_row(f"  answered {status}", str(count))
    table.add_row("  refused by the gate (a warning in the log)", str(recorder.saying(GATE)))
    table.add_row("  Bolt failed past the gate (a warning)", str(recorder.saying(PAST_GATE)))
    table.add_row("HTTP 5xx", str(server_errors))
    table.add_row("tracebacks in answers", str(traceback_bodies))
    table.add_row("tracebacks (or errors) in the log", str(len(recorder.tracebacks)))
    table.add_row(f"answers over {SLACK_DEADLINE:.0f} s", str(len(slow)))
    table.add_row("books changed", "yes" if changed else "no")
    table.add_row("messages Slack would refuse", str(len(rejected)))
    table.add_row(
        f"baseline: {len(templates)} well-formed requests x {BASELINE_ROUNDS}, median",
        _ms(statistics.median(baseline)),
    )
    table.add_row("  their tracebacks in the log", str(baseline_tracebacks))
    table.add_row("malformed, median", _ms(statistics.median(timings)))
    table.add_row("malformed, 95th percentile", _ms(_p95(timings)))
    table.add_row("malformed, slowest", _ms(max(timings)))
    table.add_row(
        "ratio of medians (malformed / well-formed)",
        f"{statistics.median(timings) / statistics.median(baseline):.2f}x",
    )
    table.add_row("ratio of 95th percentiles", f"{_p95(timings) / _p95(baseline):.2f}x")
    table.add_row("whole run", f"{total:.1f} s")
    console = Console(width=120)
    console.print(table)
    for record in recorder.tracebacks[:LIMIT]:
        error = record.exc_info[1] if record.exc_info else None
        console.print(f"{record.name}: {record.getMessage()[:300]}: {error!r:.500}", style="red")
    for name in slow[:5]:
        console.print(f"[yellow]over {SLACK_DEADLINE:.0f} s: {name}[/yellow]")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="how many requests (2000)")
    parser.add_argument("--seed", type=int, default=1, help="the seed they are drawn from (1)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.cases, arguments.seed))
