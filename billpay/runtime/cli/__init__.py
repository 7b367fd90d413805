"""The `billpay` command: run the bot, serve the payables sandbox, check the payables backend,
and the commands around them (preview, audit export, digest dry run, status, db upgrade).

Each subcommand is a module that adds its arguments (`add_to`) and runs; what they share is in
`console` and `arguments`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from billpay.runtime import collector
from billpay.runtime.cli import audit, check, database, digest, preview, run, sandbox
from billpay.runtime.cli.console import console

# Each command imports what it uses when it runs: `billpay run` never loads the embedded
# sandbox, the playground, Alembic or the preview's builders unless it uses them, and a start
# pays for the bot's own modules only (`tests/runtime/test_cli_imports.py`). The settings
# (pydantic) and the database's helpers (SQLAlchemy) are imported in `main` too, once the
# garbage collector is held for the start (`collector.py`).


def main(argv: Sequence[str] | None = None) -> int:
    with collector.while_starting():
        from billpay.config import ConfigError

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
    for subcommand in (run, check, sandbox, preview, audit, digest, database):
        subcommand.add_to(commands)
    return parser
