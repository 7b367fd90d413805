"""The `billpay` command: run the bot, serve the payables sandbox, check the payables backend."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from bot.config import ConfigError, Settings, async_database_url, load_settings
from bot.money import format_money
from bot.payables.backend import open_backend
from bot.payables.errors import PayablesError
from bot.sandbox.app import DEFAULT_API_KEY, SandboxConfig, create_sandbox_app
from bot.sandbox.faults import FaultConfig

console = Console(stderr=True, soft_wrap=True)

SLACK_SETUP = """\
billpay connects to Slack with these settings (environment or .env):
  SLACK_BOT_TOKEN       xoxb-...  the app's Bot User OAuth Token (OAuth & Permissions page)
  SLACK_SIGNING_SECRET  ...       Basic Information > App Credentials > Signing Secret
  SLACK_APP_TOKEN       xapp-...  Basic Information > App-Level Tokens (for Socket Mode)
See "Slack" in README.md."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billpay", description="Bill pay for Slack: approve and pay supplier bills in Slack."
    )
    commands = parser.add_subparsers(title="commands")

    run = commands.add_parser("run", help="run the bot (checks the payables backend first)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="serve Slack's HTTP request URLs")
    run.set_defaults(handler=_run)

    check = commands.add_parser("check", help="check the payables backend and show what is due")
    check.set_defaults(handler=_check)

    sandbox = commands.add_parser("sandbox", help="serve the payables sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8900)
    sandbox.add_argument(
        "--api-key",
        default=None,
        help=f"the API key it accepts (default: BILLPAY_SANDBOX_API_KEY or '{DEFAULT_API_KEY}')",
    )
    sandbox.add_argument(
        "--database-url",
        default=None,
        help="where it keeps its records (default: BILLPAY_SANDBOX_DATABASE_URL)",
    )
    sandbox.add_argument("--reset", action="store_true", help="drop all data and re-seed")
    sandbox.add_argument("--today", type=date.fromisoformat, help="the demo data's today")
    sandbox.add_argument("--page-size", type=int, default=100, help="records per page")
    sandbox.add_argument("--rate-limit", type=int, help="answer 429 past N requests per window")
    sandbox.add_argument("--rate-window", type=float, default=1.0, help="window in seconds")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of 503s (0 to 1)")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    sandbox.set_defaults(handler=_sandbox)
    return parser


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    # httpx logs every request at INFO; the client logs what matters (retries, failures).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    _configure_logging(settings)
    status = asyncio.run(_report_backend(settings))
    if status:
        return status
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
        )
        if value is None
    ]
    if args.socket and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN")
    if missing:
        console.print(f"[yellow]Missing: {', '.join(missing)}[/yellow]")
        console.print(SLACK_SETUP, highlight=False)
        return 2
    console.print(
        "[red]This version of billpay checks the payables backend only; "
        "it does not connect to Slack yet.[/red]"
    )
    return 2


def _check(_args: argparse.Namespace) -> int:
    settings = load_settings()
    _configure_logging(settings)
    return asyncio.run(_report_backend(settings))


async def _report_backend(settings: Settings) -> int:
    """Prove the payables backend answers: list companies and summarise what is outstanding."""
    backend = await open_backend(settings)
    try:
        console.print(f"Payables backend: [bold]{backend.description}[/bold]")
        companies = await backend.client.list_companies(page_size=20)
        table = Table(title=f"Companies ({companies.total_results})")
        for column in ("Company", "Connection", "Outstanding bills", "Overdue", "Amount due"):
            table.add_column(column, no_wrap=column in ("Company", "Amount due"))
        for company in companies.results:
            for connection in company.data_connections:
                if connection.status != "Linked":
                    table.add_row(company.name, f"{connection.platform_name} (not linked)")
                    continue
                count, overdue, totals = 0, 0, defaultdict[str, Decimal](Decimal)
                async for bill in backend.client.iter_bills(company.id, connection.id):
                    count += 1
                    overdue += bill.due_on < date.today()
                    totals[bill.currency] += bill.outstanding_amount
                table.add_row(
                    company.name,
                    connection.platform_name or "",
                    str(count),
                    str(overdue),
                    "\n".join(format_money(v, k) for k, v in sorted(totals.items())),
                )
        console.print(table)
        return 0
    except PayablesError as exc:
        console.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
        if exc.status_code == 401:
            console.print("Check CODAT_API_KEY (or BILLPAY_SANDBOX_API_KEY for the sandbox).")
        return 1
    finally:
        await backend.aclose()


def _sandbox(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    api_key = args.api_key or settings.sandbox_api_key.get_secret_value()
    try:
        config = _sandbox_config(args, settings, api_key)
    except (ValidationError, ValueError) as exc:
        console.print(f"[red]billpay sandbox: {_options_problem(exc)}[/red]", highlight=False)
        return 2
    console.print(
        f"Payables sandbox on http://{args.host}:{args.port} "
        f"(Basic auth with the API key {'you gave' if args.api_key else 'from the settings'})"
    )
    uvicorn.run(create_sandbox_app(config), host=args.host, port=args.port, log_level="info")
    return 0


def _sandbox_config(args: argparse.Namespace, settings: Settings, api_key: str) -> SandboxConfig:
    database_url = settings.sandbox_database_url
    if args.database_url:
        database_url = async_database_url(args.database_url)
    return SandboxConfig(
        api_key=api_key,
        database_url=database_url,
        reset=args.reset,
        today=args.today or settings.sandbox_today,
        page_size=args.page_size,
        faults=FaultConfig(
            rate_limit_requests=args.rate_limit or settings.sandbox_rate_limit_requests,
            rate_limit_window_seconds=args.rate_window,
            error_rate=args.error_rate or settings.sandbox_error_rate,
            latency_ms=args.latency_ms or settings.sandbox_latency_ms,
        ),
    )


_OPTIONS = {
    "page_size": "--page-size",
    "rate_limit_requests": "--rate-limit",
    "rate_limit_window_seconds": "--rate-window",
    "error_rate": "--error-rate",
    "latency_ms": "--latency-ms",
    "api_key": "--api-key",
}


def _options_problem(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return f"--database-url: {exc}"
    problems = []
    for err in exc.errors(include_url=False):
        option = _OPTIONS.get(str(err["loc"][-1]), str(err["loc"][-1]))
        problems.append(f"{option}: {err['msg']}")
    return "; ".join(problems)


if __name__ == "__main__":
    sys.exit(main())
