"""How long a person waits for the bot's first words when the payables API is slow or down:
the real bot over HTTP on the wall clock (its payables retries really wait), the fake Slack and
the in-process payables sandbox with its latency and error faults.

Run with `python -m bench.first_words` (`make bench` runs it too). For `/bills` it times, from
the signed request leaving to the first words the person sees (a response_url post, a message
or an ephemeral in the channel), and to the final answer (the cards, or the reason); for Pay…
it times the click to the first modal (the loading modal) and to the form. Each is the median
of a few runs, printed with its ratio to the same measure with the payables API healthy (the
baseline, measured in the same process) and against Slack's 3 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from billpay.slack.blocks.ids import Action, Callback
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground import FakeSlack
from testkit.bot import BOT_TOKEN, Bot, bill_ids, running_bot
from testkit.payables import SANDBOX_KEY
from testkit.world import CONNECT_DEMO

ANA = "U0ANA"
SLACK_SECONDS = 3.0
# The payables API "slow": this much added to every request; "down": every request a 503.
SLOW_MS = 1000
TIMEOUT_MS = 9000  # longer than the reads' deadline: only the bot's own timeout ends the wait


def _words(bot: Bot) -> int:
    """How many things the person has been shown so far: response_url posts, messages and
    ephemerals in the channel, views opened."""
    slack = bot.slack
    shown = ("chat.postMessage", "chat.postEphemeral", "views.open")
    return len(slack.responses) + sum(1 for c in slack.calls if c.method in shown)


async def _until(condition: Callable[[], bool], started: float, limit: float = 30.0) -> float:
    while not condition():
        if time.perf_counter() - started > limit:
            raise TimeoutError("no answer")
        await asyncio.sleep(0.002)
    return time.perf_counter() - started


async def _bills(bot: Bot) -> tuple[float, float]:
    """`/bills`: seconds to the first words, and to the cards or the reason."""
    await bot.slack.wait_for_responses(count=0)
    shown, posted = _words(bot), len(bot.slack.calls_to("chat.postMessage"))
    answers = len(bot.slack.responses)

    def answered() -> bool:
        cards = len(bot.slack.calls_to("chat.postMessage")) > posted
        reasons = [
            r for r in bot.slack.responses[answers:] if "accounting platform" in str(r.get("text"))
        ]
        return cards or bool(reasons)

    started = time.perf_counter()
    await bot.command("/bills", user=ANA)
    first = await _until(lambda: _words(bot) > shown, started)
    final = await _until(answered, started)
    await asyncio.sleep(0.05)  # the placeholder's removal, after the cards
    return first, final


async def _pay(bot: Bot, message: dict[str, object], bill_id: str) -> tuple[float, float]:
    """Pay…: seconds to the first modal, and to the Pay form or the reason in it."""
    opened = len(bot.slack.calls_to("views.open"))
    answers = sum(1 for c in bot.slack.calls if _final(c.method, c.args))
    started = time.perf_counter()
    await bot.click(message, Action.PAY, bill_id, user=ANA)  # type: ignore[arg-type]
    first = await _until(lambda: len(bot.slack.calls_to("views.open")) > opened, started)
    final = await _until(
        lambda: sum(1 for c in bot.slack.calls if _final(c.method, c.args)) > answers, started
    )
    return first, final


def _final(method: str, args: dict[str, object]) -> bool:
    """The Pay form, or a modal saying why there is none."""
    view = args.get("view")
    return (
        method in ("views.open", "views.update")
        and isinstance(view, dict)
        and (view.get("callback_id") == Callback.PAY or ":x:" in str(view.get("blocks")))
    )


async def main(rounds: int) -> None:
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        sandbox = Sandbox(SandboxConfig(api_key=SANDBOX_KEY, database_url=url))
        await sandbox.start()
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        faults = sandbox.faults.config
        async with (
            FakeSlack(bot_token=BOT_TOKEN) as slack,
            running_bot(sandbox, db, slack, wall_clock=True) as bot,
        ):
            await bot.command("/billpay", CONNECT_DEMO, user=ANA)
            await slack.wait_for_responses()
            message = await bot.bills(user=ANA)
            bill_id = bill_ids(message)[0]
            await bot.click(message, Action.APPROVE, bill_id, user=ANA)
            message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")

            for name, latency, error_rate in (
                ("healthy", 0, 0.0),
                ("slow", SLOW_MS, 0.0),
                ("down", 0, 1.0),
                ("past its timeout", TIMEOUT_MS, 0.0),
            ):
                faults.latency_ms, faults.error_rate = latency, error_rate
                runs = 1 if name == "past its timeout" else rounds
                for _ in range(runs):
                    results.setdefault(f"/bills, payables API {name}", []).append(await _bills(bot))
                for _ in range(runs):
                    message = bot.message(message["ts"])
                    results.setdefault(f"Pay…, payables API {name}", []).append(
                        await _pay(bot, message, bill_id)
                    )
                await asyncio.sleep(0.2)
            faults.latency_ms, faults.error_rate = 0, 0.0
            slack.assert_no_problems()
        await db.dispose()
        await sandbox.stop()

    def median(name: str, which: int) -> float:
        return statistics.median(r[which] for r in results[name])

    bills_baseline = median("/bills, payables API healthy", 0)
    pay_baseline = median("Pay…, payables API healthy", 0)
    table = Table(
        title=(
            f"Time to the first words (baselines, payables API healthy: /bills "
            f"{bills_baseline * 1000:.0f} ms, Pay… {pay_baseline * 1000:.0f} ms)"
        )
    )
    for column in ("What", "Runs", "First words", "Ratio", "Within 3 s", "Final answer"):
        table.add_column(column, justify="left" if column == "What" else "right")
    for name, runs in results.items():
        first, final = median(name, 0), median(name, 1)
        baseline = pay_baseline if name.startswith("Pay") else bills_baseline
        table.add_row(
            name,
            str(len(runs)),
            f"{first * 1000:.0f} ms",
            f"{first / baseline:.1f}x",
            "yes" if max(r[0] for r in runs) < SLACK_SECONDS else "no",
            f"{final * 1000:.0f} ms",
        )
    Console(width=150).print(table)
    print(
        f"slow: +{SLOW_MS} ms a request; down: every request a 503; "
        f"past its timeout: +{TIMEOUT_MS} ms a request"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    logging.basicConfig(level=logging.ERROR)  # the retries' warnings are expected here
    asyncio.run(main(parser.parse_args().rounds))
