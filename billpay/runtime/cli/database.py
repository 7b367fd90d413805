"""`billpay db upgrade` and `billpay status`: the bot's database migrated, and what the bot
left undone in it."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from rich.console import Console

from billpay.runtime.cli.console import console, database_trouble

if TYPE_CHECKING:
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay status` and `billpay db upgrade`."""
    status = commands.add_parser(
        "status",
        help="what the bot left undone: claims past their lease, payments with no answer "
        "(exit status 1 when there are any)",
    )
    status.set_defaults(handler=_status)

    db = commands.add_parser("db", help="the bot's database")
    db_commands = db.add_subparsers(title="db commands")
    db_upgrade = db_commands.add_parser("upgrade", help="create or migrate the bot's tables")
    db_upgrade.set_defaults(handler=_db_upgrade)


def _db_upgrade(_args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.store.migrate import head_revision, upgrade

    settings = load_settings()
    try:
        upgrade(settings.database_url)
    except (OSError, DBAPIError) as exc:
        return database_trouble(settings, exc)
    console.print(f"The bot's database is at revision {head_revision()}.")
    return 0


def _status(_args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.runtime.status import report

    settings = load_settings()
    try:
        return asyncio.run(report(settings, Console()))
    except (OSError, DBAPIError) as exc:
        return database_trouble(settings, exc)
