"""Did a payment whose answer was lost land? Decided by reading the bill, never by resending.

When a payment's outcome is unknown (a timeout, a 5xx, a 409, an unreadable answer), resending
it is not safe in general: the payables API replays a key's stored answer, errors included, for
a limited window (90 minutes at Codat), and after that the same key is a new write. So the bot
compares the bill as it is now with the bill as it was when the payment was reserved:

- its amount due dropped by exactly the payment: the payment landed;
- nothing moved (same amount due, same status): it did not land, and a new attempt with a new
  key is safe, once nothing can still be running under the old key;
- anything else (the bill paid or voided elsewhere, a different amount): the facts are shown to
  the payer, who decides. The bot never guesses with money.

Pure: the facts in, a verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Verdict(StrEnum):
    LANDED = "landed"
    NOT_LANDED = "not_landed"
    MOVED = "moved"


@dataclass(frozen=True)
class Reserved:
    """The payment, and the bill as it was when the payment was reserved."""

    amount: Decimal
    due_before: Decimal
    status_before: str | None


@dataclass(frozen=True)
class Reading:
    """The bill as the payables API shows it now; `status` None when it is no longer outstanding
    and could not be found (paid or voided elsewhere, or removed)."""

    amount_due: Decimal | None
    status: str | None


def verdict(reserved: Reserved, now: Reading) -> Verdict:
    due = now.amount_due
    if due is None and now.status == "Paid":
        due = Decimal(0)
    if now.status is None or due is None:
        return Verdict.MOVED
    if due == reserved.due_before - reserved.amount and now.status != "Void":
        return Verdict.LANDED
    if due == reserved.due_before and now.status == (reserved.status_before or now.status):
        return Verdict.NOT_LANDED
    return Verdict.MOVED
