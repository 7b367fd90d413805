"""What proves a payment's fate, as pure rules: how an answer of the payables API decides it
(recorded, refused or in doubt), when a payment in doubt is looked at again, and when reads of
the bill prove it was recorded.

Accounting platforms lag behind writes (Sage Intacct leaves a payment that needs approval out of
reads until it is approved; a platform may accept a write and answer 202), so one read proves
nothing. Reads prove a payment only when two of them, minutes apart, agree that the bill's amount
due fell by exactly this payment, and no other payment of the bill could explain the fall. A
payment the reads never show is not thereby unsent: it stays in doubt, and nothing more is sent
until a replay of its key or a person says what became of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billpay.payables.errors import PayablesError

# When a payment in doubt is looked at again, counted from when it was sent: each look replays
# its key while the API still keeps the key's answer, and reads the bill.
CHECKS_AFTER = tuple(timedelta(minutes=m) for m in (1, 5, 15, 45, 80))
# Keys are replayed only this long before the API forgets them: a replay past that would be a
# new write.
REPLAY_MARGIN = timedelta(minutes=10)
# Two reads prove a payment only this far apart: a platform may still be applying a write.
READS_APART = timedelta(minutes=2)


class Fate(StrEnum):
    RECORDED = "recorded"
    REFUSED = "refused"
    IN_DOUBT = "in_doubt"


# 2xx answers whose body could not be read still say the payment was written; 202 says only
# that it was accepted, to be written later (or not).
WRITTEN = frozenset({200, 201})
PENDING = 202


def fate_of(error: PayablesError) -> Fate:
    """What a failed request to create a payment proves. Refused only when no attempt can have
    been carried out: an answer of 4xx to every attempt (nothing was written), or no connection
    at all. Everything else (no answer, a 5xx, a 409 still in progress, a 202 pending, an
    unreadable answer) leaves the payment in doubt."""
    status = error.status_code
    if status in WRITTEN:
        return Fate.RECORDED
    if error.maybe_applied or status == PENDING:
        return Fate.IN_DOUBT
    if status is None or 400 <= status < 500:
        return Fate.REFUSED
    return Fate.IN_DOUBT


def replayable(sent_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """Does the API still keep this key's answer, with room to spare? Past that, sending the key
    again would be a new write."""
    return sent_at is not None and now - sent_at < window - REPLAY_MARGIN


def next_check(sent_at: datetime, checks_done: int, window: timedelta) -> datetime | None:
    """When to look again after `checks_done` looks; None once the last look inside the replay
    window has been made (a person decides then)."""
    last = window - REPLAY_MARGIN
    times = [after for after in CHECKS_AFTER if after < last] + [last]
    if checks_done >= len(times):
        return None
    return sent_at + times[checks_done]


@dataclass(frozen=True)
class Reading:
    """The bill as one read showed it: its amount due (None when the API gave none), its status
    (None: no longer outstanding and not found), when it was last modified in the platform."""

    at: datetime
    amount_due: Decimal | None
    status: str | None
    modified: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "amount_due": str(self.amount_due) if self.amount_due is not None else None,
            "status": self.status,
            "modified": self.modified,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        due = data.get("amount_due")
        return cls(
            at=datetime.fromisoformat(str(data["at"])),
            amount_due=Decimal(str(due)) if due is not None else None,
            status=data.get("status"),
            modified=data.get("modified"),
        )


@dataclass(frozen=True)
class Sent:
    """The payment, the bill as it was when the payment was reserved, and when it was sent."""

    amount: Decimal
    due_before: Decimal
    sent_at: datetime | None = None


def shows(sent: Sent, reading: Reading) -> bool:
    """Does this reading show the bill as this payment alone would leave it? A bill last changed
    in the platform before the payment was sent shows some other change."""
    due = reading.amount_due
    if due is None and reading.status == "Paid":
        due = Decimal(0)
    if due is None or reading.status in (None, "Void"):
        return False
    modified = _instant(reading.modified)
    if modified is not None and sent.sent_at is not None and modified < sent.sent_at:
        return False
    return due == sent.due_before - sent.amount


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def proven_by_reads(sent: Sent, readings: Sequence[Reading], *, explained_otherwise: bool) -> bool:
    """Two readings at least `READS_APART` apart that agree and both show exactly this payment,
    with no other payment of the bill in flight, in doubt or sent since that could explain the
    same fall (`explained_otherwise`)."""
    if explained_otherwise or not readings:
        return False
    latest = readings[-1]
    earlier = [r for r in readings[:-1] if latest.at - r.at >= READS_APART]
    if not earlier:
        return False
    before = earlier[-1]
    same = (before.amount_due, before.status) == (latest.amount_due, latest.status)
    return same and shows(sent, before) and shows(sent, latest)
