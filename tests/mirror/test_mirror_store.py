"""The mirror's rows as the displays read them: a page's duplicate check finds the bills with
the same supplier and total however the platform wrote the amount, and reads no others."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billpay.mirror import store
from billpay.payables.models import Bill
from billpay.store.db import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _bill(bill_id: str, total: str, supplier: str = "s1", status: str = "Open") -> Bill:
    return Bill.model_validate(
        {
            "id": bill_id,
            "supplierRef": {"id": supplier, "supplierName": "Müller GmbH"},
            "issueDate": "2026-10-01T00:00:00",
            "dueDate": "2026-12-01T00:00:00",
            "currency": "GBP",
            "status": status,
            "totalAmount": total,
            "sourceModifiedDate": "2026-11-20T00:00:00Z",
        }
    )


async def test_the_bills_a_bill_may_duplicate_are_read_by_supplier_and_total(
    bot_db: Database,
) -> None:
    bills = [
        _bill("same", "100.50"),
        _bill("same-written-short", "100.5"),
        _bill("a-penny-more", "100.51"),
        _bill("another-supplier", "100.50", supplier="s2"),
        _bill("paid-lately", "100.500", status="Paid"),
        _bill("large", "12345678.90"),
    ]
    async with bot_db.write() as s:
        await store.put_bills(s, "co", "cn", bills, NOW)

    async def read(*totals: str) -> set[str]:
        found = await store.recent_and_outstanding(
            bot_db,
            "co",
            "cn",
            date(2026, 11, 1),
            suppliers={"s1"},
            totals={Decimal(t) for t in totals},
        )
        return {b.id for b in found}

    assert await read("100.5") == {"same", "same-written-short", "paid-lately"}
    assert await read("100.51", "12345678.9") == {"a-penny-more", "large"}
    assert await read() == set()
