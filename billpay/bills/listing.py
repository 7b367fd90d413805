"""What `/bills` shows: reading the filter a person typed, ordering bills (overdue first, then
by due date), the summary line's figures and pages of at most `PAGE_SIZE` bills. Pure functions:
the rules in plain words, which `billpay.bills.listing_sql` follows in the database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, TypeVar

from billpay.core.domain import CaseState, CaseView
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.core.search import folded
from billpay.payables.models import Bill

PAGE_SIZE = 10
T = TypeVar("T")
MAX_FILTER_LENGTH = 100

USAGE = N_(
    "`/bills` lists outstanding bills. Narrow it with `/bills overdue`, `/bills due 7d` "
    "(due within 7 days, overdue included; also `due today`, `due 2w`) or `/bills <text>` "
    "(part of the supplier's name or the bill's reference), or both: `/bills overdue acme`."
)
# States whose bills a listing no longer counts: settled, closed, or (outside `/bills rejected`)
# rejected.
GONE = frozenset({CaseState.PAID, CaseState.CLOSED})


class FilterError(Denied):
    """The text after `/bills` cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class BillFilter:
    """When bills are due (all outstanding, overdue, or due within some days) and, optionally,
    text found in the supplier's name or the bill's reference, accents and case ignored."""

    kind: Literal["all", "overdue", "due", "rejected"] = "all"
    days: int = 0
    text: str = ""

    @property
    def source(self) -> str:
        """The filter as a person would type it (stored with the message, for paging)."""
        when = {
            "all": "",
            "overdue": "overdue",
            "due": f"due {self.days}d",
            "rejected": "rejected",
        }[self.kind]
        return " ".join(part for part in (when, self.text) if part)

    def describe(self) -> Phrase:
        """What the listing holds, without a count: `overdue bills matching “müller”`."""
        return self.headline(None)

    def headline(self, count: int | None) -> Phrase:
        """`16 bills due within 7 days`, `7 overdue bills`, `no outstanding bills`, in the
        reader's language once translated."""
        phrase = self._counted(count)
        if self.text:
            return Phrase(N_("{bills} matching “{text}”"), bills=phrase, text=self.text)
        return phrase

    def _counted(self, count: int | None) -> Phrase:
        days = self.days
        match self.kind:
            case "overdue":
                if count is None:
                    return Phrase(N_("overdue bills"))
                if count == 0:
                    return Phrase(N_("no overdue bills"))
                return Phrase.ngettext("{n} overdue bill", "{n} overdue bills", count)
            case "due" if days == 0:
                if count is None:
                    return Phrase(N_("bills due today or overdue"))
                if count == 0:
                    return Phrase(N_("no bills due today or overdue"))
                return Phrase.ngettext(
                    "{n} bill due today or overdue", "{n} bills due today or overdue", count
                )
            case "due":
                if count is None:
                    return Phrase(N_("bills due within {days} days"), days=days)
                if count == 0:
                    return Phrase(N_("no bills due within {days} days"), days=days)
                return Phrase.ngettext(
                    "{n} bill due within {days} days",
                    "{n} bills due within {days} days",
                    count,
                    days=days,
                )
            case "rejected":
                if count is None:
                    return Phrase(N_("rejected bills"))
                if count == 0:
                    return Phrase(N_("no rejected bills"))
                return Phrase.ngettext("{n} rejected bill", "{n} rejected bills", count)
            case _:
                if count is None:
                    return Phrase(N_("outstanding bills"))
                if count == 0:
                    return Phrase(N_("no outstanding bills"))
                return Phrase.ngettext("{n} outstanding bill", "{n} outstanding bills", count)

    def shows(self, case: Listed) -> bool:
        """Whether a listed bill still counts in this listing, from its case: `/bills
        rejected` holds the rejected ones, every other listing the rest still to pay."""
        if self.kind == "rejected":
            return case.state == CaseState.REJECTED
        return case.state not in GONE and case.state != CaseState.REJECTED and case.amount_due > 0

    def matches(self, bill: Bill, today: date) -> bool:
        match self.kind:
            case "overdue" if not bill.due_on < today:
                return False
            case "due" if not bill.due_on <= today + timedelta(days=self.days):
                return False
        if not self.text:
            return True
        wanted = folded(self.text)
        return wanted in folded(bill.supplier_ref.supplier_name or "") or wanted in folded(
            bill.reference or ""
        )


_DUE = re.compile(r"due\s+(?:(today)|(\d{1,3})\s*([dw]|days?|weeks?)?)(?:\s+|$)", re.IGNORECASE)
_OVERDUE = re.compile(r"overdue(?:\s+|$)", re.IGNORECASE)
_REJECTED = re.compile(r"rejected(?:\s+|$)", re.IGNORECASE)


