"""What a morning's digests cost: 200 channels, 50 outstanding bills each, read through the real
payables client from the in-process sandbox, computed and rendered as Slack messages.

Run with `make bench` (or `python -m bench.digest`). 100 companies are seeded straight into the
sandbox's tables (creating 5,000 bills through the API would time the seeding, not the digest),
each linked in two channels (two workspaces), with a digest subscription per channel in the
bot's own database. Printed: the time of the whole run (bills read once per company, each
channel's cases and approvers read, each digest computed) and of computing and rendering alone,
per channel and in total; how many payables calls it took; the Slack calls it would make; blocks
per message (each checked by the fake Slack's Block Kit validator); peak RSS. Ratios are to a
baseline measured in the same process: `listing.summarise` over the same bills, per channel.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from billpay.bills.listing import summarise
from billpay.core.money import quantize
from billpay.digest.compute import compute_digest
from billpay.digest.service import compute_digests, read_outstanding
from billpay.digest.store import active_subscriptions, create_subscription
from billpay.payables.client import PayablesClient
from billpay.slack.blocks.digest import digest_empty_message, digest_message
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import CompanyLink, Policy
from payables_sandbox import store as sandbox_store
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground.blockkit import validate_message_blocks
from testkit.payables import CountingTransport

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COMPANIES = 100
CHANNELS_PER_COMPANY = 2
BILLS = 50
KEY = "bench-key"
CURRENCIES = ("GBP", "GBP", "GBP", "EUR", "USD")


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{name}"))


async def seed_sandbox(sandbox: Sandbox) -> list[tuple[str, str, str]]:
    """100 companies with a linked connection and 50 outstanding bills each, due from 20 days
    ago to 29 days ahead; returns (company id, connection id, name)."""
    companies = []
    midnight = datetime.combine(TODAY, datetime.min.time())
    async with sandbox.db.write() as s:
        for c in range(COMPANIES):
            company_id, connection_id = _id(f"company:{c}"), _id(f"connection:{c}")
            name = f"Company {c:03d} Ltd"
            s.add(sandbox_store.Company(id=company_id, name=name, tags={}))
            await s.flush()
            s.add(
                sandbox_store.Connection(
                    id=connection_id,
                    company_id=company_id,
                    platform_key="mqjo",
                    platform_name="Codat Sandbox",
                    integration_id=_id("integration"),
                    source_id=_id("source"),
                    status="Linked",
                    base_currency="GBP",
                )
            )
            await s.flush()
            for b in range(BILLS):
                n = c * BILLS + b
                currency = CURRENCIES[n % len(CURRENCIES)]
                amount = Decimal(50 + (n * 7919) % 5000) + Decimal("0.45")
                s.add(
                    sandbox_store.Bill(
                        id=_id(f"bill:{n}"),
                        connection_id=connection_id,
                        reference=f"INV-{n:06d}",
                        supplier_id=_id(f"supplier:{n % 12}"),
                        supplier_name=f"Supplier {n % 12} & Sons <Ltd>",
                        issue_date=midnight - timedelta(days=40),
                        due_date=midnight + timedelta(days=(b % 50) - 20),
                        currency=currency,
                        currency_rate=None if currency == "GBP" else Decimal("0.86"),
                        line_items=[],
                        status="Open" if b % 5 else "PartiallyPaid",
                        total_amount=amount,
                        amount_due=amount if b % 5 else quantize(amount / 2, currency),
                    )
                )
            companies.append((company_id, connection_id, name))
    return companies


async def link_channels(db: Database, companies: list[tuple[str, str, str]]) -> None:
    async with db.write() as s:
        links = []
        for c, (company_id, connection_id, name) in enumerate(companies):
            for team in range(CHANNELS_PER_COMPANY):
                link = CompanyLink(
                    team_id=f"T{team:04d}",
                    channel_id=f"C{c:04d}X{team}",
                    company_id=company_id,
                    connection_id=connection_id,
                    company_name=name,
                    base_currency="GBP",
                    linked_by="U0ANA",
                )
                s.add(link)
                links.append(link)
        await s.flush()
        for n, link in enumerate(links):
            if n % 2:
                approvers = ["U0ANA", "U0BEN", "U0EVE"]
                s.add(Policy(link_id=link.id, approvers=approvers, payers=[], updated_by="U0ANA"))
        ids = [link.id for link in links]
    for link_id in ids:
        await create_subscription(db, link_id, created_by="U0ANA", time_zone="Europe/London")


def per_channel(seconds: float, channels: int) -> str:
    return f"{seconds / channels * 1000:.3f} ms"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(
            SandboxConfig(
                api_key=KEY,
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'sandbox.db'}",
                seed=False,
                today=TODAY,
            )
        )
        await sandbox.start()
        bot_url = f"sqlite+aiosqlite:///{Path(folder) / 'bot.db'}"
        await asyncio.to_thread(upgrade, bot_url)
        db = Database(bot_url)
        transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
        client = PayablesClient(base_url="http://sandbox", api_key=KEY, transport=transport)

        seed_started = time.perf_counter()
        companies = await seed_sandbox(sandbox)
        await link_channels(db, companies)
        seeding = time.perf_counter() - seed_started

        subs = await active_subscriptions(db)
        runs = [(sub, sub.local_date(NOW)) for sub in subs if sub.is_due(NOW)]
        channels = len(runs)

        # The whole run: bills read once per company, cases and approvers per channel, compute.
        before = len(transport.requests)
        started = time.perf_counter()
        results = await compute_digests(db, client, runs)
        run_seconds = time.perf_counter() - started
        payables_calls = len(transport.requests) - before
        bill_reads = transport.count("GET", "/bills")

        # CPU only, on the same bills: the baseline, compute and render.
        bills_of = {(c, x): await read_outstanding(client, c, x) for c, x, _ in companies}
        channel_bills = [bills_of[(s.company_id, s.connection_id)] for s, _ in runs]
        baseline, _ = timed(lambda: [summarise(bills, TODAY) for bills in channel_bills])
        compute_seconds, digests = timed(
            lambda: [
                compute_digest(
                    bills, {}, approvers=["U0ANA", "U0BEN"], base_currency="GBP", today=TODAY
                )
                for bills in channel_bills
            ]
        )
        render_seconds, messages = timed(
            lambda: [
                digest_message(
                    r.digest,
                    company_name=r.subscription.company_name,
                    locale="en_GB",
                    today=r.today,
                )
                if r.digest is not None and not r.digest.is_empty
                else digest_empty_message(
                    company_name=r.subscription.company_name,
                    locale="en_GB",
                    today=r.today,
                    look_ahead_days=r.subscription.look_ahead_days,
                )
                for r in results
            ]
        )
        assert len(digests) == channels
        invalid = sum(1 for m in messages if validate_message_blocks(m["blocks"]))
        blocks = [len(m["blocks"]) for m in messages]
        would_post = sum(
            1
            for r in results
            if r.digest is not None and (not r.digest.is_empty or r.subscription.post_when_empty)
        )
        await client.aclose()
        await db.dispose()
        await sandbox.stop()

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
    table = Table(
        title=f"Daily digests: {channels} channels x {BILLS} bills "
        f"({COMPANIES} companies, each linked in {CHANNELS_PER_COMPANY} channels)"
    )
    for column in ("measure", "total", "per channel", "x baseline"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row(
        "baseline: listing.summarise of the same bills",
        f"{baseline * 1000:.1f} ms",
        per_channel(baseline, channels),
        "1",
    )
    table.add_row(
        "compute_digest (CPU only)",
        f"{compute_seconds * 1000:.1f} ms",
        per_channel(compute_seconds, channels),
        f"{compute_seconds / baseline:.0f}",
    )
    table.add_row(
        "digest_message (render Block Kit)",
        f"{render_seconds * 1000:.1f} ms",
        per_channel(render_seconds, channels),
        f"{render_seconds / baseline:.0f}",
    )
    table.add_row(
        "whole run: read bills, cases, approvers; compute",
        f"{run_seconds * 1000:.1f} ms",
        per_channel(run_seconds, channels),
        f"{run_seconds / baseline:.0f}",
    )
    console = Console(width=110)
    console.print(table)
    console.print(
        f"Payables calls in the run: {payables_calls} ({bill_reads} bills reads for "
        f"{len(companies)} companies: one per company, shared by its {CHANNELS_PER_COMPANY} "
        f"channels)\n"
        f"Slack calls it would make: {would_post} chat.postMessage (one per channel)\n"
        f"Blocks per message: min {min(blocks)}, median {statistics.median(blocks):g}, "
        f"max {max(blocks)} (limit 50); invalid messages: {invalid}\n"
        f"Peak RSS: {rss_mb:.0f} MB; seeding (not timed above): {seeding:.1f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
