"""A demo company with many bills, written in bulk: `seed_bulk(session, ids, count)` adds
`count` bills to the demo connection in a few multi-row inserts, so a world of 50,000 bills
builds in seconds (tests and benches of the lists at scale).

The bills are deterministic (ids are UUIDv5 of their number): spread over the demo's suppliers
in their currencies, due from 60 days ago to 90 days ahead, one in ten `Paid`, one in twenty
`PartiallyPaid`, one in fifty `Void`, last modified at a different second each. Suppliers'
balances take what the outstanding ones add, as the API would have.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store
from payables_sandbox.seed import DemoIds, demo_id

BATCH = 5000


def bulk_bill_id(number: int) -> str:
    return demo_id(f"bulk-bill:{number}")


def modified_at(today: date, number: int) -> datetime:
    """When bulk bill `number` last changed: one every 37 seconds from 90 days before `today`."""
    return (
        datetime.combine(today, time(8, 0), UTC)
        - timedelta(days=90)
        + number * timedelta(seconds=37)
    )


def _status(number: int) -> str:
    if number % 50 == 7:
        return "Void"
    if number % 10 == 3:
        return "Paid"
    if number % 20 == 9:
        return "PartiallyPaid"
    return "Open"


async def seed_bulk(
    session: AsyncSession, ids: DemoIds, count: int, *, today: date, start: int = 0
) -> list[str]:
    """Add bills `start` to `start + count` to the demo connection; their ids."""
    suppliers = (
        await session.scalars(
            select(store.Supplier)
            .where(store.Supplier.connection_id == ids.connection_id)
            .order_by(store.Supplier.id)
        )
    ).all()
    account = next(iter(ids.expense_accounts.values()))
    added: list[str] = []
    balances: dict[str, Decimal] = defaultdict(Decimal)
    rows: list[dict[str, Any]] = []
    for number in range(start, start + count):
        supplier = suppliers[number % len(suppliers)]
        currency = supplier.default_currency or "GBP"
        total = Decimal(100 + number % 900) + Decimal(number % 100) / 100
        status = _status(number)
        due = total if status in ("Open", "Void") else Decimal(0) if status == "Paid" else total / 2
        due = due.quantize(Decimal("0.01"))
        issued = datetime.combine(today, time()) - timedelta(days=90 - number % 120)
        bill_id = bulk_bill_id(number)
        rows.append(
            {
                "id": bill_id,
                "connection_id": ids.connection_id,
                "reference": f"BULK-{number:06d}",
                "supplier_id": supplier.id,
                "supplier_name": supplier.supplier_name,
                "issue_date": issued,
                "due_date": issued + timedelta(days=30),
                "currency": currency,
                "currency_rate": None,
                "line_items": [
                    {
                        "description": f"Bulk bill {number}",
                        "unitAmount": total,
                        "quantity": Decimal(1),
                        "taxAmount": Decimal(0),
                        "totalAmount": total,
                        "accountRef": {"id": account},
                        "taxRateRef": None,
                        "trackingRefs": [],
                    }
                ],
                "status": status,
                "total_amount": total,
                "amount_due": due,
                "source_modified_date": modified_at(today, number),
            }
        )
        if status in ("Open", "PartiallyPaid"):
            balances[supplier.id] += due
        added.append(bill_id)
        if len(rows) >= BATCH:
            await session.execute(insert(store.Bill), rows)
            rows = []
    if rows:
        await session.execute(insert(store.Bill), rows)
    for supplier in suppliers:
        supplier.balance += balances.get(supplier.id, Decimal(0))
    await session.flush()
    return added
