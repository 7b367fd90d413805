"""How fast the payables side answers, and how many requests each read costs: the client against
the in-process sandbox.

Run with `make bench` (the demo company, or `python -m bench.payables`) and `make bench-large`
(`--bills 5000`: the demo company with that many more outstanding bills, read in pages of 100 as
Codat serves them). Each figure is the median and 95th percentile of repeated runs, its ratio to
a baseline measured in the same process (a bare `GET /healthz` through the same ASGI transport,
the cost of one request with no work), and the payables requests one run makes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from billpay.payables.client import PayablesClient
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.payables.query import Q, not_outstanding_bills
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.query import parse_query
from testkit.payables import CountingTransport, add_bills

ROUNDS = 60
KEY = "bench-key"


TODAY = date(2026, 11, 22)


async def measure(
    action: Callable[[], Awaitable[object]], counter: CountingTransport, rounds: int
) -> tuple[list[float], int]:
    """Timings of `rounds` runs after a warm-up, and the requests one run made."""
    await action()  # warm up
    timings = []
    before = len(counter.requests)
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, (len(counter.requests) - before) // rounds


async def main(extra_bills: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        page_size = 100 if extra_bills else 5
        sandbox = Sandbox(
            SandboxConfig(api_key=KEY, database_url=url, today=TODAY, page_size=page_size)
        )
        await sandbox.start()
        demo = sandbox.demo
        assert demo is not None
        await add_bills(sandbox, extra_bills)
        counter = CountingTransport(httpx.ASGITransport(app=sandbox.app))
        raw = httpx.AsyncClient(transport=counter, base_url="http://sandbox")
        client = PayablesClient(base_url="http://sandbox", api_key=KEY, transport=counter)
        company, connection = demo.company_id, demo.connection_id
        bill_ids = [b.id async for b in client.iter_bills(company, connection)]
        paid_ids = [
            b.id
            async for b in client.iter_bills(company, connection, query=not_outstanding_bills())
            if b.status == "Paid"
        ]
        payment = BillPaymentPrototype(
            amount=Decimal("0.01"), date="2026-11-22", account_ref=Ref(id=demo.bank_accounts["GBP"])
        )
        # List bills can't be queried on currency (the sandbox is strict, as Codat documents).
        gbp_bills = [
            b.id async for b in client.iter_bills(company, connection) if b.currency == "GBP"
        ]
        paid = iter(gbp_bills * (rounds + 1))

        async def list_all_bills() -> object:
            return [b async for b in client.iter_bills(company, connection)]

        async def one_page() -> object:
            return await client.list_bills(company, connection)

        async def reread(bill_id: str) -> object:
            return await client.get_bill(company, connection, bill_id)

        async def pay_a_penny() -> object:
            return await client.create_bill_payment(company, connection, next(paid), payment)

        async def payment_options() -> object:
            return await client.get_payment_mapping_options(company, connection)

        query = str(
            ((Q("currency") == "EUR") | (Q("currency") == "USD"))
            & (Q("dueDate") < date(2026, 12, 1))
            & (Q("amountDue") >= Decimal("100.00"))
        )

        async def parse_1000_queries() -> object:
            return [parse_query(query) for _ in range(1000)]

        outstanding = len(bill_ids)
        pages = -(-outstanding // page_size)
        cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("baseline: GET /healthz", lambda: raw.get("/healthz")),
            (f"list bills, one page of {page_size}", one_page),
            (f"list all {outstanding} outstanding bills ({pages} pages)", list_all_bills),
            ("re-read the bill listed first", lambda: reread(bill_ids[0])),
            ("re-read the bill listed last", lambda: reread(bill_ids[-1])),
            ("re-read a paid bill", lambda: reread(paid_ids[0])),
            ("payment mapping options", payment_options),
            ("record a payment (write, idempotency key)", pay_a_penny),
            ("parse a 3-clause query x1000 (CPU only)", parse_1000_queries),
        ]
        results = [(name, *await measure(action, counter, rounds)) for name, action in cases]
        await raw.aclose()
        await client.aclose()
        await sandbox.stop()

    baseline = statistics.median(results[0][1])
    table = Table(
        title=f"Payables client against the in-process sandbox, {outstanding} outstanding bills "
        f"({rounds} rounds)"
    )
    for column in ("case", "median ms", "p95 ms", "x baseline", "requests"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for name, timings, requests in results:
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else median
        table.add_row(
            name, f"{median:.2f}", f"{p95:.2f}", f"{median / baseline:.1f}", str(requests)
        )
    Console().print(table)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--bills", type=int, default=0, help="outstanding bills to add to the demo company"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed runs of each case")
    return parser.parse_args()


if __name__ == "__main__":
    args = arguments()
    asyncio.run(main(args.bills, args.rounds))