def parse_filter(text: str) -> BillFilter:
    """`overdue`, `due 7d` / `due 2w` / `due today`, text from a supplier's name or a
    reference, or both (`overdue brightwave`); nothing: every outstanding bill."""
    text = " ".join(text.split())
    if not text:
        return BillFilter()
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(
            N_("That filter is too long (at most {limit} characters)."), limit=MAX_FILTER_LENGTH
        )
    lowered = text.lower()
    if lowered in ("help", "?"):
        raise FilterError(USAGE)
    if rejected := _REJECTED.match(text):
        return BillFilter("rejected", text=text[rejected.end() :].strip())
    if overdue := _OVERDUE.match(text):
        return BillFilter("overdue", text=text[overdue.end() :].strip())
    if lowered == "due" or lowered.startswith("due "):
        match = _DUE.match(text)
        if match is None:
            raise FilterError(
                N_(
                    "I can't read “{text}”. Write `due 7d` (days), `due 2w` (weeks) or `due today`."
                ),
                text=text,
            )
        rest = text[match.end() :].strip()
        if match.group(1):
            return BillFilter("due", days=0, text=rest)
        days = int(match.group(2)) * (7 if (match.group(3) or "d")[0].lower() == "w" else 1)
        if days > 366:
            raise FilterError(N_("Look at most a year ahead (`due 365d`)."))
        return BillFilter("due", days=days, text=rest)
    return BillFilter(text=text)


def order_bills(bills: list[Bill], today: date) -> list[Bill]:
    """Overdue first, then by due date (the one follows from the other); ties by supplier and
    reference, case and accents ignored, then by id, for a stable order."""
    return sorted(
        bills,
        key=lambda b: (
            b.due_on >= today,
            b.due_on,
            folded(b.supplier_ref.supplier_name or ""),
            folded(b.reference or ""),
            b.id,
        ),
    )


@dataclass(frozen=True)
class Summary:
    count: int
    overdue: int
    totals: dict[str, Decimal]  # amount due per currency: the base currency first, then A to Z
    rejected_hidden: int = 0  # rejected bills the listing leaves out


def ordered_totals(totals: dict[str, Decimal], base_currency: str | None) -> dict[str, Decimal]:
    return dict(sorted(totals.items(), key=lambda item: (item[0] != base_currency, item[0])))


def summarise(bills: list[Bill], today: date, base_currency: str | None = None) -> Summary:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for bill in bills:
        totals[bill.currency] += bill.outstanding_amount
    return Summary(
        count=len(bills),
        overdue=sum(1 for bill in bills if bill.due_on < today),
        totals=ordered_totals(totals, base_currency),
    )


@dataclass(frozen=True)
class Listed:
    """A bill a listing holds, with what its summary line needs: from the bill's case when
    the bot has one (its state, its figures as last read), else from the bill as listed."""

    bill_id: str
    state: CaseState
    currency: str
    amount_due: Decimal
    due_date: date

    @classmethod
    def of_case(cls, case: CaseView) -> Listed:
        return cls(case.bill_id, case.state, case.currency, case.amount_due, case.due_date)

    @classmethod
    def of_bill(cls, bill: Bill) -> Listed:
        return cls(bill.id, CaseState.PENDING, bill.currency, bill.outstanding_amount, bill.due_on)


def summarise_cases(
    listed: Sequence[Listed],
    bill_filter: BillFilter,
    today: date,
    base_currency: str,
    on_cards: Collection[str] = (),
) -> Summary:
    """The summary line's figures from the cases of every bill a listing holds, as they are
    now: a bill paid, closed or rejected since it was listed no longer counts. Rejected
    bills are named as not shown unless their card is on the message (`on_cards`), as after
    a rejection in place: that card says it."""
    shown = [case for case in listed if bill_filter.shows(case)]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for case in shown:
        totals[case.currency] += case.amount_due
    hidden = 0
    if bill_filter.kind != "rejected":
        hidden = sum(
            1
            for case in listed
            if case.state == CaseState.REJECTED and case.bill_id not in on_cards
        )
    return Summary(
        count=len(shown),
        overdue=sum(1 for case in shown if case.due_date < today),
        totals=ordered_totals(totals, base_currency),
        rejected_hidden=hidden,
    )


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_of(items: list[T], page: int) -> tuple[list[T], int]:
    """The bills on `page` (0-based, clamped to the pages that exist) and that page number."""
    page = min(max(page, 0), page_count(len(items)) - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page
