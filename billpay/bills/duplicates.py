"""Possible duplicate bills: the same supplier and amount, and either the same reference or an
issue date within a week, among the outstanding bills and those paid lately.

Pure: bills in, one `Duplicate` per suspect bill out. Paying twice for one invoice is the most
common accounts-payable loss, and it is cheap to catch before the money leaves; the card says
which bill it looks like, and paying it needs an explicit confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from billpay.core.domain import Duplicate
from billpay.payables.models import Bill

# Issue dates this close count as the same invoice sent twice.
NEAR_ISSUE_DAYS = 7


def find_duplicates(
    bills: Sequence[Bill], others: Iterable[Bill], *, paid_since: date
) -> dict[str, Duplicate]:
    """For each of `bills`, the other bill (from `bills` and `others`) it most likely
    duplicates: one with the same reference first, then the most recently issued. Paid bills
    count only when paid (last changed) on or after `paid_since`."""
    pool: dict[str, Bill] = {bill.id: bill for bill in others}
    pool.update({bill.id: bill for bill in bills})
    by_key: dict[tuple[str, str, str], list[Bill]] = {}
    for bill in pool.values():
        if bill.is_outstanding or _paid_on(bill, paid_since) is not None:
            by_key.setdefault(_key(bill), []).append(bill)
    found: dict[str, Duplicate] = {}
    for bill in bills:
        matches = [
            other
            for other in by_key.get(_key(bill), [])
            if other.id != bill.id and (_same_reference(bill, other) or _near(bill, other))
        ]
        if not matches:
            continue
        best = max(matches, key=lambda o: (_same_reference(bill, o), o.issued_on, o.id))
        found[bill.id] = Duplicate(
            bill_id=best.id,
            reference=best.reference,
            status=best.status,
            paid_on=None if best.is_outstanding else _paid_on(best, paid_since),
        )
    return found


def _key(bill: Bill) -> tuple[str, str, str]:
    return (bill.supplier_ref.id, bill.currency.upper(), str(bill.total_amount.normalize()))


def _reference(bill: Bill) -> str:
    return "".join((bill.reference or "").split()).casefold()


def _same_reference(bill: Bill, other: Bill) -> bool:
    return bool(_reference(bill)) and _reference(bill) == _reference(other)


def _near(bill: Bill, other: Bill) -> bool:
    return abs((bill.issued_on - other.issued_on).days) <= NEAR_ISSUE_DAYS


def _paid_on(bill: Bill, since: date) -> date | None:
    """When a paid bill was paid (its last change), if on or after `since`."""
    if bill.status != "Paid" or not bill.source_modified_date:
        return None
    try:
        when = datetime.fromisoformat(bill.source_modified_date.replace("Z", "+00:00")).date()
    except ValueError:
        return None
    return when if when >= since else None


def paid_since(today: date, look_back_days: int) -> date:
    return today - timedelta(days=look_back_days)
