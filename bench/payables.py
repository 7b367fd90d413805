"""How fast the payables side answers: the client against the in-process sandbox.

Run with `make bench` (or `python -m bench.payables`). Each figure is the median and 95th
percentile of repeated runs, and its ratio to a baseline measured in the same process: a bare
`GET /healthz` through the same ASGI transport, i.e. the cost of one request with no work.
"""

from __future__ import annotations

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
from billpay.payables.query import Q, outstanding_bills
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.query import parse_query

ROUNDS = 60
KEY = "bench-key"


async def measure(action: Callable[[], Awaitable[object]], rounds: int = ROUNDS) -> list[float]:
    await action()  # warm up
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        sandbox = Sandbox(
            SandboxConfig(api_key=KEY, database_url=url, today=date(2026, 11, 22), page_size=5)
        )
        await sandbox.start()
        demo = sandbox.demo
        assert demo is not None
        transport = httpx.ASGITransport(app=sandbox.app)
        raw = httpx.AsyncClient(transport=transport, base_url="http://sandbox")
        client = PayablesClient(base_url="http://sandbox", api_key=KEY, transport=transport)
        company, connection = demo.company_id, demo.connection_id
        bill_ids = [b.id async for b in client.iter_bills(company, connection)]
        payment = BillPaymentPrototype(
            amount=Decimal("0.01"), date="2026-11-22", account_ref=Ref(id=demo.bank_accounts["GBP"])
        )
        gbp_outstanding = outstanding_bills() & (Q("currency") == "GBP")
        gbp_bills = [
            b.id async for b in client.iter_bills(company, connection, query=gbp_outstanding)
        ]
        paid = iter(gbp_bills * ROUNDS)

        async def list_all_bills() -> object:
            return [b async for b in client.iter_bills(company, connection)]

        async def one_page() -> object:
            return await client.list_bills(company, connection)

        async def reread_bill() -> object:
            return await client.get_bill(company, connection, bill_ids[0])

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

        cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("baseline: GET /healthz", lambda: raw.get("/healthz")),
            ("list bills, one page of 5", one_page),
            ("list all 25 outstanding bills (5 pages)", list_all_bills),
            ("re-read one bill (query on id)", reread_bill),
            ("payment mapping options", payment_options),
            ("record a payment (write, idempotency key)", pay_a_penny),
            ("parse a 3-clause query x1000 (CPU only)", parse_1000_queries),
        ]
        results = [(name, await measure(action)) for name, action in cases]
        await raw.aclose()
        await client.aclose()
        await sandbox.stop()

    baseline = statistics.median(results[0][1])
    table = Table(title=f"Payables client against the in-process sandbox ({ROUNDS} rounds)")
    for column in ("case", "median ms", "p95 ms", "x baseline"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for name, timings in results:
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        table.add_row(name, f"{median:.2f}", f"{p95:.2f}", f"{median / baseline:.1f}")
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
