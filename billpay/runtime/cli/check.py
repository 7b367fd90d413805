"""`billpay check`: prove the payables backend answers and show what each company has
outstanding; `billpay run` shows its companies the same way before it serves."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.console import Console

from billpay.core.clock import utcnow
from billpay.runtime.cli.console import configure_logging, console

if TYPE_CHECKING:
    from rich.table import Table

    from billpay.config import Settings
    from billpay.payables.backend import PayablesBackend
    from billpay.payables.models import Company
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay check`."""
    check = commands.add_parser("check", help="check the payables backend and show what is due")
    check.set_defaults(handler=_check)


def _check(_args: argparse.Namespace) -> int:
    from billpay.config import load_settings

    settings = load_settings()
    configure_logging(settings)
    return asyncio.run(report_backend(settings, Console()))


async def report_backend(
    settings: Settings, out: Console, *, bills: bool = True, backend: PayablesBackend | None = None
) -> int:
    """Prove the payables backend answers: list companies and, with `bills` (`billpay check`),
    summarise what is outstanding, printed on `out`; problems go to standard error. Starting
    the bot lists the companies only: reading every bill of every company would cost minutes
    and much of the day's payables quota before the bot answers (the mirror reads them).
    A `backend` given is the caller's to close."""
    from billpay.payables.errors import PayablesError
    from billpay.runtime.startup import open_backend

    own = backend is None
    if backend is None:
        backend = await open_backend(settings)
    today = payables_today(settings, backend)
    try:
        out.print(f"Payables backend: [bold]{backend.description}[/bold]")
        companies = await backend.client.list_companies(page_size=20)
        rows = await _company_rows(backend, companies.results, today, bills=bills)
        out.print(_companies_table(companies.total_results, rows, bills=bills))
        return 0
    except PayablesError as exc:
        console.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
        if exc.status_code == 401:
            console.print("Check CODAT_API_KEY (or BILLPAY_SANDBOX_API_KEY for the sandbox).")
        return 1
    finally:
        if own:
            await backend.aclose()


async def _company_rows(
    backend: PayablesBackend, companies: Sequence[Company], today: date, *, bills: bool = True
) -> list[tuple[str, ...]]:
    """Company, platform, outstanding, overdue, amounts due: one row per accounting connection."""
    from billpay.bills.companies import accounting
    from billpay.bills.listing import summarise
    from billpay.core.money import format_money

    rows: list[tuple[str, ...]] = []
    for company in companies:
        # Only accounting connections hold bills (a bank feed has none to show).
        for connection in accounting(company.data_connections):
            platform = connection.platform_name or ""
            if connection.status != "Linked":
                rows.append((company.name, f"{platform} (not linked)", "", "", ""))
                continue
            if not bills:
                rows.append((company.name, platform, "", "", ""))
                continue
            listed = [bill async for bill in backend.client.iter_bills(company.id, connection.id)]
            summary = summarise(listed, today)
            rows.append(
                (
                    company.name,
                    platform,
                    str(summary.count),
                    str(summary.overdue),
                    "\n".join(format_money(v, k) for k, v in summary.totals.items()),
                )
            )
    return rows


def _companies_table(total: int, rows: list[tuple[str, ...]], *, bills: bool = True) -> Table:
    """Within 80 columns: short headers, the amounts never cut, long names wrapped, not cut."""
    from rich.table import Table

    table = Table(title=f"Companies ({total})")
    table.add_column("Company", overflow="fold")
    table.add_column("Platform", overflow="fold")
    if bills:
        table.add_column("Bills", justify="right", no_wrap=True)
        table.add_column("Overdue", justify="right", no_wrap=True)
        table.add_column("Amount due", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(row if bills else row[:2]))
    return table


def payables_today(
    settings: Settings, backend: PayablesBackend, clock: Callable[[], datetime] = utcnow
) -> date:
    """The embedded sandbox's configured today (its demo data is dated from it), else the local
    date now."""
    if backend.embedded and settings.sandbox_today is not None:
        return settings.sandbox_today
    return clock().astimezone().date()
