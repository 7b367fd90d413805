"""What webhooks and the call budget cost: the bot's web app and its database (SQLite in a
temporary folder, already migrated), in this process.

Run with `python -m bench.webhooks`. It prints:

- the answer time of a signed Codat webhook (verified, recorded with its claim, answered; the
  work runs after), median and 95th percentile over `--deliveries`, against `/healthz` (the
  baseline: the same app answering without any work), and how long all of them took to be
  worked;
- a payables call through the budget against one without (the baseline), to an in-process API
  that answers at once, median over `--calls`;
- `--burst` concurrent calls of one company to an API that answers in 20 ms: the most in flight
  and the time taken, with the budget against without.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from rich.console import Console
from rich.table import Table

from billpay.payables.budget import CallBudget
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.runtime.web import create_web_app
from billpay.services import build_services
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from testkit.webhooks import WEBHOOK_SECRET, delivery, read_completed
from testkit.world import bot_settings


def _api(delay: float, in_flight: Counter[str], most: Counter[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/companies/{company_id}/connections")
    async def connections(company_id: str) -> JSONResponse:
        in_flight[company_id] += 1
        most[company_id] = max(most[company_id], in_flight[company_id])
        try:
            if delay:
                await asyncio.sleep(delay)
        finally:
            in_flight[company_id] -= 1
        return JSONResponse({"results": []})

    return app


def _client(app: FastAPI, budget: CallBudget | None) -> PayablesClient:
    return PayablesClient(
        base_url="http://api.test",
        api_key="key",
        transport=httpx.ASGITransport(app=app),
        retry=RetryPolicy(deadline=60),
        budget=budget,
    )


async def _timed(work: list[object]) -> list[float]:
    times = []
    for call in work:
        started = time.perf_counter()
        await call  # type: ignore[misc]
        times.append(time.perf_counter() - started)
    return times


async def webhooks(deliveries: int, folder: Path) -> tuple[list[float], list[float], float]:
    url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    api = _api(0, Counter(), Counter())
    services = build_services(
        bot_settings(database_url=url, codat_webhook_secret=WEBHOOK_SECRET),
        db=db,
        payables=_client(api, None),
    )
    assert services.webhooks is not None
    web = create_web_app(services, slack_requests=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://bot.test"
    ) as http:
        health = await _timed([http.get("/healthz") for _ in range(deliveries)])
        sent = [delivery(read_completed("company-1", "bills")) for _ in range(deliveries)]
        started = time.perf_counter()
        answers = await _timed(
            [http.post("/webhooks/codat", content=d.body, headers=d.headers) for d in sent]
        )
        await services.webhooks.settled()
        worked = time.perf_counter() - started
    await db.dispose()
    return answers, health, worked


async def calls(count: int) -> tuple[list[float], list[float]]:
    api = _api(0, Counter(), Counter())
    async with _client(api, CallBudget()) as budgeted, _client(api, None) as plain:
        for client in (budgeted, plain):  # warm up
            await client.request("GET", "/companies/c/connections")
        with_budget = await _timed(
            [budgeted.request("GET", "/companies/c/connections") for _ in range(count)]
        )
        without = await _timed(
            [plain.request("GET", "/companies/c/connections") for _ in range(count)]
        )
    return with_budget, without


async def burst(count: int) -> dict[str, tuple[int, float]]:
    found = {}
    for name, budget in (("with the budget", CallBudget()), ("without", None)):
        in_flight: Counter[str] = Counter()
        most: Counter[str] = Counter()
        async with _client(_api(0.02, in_flight, most), budget) as client:
            started = time.perf_counter()
            await asyncio.gather(
                *[client.request("GET", "/companies/c/connections") for _ in range(count)]
            )
            found[name] = (most["c"], time.perf_counter() - started)
    return found


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        answers, health, worked = await webhooks(args.deliveries, Path(folder))
    table = Table(title=f"Codat webhooks ({args.deliveries} deliveries, SQLite)")
    for column in ("measure", "median", "p95", "ratio to /healthz (median)"):
        table.add_column(column)
    table.add_row(
        "answer",
        _ms(statistics.median(answers)),
        _ms(_p95(answers)),
        f"{statistics.median(answers) / statistics.median(health):.1f}x",
    )
    table.add_row("/healthz", _ms(statistics.median(health)), _ms(_p95(health)), "1.0x")
    console.print(table)
    console.print(f"All {args.deliveries} answered and worked in {worked:.2f} s.")

    with_budget, without = await calls(args.calls)
    console.print(
        f"A payables call through the budget: {_ms(statistics.median(with_budget))} median, "
        f"{statistics.median(with_budget) / statistics.median(without):.2f}x the call "
        f"without it ({_ms(statistics.median(without))})."
    )
    for name, (most, took) in (await burst(args.burst)).items():
        console.print(
            f"{args.burst} concurrent calls of one company, 20 ms each, {name}: "
            f"at most {most} in flight, {took:.2f} s."
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--burst", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
