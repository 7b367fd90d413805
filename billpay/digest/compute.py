"""What is due: a company's outstanding bills grouped (overdue, due today, due within the
look-ahead), totalled per currency, who must still approve, the scheduled payments and the cash
going out per day and per week. Pure functions of their arguments; no I/O, no clock.

A caller reads a company's bills once and computes one digest per channel linked to it, with
that channel's cases, approvers, local date and look-ahead: `compute_digest` never reads.

Money stays `Decimal`. Totals are per currency, never converted: the company's base currency
first, then the others alphabetically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from billpay.core.domain import CaseState, CaseView, PaymentStatus
from billpay.payables.models import Bill

DEFAULT_LOOK_AHEAD_DAYS = 7
MAX_LOOK_AHEAD_DAYS = 31
CASH_WEEKS = 4

GroupKind = Literal["overdue", "today", "soon"]
Totals = dict[str, Decimal]


def currency_order(currencies: Iterable[str], base_currency: str) -> list[str]:
    """The base currency first, then the others alphabetically."""
    unique = set(currencies)
    rest = sorted(unique - {base_currency})
    return [base_currency, *rest] if base_currency in unique else rest


def ordered(totals: Mapping[str, Decimal], base_currency: str) -> Totals:
    """`totals` with the base currency first, then alphabetical."""
    return {c: totals[c] for c in currency_order(totals, base_currency)}


def add_totals(parts: Iterable[Mapping[str, Decimal]], base_currency: str) -> Totals:
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for part in parts:
        for currency, amount in part.items():
            summed[currency] += amount
    return ordered(summed, base_currency)


@dataclass(frozen=True)
class ScheduledPayment:
    """A payment a payer scheduled for a later date, not yet sent."""

    bill_id: str
    supplier_name: str
    reference: str | None
    amount: Decimal
    currency: str
    payment_date: date
    account_name: str


@dataclass(frozen=True)
class DueBill:
    """One bill in the digest: what is owed, when, and where its case stands."""

    bill_id: str
    supplier_name: str
    reference: str | None
    currency: str
    amount_due: Decimal
    due_date: date
    group: GroupKind
    state: CaseState
    # The amount in the base currency when it is known (the bill's currency, or with a rate):
    # used to list the biggest first.
    base_amount: Decimal | None
    # Approvers who may still approve it (pending bills, when approvers are named).
    waiting_on: tuple[str, ...] = ()
    scheduled: ScheduledPayment | None = None

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_date).days)


@dataclass(frozen=True)
class Group:
    kind: GroupKind
    count: int
    totals: Totals  # per currency, base first


@dataclass(frozen=True)
class Approvals:
    """The bills (overdue or due within the look-ahead) still waiting for approval."""

    count: int
    totals: Totals
    # Each approver who must still act, with how many bills wait on them, in the policy's
    # order. Empty with `anyone` when the channel names no approvers.
    waiting_on: tuple[tuple[str, int], ...]
    anyone: bool


@dataclass(frozen=True)
class CashDay:
    day: date
    totals: Totals


@dataclass(frozen=True)
class CashWeek:
    """One ISO week (Monday to Sunday); the current week counts from today."""

    year: int
    week: int
    start: date
    end: date
    totals: Totals


@dataclass(frozen=True)
class CashOut:
    """What leaves the bank per day of the look-ahead and per ISO week for four weeks.

    A bill's amount due counts on its due date, or on today when it is overdue; a scheduled
    payment moves its amount to its payment date (never earlier than today)."""

    currencies: tuple[str, ...]
    days: tuple[CashDay, ...]
    weeks: tuple[CashWeek, ...]


@dataclass(frozen=True)
class Digest:
    today: date
    look_ahead_days: int
    base_currency: str
    overdue: Group
    due_today: Group
    due_soon: Group
    # Every bill of the three groups, most urgent first: overdue (longest overdue, then
    # biggest), due today (biggest first), due soon (soonest, then biggest).
    bills: tuple[DueBill, ...]
    approvals: Approvals
    scheduled: tuple[ScheduledPayment, ...]
    cash: CashOut

    @property
    def groups(self) -> tuple[Group, Group, Group]:
        return (self.overdue, self.due_today, self.due_soon)

    @property
    def count(self) -> int:
        return len(self.bills)

    @property
    def totals(self) -> Totals:
        """The amount due across the three groups, per currency."""
        return add_totals((g.totals for g in self.groups), self.base_currency)

    @property
    def is_empty(self) -> bool:
        """Nothing needs attention: no bill due within the look-ahead, no payment scheduled."""
        return not self.bills and not self.scheduled


def group_of(due: date, today: date, look_ahead_days: int) -> GroupKind | None:
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    if due <= today + timedelta(days=look_ahead_days):
        return "soon"
    return None


def compute_digest(
    bills: Sequence[Bill],
    cases: Mapping[str, CaseView],
    *,
    approvers: Sequence[str],
    base_currency: str,
    today: date,
    look_ahead_days: int = DEFAULT_LOOK_AHEAD_DAYS,
    anyone: bool | None = None,
) -> Digest:
    """The digest of one channel.

    `bills`: the company's outstanding bills as the payables API just listed them (read once
    per company). `cases`: the channel's cases by bill id; a bill without one is pending and
    needs one approval. `approvers`: the channel's approvers (Slack user ids; empty: anyone).
    `today`: the channel's local date. `look_ahead_days`: how far "due soon" reaches.
    `anyone`: whether anyone in the channel may approve (by default: when no approvers are
    named); False with no approvers when the policy's user group could not be read.
    """
    if not 1 <= look_ahead_days <= MAX_LOOK_AHEAD_DAYS:
        raise ValueError(f"look_ahead_days must be 1 to {MAX_LOOK_AHEAD_DAYS}")
    base_currency = base_currency.upper()
    due: list[DueBill] = []
    all_scheduled: list[ScheduledPayment] = []
    cash_items: list[tuple[date, str, Decimal]] = []
    for bill in bills:
        if not bill.is_outstanding or bill.outstanding_amount <= 0:
            continue
        case = cases.get(bill.id)
        scheduled = _scheduled_payment(bill, case)
        remaining = bill.outstanding_amount
        if scheduled is not None:
            all_scheduled.append(scheduled)
            cash_items.append((max(scheduled.payment_date, today), bill.currency, scheduled.amount))
            remaining -= scheduled.amount
        if remaining > 0:
            cash_items.append((max(bill.due_on, today), bill.currency, remaining))
        kind = group_of(bill.due_on, today, look_ahead_days)
        if kind is None:
            continue
        state = case.state if case is not None else CaseState.PENDING
        due.append(
            DueBill(
                bill_id=bill.id,
                supplier_name=bill.supplier_ref.supplier_name or "Unknown supplier",
                reference=bill.reference,
                currency=bill.currency,
                amount_due=bill.outstanding_amount,
                due_date=bill.due_on,
                group=kind,
                state=state,
                base_amount=_base_amount(bill, base_currency),
                waiting_on=_waiting_on(case, approvers) if state == CaseState.PENDING else (),
                scheduled=scheduled,
            )
        )
    horizon = today + timedelta(days=look_ahead_days)
    scheduled_soon = sorted(
        (p for p in all_scheduled if p.payment_date <= horizon),
        key=lambda p: (p.payment_date, -p.amount, p.supplier_name.casefold(), p.bill_id),
    )
    return Digest(
        today=today,
        look_ahead_days=look_ahead_days,
        base_currency=base_currency,
        overdue=_group("overdue", due, base_currency),
        due_today=_group("today", due, base_currency),
        due_soon=_group("soon", due, base_currency),
        bills=tuple(sorted(due, key=lambda b: _urgency(b, today))),
        approvals=_approvals(
            due, approvers, base_currency, not approvers if anyone is None else anyone
        ),
        scheduled=tuple(scheduled_soon),
        cash=cash_out(cash_items, base_currency, today, look_ahead_days),
    )


def cash_out(
    items: Iterable[tuple[date, str, Decimal]],
    base_currency: str,
    today: date,
    look_ahead_days: int,
    weeks: int = CASH_WEEKS,
) -> CashOut:
    """Amounts per day (today and the next `look_ahead_days`) and per ISO week (this week from
    today, and the next `weeks - 1`), per currency. Dates before today count on today."""
    by_day: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    currencies: set[str] = set()
    for when, currency, amount in items:
        by_day[max(when, today)][currency] += amount
        currencies.add(currency)
    days = tuple(
        CashDay(d, ordered(by_day.get(d, {}), base_currency))
        for d in (today + timedelta(days=n) for n in range(look_ahead_days + 1))
    )
    monday = today - timedelta(days=today.weekday())
    week_list = []
    for n in range(weeks):
        start = monday + timedelta(weeks=n)
        end = start + timedelta(days=6)
        totals = add_totals(
            (t for d, t in by_day.items() if max(start, today) <= d <= end), base_currency
        )
        iso = start.isocalendar()
        week_list.append(CashWeek(iso.year, iso.week, max(start, today), end, totals))
    shown = {c for d in days for c in d.totals} | {c for w in week_list for c in w.totals}
    return CashOut(
        currencies=tuple(currency_order(shown, base_currency)),
        days=days,
        weeks=tuple(week_list),
    )


def _group(kind: GroupKind, bills: Sequence[DueBill], base_currency: str) -> Group:
    mine = [b for b in bills if b.group == kind]
    return Group(
        kind=kind,
        count=len(mine),
        totals=add_totals(({b.currency: b.amount_due} for b in mine), base_currency),
    )


def _approvals(
    bills: Sequence[DueBill], approvers: Sequence[str], base_currency: str, anyone: bool
) -> Approvals:
    pending = [b for b in bills if b.state == CaseState.PENDING]
    counts: dict[str, int] = {}
    for approver in dict.fromkeys(approvers):  # the policy's order, each once
        waiting = sum(1 for b in pending if approver in b.waiting_on)
        if waiting:
            counts[approver] = waiting
    return Approvals(
        count=len(pending),
        totals=add_totals(({b.currency: b.amount_due} for b in pending), base_currency),
        waiting_on=tuple(counts.items()),
        anyone=anyone,
    )


def _waiting_on(case: CaseView | None, approvers: Sequence[str]) -> tuple[str, ...]:
    # An approval a delegate gave for an away approver is that approver's too.
    approved = set(case.approvals) | set(filter(None, case.approved_for)) if case else set()
    return tuple(a for a in dict.fromkeys(approvers) if a not in approved)


def _scheduled_payment(bill: Bill, case: CaseView | None) -> ScheduledPayment | None:
    payment = case.last_payment if case is not None else None
    if payment is None or payment.status != PaymentStatus.SCHEDULED:
        return None
    if payment.currency.upper() != bill.currency.upper():
        return None
    return ScheduledPayment(
        bill_id=bill.id,
        supplier_name=bill.supplier_ref.supplier_name or "Unknown supplier",
        reference=bill.reference,
        amount=min(payment.amount, bill.outstanding_amount),
        currency=bill.currency,
        payment_date=payment.payment_date,
        account_name=payment.account_name,
    )


def _base_amount(bill: Bill, base_currency: str) -> Decimal | None:
    if bill.currency.upper() == base_currency:
        return bill.outstanding_amount
    if bill.currency_rate:
        return bill.outstanding_amount * bill.currency_rate
    return None


def _urgency(bill: DueBill, today: date) -> tuple[object, ...]:
    # Bills of unknown base value rank by their own amount, after those of known value.
    size = -(bill.base_amount if bill.base_amount is not None else Decimal(0))
    name = bill.supplier_name.casefold()
    tie = (size, -bill.amount_due, name, bill.reference or "", bill.bill_id)
    match bill.group:
        case "overdue":
            return (0, -bill.days_overdue(today), *tie)
        case "today":
            return (1, 0, *tie)
        case _:
            return (2, bill.due_date.toordinal(), *tie)
