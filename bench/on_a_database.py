"""The command line of a benchmark measured on one database: `--database-url` (PostgreSQL, for
several replicas' worth), or by default a SQLite file made for the run."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path


def run_on_a_database(description: str | None, measure: Callable[[str], Awaitable[None]]) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(measure(args.database_url))
        return
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(f"sqlite:///{Path(directory) / 'bench.db'}"))
