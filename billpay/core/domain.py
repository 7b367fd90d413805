"""States and small value types shared by every area and the blocks; no I/O, no ORM.

The blocks render these and nothing else of the areas' storage: a case's state, the view of a
case and of its payments, what became of a payment step, and a reminder to send.
`billpay.bills.cases` builds the views from the database rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from billpay.core.i18n import Phrase


class CaseState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PAYING = "paying"
    PAID = "paid"
    FAILED = "failed"  # the last payment was refused: nothing was paid, a payer may pay again
    IN_DOUBT = "in_doubt"  # the last payment may or may not have been recorded: being settled
    CLOSED = "closed"  # paid or voided elsewhere


class PaymentStatus(enum.StrEnum):
    """A payment's fate. `requested` is in flight; then it is `recorded` (a 2xx answer),
    `refused` (an answer proving nothing was written) or `in_doubt` (anything else: a timeout,
    a lost connection, a 5xx, a 409 still in progress, a 202 pending, a process that died),
    until a replay of its key, reads of the bill or a person settle it."""

    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    REFUSED = "refused"
    IN_DOUBT = "in_doubt"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PaymentView:
    id: int
    status: str
    amount: Decimal
    currency: str
    account_name: str
    account_currency: str
    exchange_rate: Decimal | None
    payment_date: date
    reference: str | None
    requested_by: str
    error: Phrase | None  # plain text, translated when shown
    attempt: int = 1
    base_currency: str | None = None
    # Held for the undo window until then.
    send_after: datetime | None = None
    # In doubt: since when, and whether its window closed without proof, so a person decides.
    doubt_since: datetime | None = None
    needs_person: bool = False

    @property
    def base_amount(self) -> Decimal | None:
        """The payment in the company's base currency, as its rate converts it."""
        if self.exchange_rate is None:
            return None
        return self.amount * self.exchange_rate

    @property
    def rate_text(self) -> str:
        """The rate as nobody can invert it: `1 EUR = 0.8612 GBP`; empty without a rate."""
        if self.exchange_rate is None or not self.base_currency:
            return ""
        return f"1 {self.currency} = {self.exchange_rate} {self.base_currency}"

    @property
    def in_doubt(self) -> bool:
        return self.status == PaymentStatus.IN_DOUBT

    @property
    def awaits_person(self) -> bool:
        """In doubt past the time its key can be replayed, and no read proved it: a person
        says whether it is in the accounting platform, or sends it again."""
        return self.in_doubt and self.needs_person


@dataclass(frozen=True)
class Duplicate:
    """Another bill this one may duplicate: same supplier and amount, and the same reference or
    an issue date close by. `paid_on` is set when that bill is paid (when it was last changed)."""

    bill_id: str
    reference: str | None
    status: str
    paid_on: date | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "bill_id": self.bill_id,
            "reference": self.reference,
            "status": self.status,
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Duplicate:
        paid_on = data.get("paid_on")
        return cls(
            bill_id=str(data.get("bill_id") or ""),
            reference=data.get("reference"),
            status=str(data.get("status") or ""),
            paid_on=date.fromisoformat(paid_on) if paid_on else None,
        )


@dataclass(frozen=True)
class PendingInvoice:
    """A new bill's invoice (a Slack file) that did not reach the accounting platform."""

    file_id: str
    name: str
    uploading: bool = False  # a retry is uploading it now

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingInvoice:
        return cls(
            file_id=str(data.get("file_id", "")),
            name=str(data.get("name", "")),
            uploading=data.get("state") == "uploading",
        )


@dataclass(frozen=True)
class OpenQuestion:
    """A question about a bill nobody has resolved yet."""

    id: int
    asked_by: str
    asked_of: str
    text: str


@dataclass(frozen=True)
class PolicyCount:
    """How many different people paying a bill takes under a channel's policy, and what lets
    fewer do it: what `/billpay status` states in one line."""

    people: int
    people_above: int | None  # above `threshold`, where two approvals are needed
    threshold: Decimal | None
    approver_may_pay: bool
    auto_approve: tuple[Decimal, int] | None  # (below, after hours)


