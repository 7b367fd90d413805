"""`billpay digest --dry-run`: the daily digest each linked channel would get, posted nowhere."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from billpay.runtime.cli.console import configure_logging, console, database_trouble

if TYPE_CHECKING:
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay digest`."""
    digest = commands.add_parser(
        "digest", help="show the daily digest each linked channel would get (--dry-run)"
    )
    digest.add_argument(
        "--dry-run", action="store_true", help="compute and print the digests; post nothing"
    )
    digest.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="C",
        help="only this channel id (repeat for several; default: every linked channel)",
    )
    digest.add_argument(
        "--now",
        nargs="?",
        const="now",
        default=None,
        metavar="WHEN",
        help="as of now, or of WHEN (ISO date-time), instead of each channel's next digest",
    )
    digest.add_argument(
        "--live",
        action="store_true",
        help="read the bills live from the payables API instead of the mirror (costs calls)",
    )
    digest.set_defaults(handler=_digest)


def _digest(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.runtime.digest_dry_run import DIGEST_POSTING, parse_when, print_digests

    if not args.dry_run:
        console.print(DIGEST_POSTING, highlight=False)
        return 2
    try:
        when = parse_when(args.now)
    except ValueError as exc:
        console.print(f"[red]--now: {exc}[/red]", highlight=False)
        return 2
    settings = load_settings()
    configure_logging(settings)
    try:
        return asyncio.run(print_digests(settings, args.channel, when, live=args.live))
    except (OSError, DBAPIError) as exc:
        return database_trouble(settings, exc)
