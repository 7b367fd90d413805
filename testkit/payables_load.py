"""A replica's payables calls, as a process of its own: the bot's own call budget, sharing a
company's places with every other process on the database (`billpay.store.slots`), sends
`--calls` requests at once to the payables API at `--payables-url`, payments, displays and
syncs in turn (`--payments`: payments only), then prints `done`. Tests of the limit across
replicas start two (and kill one).

    python -m testkit.payables_load --database-url URL --payables-url URL --api-key KEY \\
        --company ID --calls 30 --holder host:1:abc --lease 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

from billpay.config import async_database_url
from billpay.payables.budget import CONCURRENT_PER_COMPANY, CallBudget, Priority
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.store.db import Database
from billpay.store.slots import CallSlots

PRIORITIES = [Priority.PAYMENT, Priority.DISPLAY, Priority.SYNC]
# What a test waits for before it acts on this process: its requests are on their way.
STARTED = "sending"


async def run(args: argparse.Namespace) -> int:
    db = Database(async_database_url(args.database_url))
    slots = CallSlots(
        db,
        args.holder,
        capacity=CONCURRENT_PER_COMPANY,
        lease=timedelta(seconds=args.lease),
    )
    client = PayablesClient(
        base_url=args.payables_url,
        api_key=args.api_key,
        retry=RetryPolicy(deadline=120, max_attempts=1),  # a 429 is not retried: it shows
        timeout=120,
        budget=CallBudget(reserve=0, shared=slots),
    )
    path = f"/companies/{args.company}/connections"
    try:
        print(STARTED, flush=True)
        results = await asyncio.gather(
            *(
                client.with_priority(
                    Priority.PAYMENT if args.payments else PRIORITIES[i % 3]
                ).request("GET", path)
                for i in range(args.calls)
            ),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
        await db.dispose()
    failed = [r for r in results if isinstance(r, BaseException)]
    for error in failed:
        print(f"failed: {error!r}", flush=True)
    print("done", flush=True)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("--database-url", "--payables-url", "--api-key", "--company", "--holder"):
        parser.add_argument(name, required=True)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--lease", type=float, default=90.0)
    parser.add_argument("--payments", action="store_true", help="every request a payment's")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