@dataclass(frozen=True)
class CaseRef:
    """Which bill, as a click or a job names it: the workspace, the linked channel, the bill."""

    team_id: str
    channel_id: str
    bill_id: str


@dataclass(frozen=True)
class CaseView:
    bill_id: str
    state: CaseState
    supplier_name: str
    reference: str | None
    currency: str
    total_amount: Decimal
    amount_due: Decimal
    issue_date: date
    due_date: date
    bill_status: str
    approvals: tuple[str, ...]
    approvals_required: int
    # Beside `approvals` (empty when nobody decided for someone else): the away approver each
    # approval was given for, as their delegate, or None.
    approved_for: tuple[str | None, ...] = ()
    rejected_by: str | None = None
    # The away approver a delegate rejected the bill for, or None.
    rejected_for: str | None = None
    reject_reason: str | None = None
    note: Phrase | None = None  # plain text, translated when shown
    last_payment: PaymentView | None = None
    # A payment dated later, still to go out: it holds back its amount, not the whole bill.
    scheduled: PaymentView | None = None
    # Files attached to the bill in the accounting platform (None: not read yet).
    attachments: int | None = None
    duplicate: Duplicate | None = None
    question: OpenQuestion | None = None
    pending_invoice: PendingInvoice | None = None
    # The payments recorded from Slack, oldest first: a bill may be paid in several.
    payments: tuple[PaymentView, ...] = ()
    # The case's row version when this view was read: a card's buttons carry it, so a click
    # on a card showing older figures is refused instead of acting on them.
    version: int = 0
    # The amount due is the bot's own arithmetic after a recorded payment, until a read of the
    # bill shows the platform's figures.
    estimated: bool = False
    # The accounting platform's name ("Xero"), for sentences about where money went.
    platform: str | None = None

    @property
    def paid_amount(self) -> Decimal:
        return self.total_amount - self.amount_due

    @property
    def payable_amount(self) -> Decimal:
        """What may still be paid now: the amount due less what is scheduled."""
        held = self.scheduled.amount if self.scheduled is not None else Decimal(0)
        return max(self.amount_due - held, Decimal(0))


@dataclass(frozen=True)
class PaymentOutcome:
    """What became of a payment step: shown in the modal, on the card and in its thread."""

    case: CaseView
    # recorded | scheduled | held | failed | refused | not_sent | duplicate | cancelled |
    # already_cancelled | disowned
    status: str
    message: Phrase  # mrkdwn once translated for the reader
    payment: PaymentView | None = None
    # Who called the payment off and when, for `already_cancelled`: someone else got there first.
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None


NudgeKind = Literal["remind", "escalate", "approved_by_policy"]


@dataclass(frozen=True)
class Nudge:
    """A reminder, an escalation or an approval by policy the scheduler claimed, to be sent."""

    kind: NudgeKind
    team_id: str
    link_id: int
    case: CaseView
    who: tuple[str, ...]  # approvers to tell; empty when anyone in the channel may approve
    waited: timedelta
    # The subject of its claim (of kind `kind`), renewed before it is sent and done after.
    claim: str = ""
    # (approver, delegate) for each approver in `who` who is away now and named a delegate
    # able to decide for them on this bill: the delegate is told in their place.
    delegates: tuple[tuple[str, str], ...] = ()

    def delegate_of(self, user_id: str) -> str | None:
        return dict(self.delegates).get(user_id)


@dataclass(frozen=True)
class ConnectionPause:
    """A company's connection to its accounting platform no longer lets Bill Pay write
    (`status`: Deauthorized, Unlinked...): what cards and answers say instead of offering Pay.
    `link_url` is where the company links it again (a Reconnect button), when known; the
    figures shown are from `since`, when the connection was last seen linked."""

    company_name: str
    platform: str | None
    status: str
    link_url: str | None
    since: datetime
