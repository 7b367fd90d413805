"""`billpay audit export`: the audit trail of every action, as CSV."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from rich.markup import escape

from billpay.runtime.cli.arguments import iso_date
from billpay.runtime.cli.console import console, database_trouble

if TYPE_CHECKING:
    from billpay.bills.audit import AuditRow
    from billpay.config import Settings
    from billpay.runtime.cli.arguments import Commands


def add_to(commands: Commands) -> None:
    """`billpay audit export`."""
    audit = commands.add_parser("audit", help="the audit trail of every action")
    audit_commands = audit.add_subparsers(title="audit commands")
    export = audit_commands.add_parser("export", help="write the audit trail as CSV")
    export.add_argument(
        "--csv", required=True, metavar="FILE", help="where to write it (- for stdout)"
    )
    export.add_argument(
        "--since",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="only events from this date (YYYY-MM-DD)",
    )
    export.set_defaults(handler=_audit_export)


def _audit_export(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.bills.audit import write_csv
    from billpay.config import load_settings

    settings = load_settings()
    try:
        events = asyncio.run(_read_audit(settings, args.since))
    except (OSError, DBAPIError) as exc:
        return database_trouble(settings, exc)
    if args.csv == "-":
        count = write_csv(events, sys.stdout)
    else:
        try:
            with open(args.csv, "w", newline="", encoding="utf-8") as out:
                count = write_csv(events, out)
        except OSError as exc:
            console.print(
                f"[red]Cannot write {escape(args.csv)}: {exc.strerror}. Choose another path.[/red]",
                highlight=False,
            )
            return 1
    where = "standard output" if args.csv == "-" else args.csv
    console.print(
        f"Wrote {count} audit event{'s' if count != 1 else ''} to {escape(where)}",
        highlight=False,
    )
    return 0


async def _read_audit(settings: Settings, since: date | None) -> list[AuditRow]:
    from billpay.bills.audit import audit_events
    from billpay.store.db import Database
    from billpay.store.revision import migrate_if_behind

    await migrate_if_behind(settings.database_url)
    db = Database(settings.database_url)
    try:
        return await audit_events(db, datetime.combine(since, time(), UTC) if since else None)
    finally:
        await db.dispose()
