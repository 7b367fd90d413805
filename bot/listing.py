"""What `/bills` shows: reading the filter a person typed, ordering bills (overdue first, then
by due date), the summary line's figures and pages of at most `PAGE_SIZE` bills. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from bot.errors import Denied
from bot.i18n import N_, Phrase
from bot.payables.models import Bill

PAGE_SIZE = 10
MAX_FILTER_LENGTH = 100

USAGE = N_(
    "`/bills` lists outstanding bills. Narrow it with `/bills overdue`, `/bills due 7d` "
    "(due within 7 days, overdue included; also `due today`, `due 2w`) or `/bills <text>` "
    "(part of the supplier's name or the bill's reference), or both: `/bills overdue acme`."
)


class FilterError(Denied):
    """The text after `/bills` cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class BillFilter:
    """When bills are due (all outstanding, overdue, or due within some days) and, optionally,
    text found in the supplier's name or the bill's reference, accents and case ignored."""

    kind: Literal["all", "overdue", "due"] = "all"
    days: int = 0
    text: str = ""

    @property
    def source(self) -> str:
        """The filter as a person would type it (stored with the message, for paging)."""
        when = {"all": "", "overdue": "overdue", "due": f"due {self.days}d"}[self.kind]
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
            case _:
                if count is None:
                    return Phrase(N_("outstanding bills"))
                if count == 0:
                    return Phrase(N_("no outstanding bills"))
                return Phrase.ngettext("{n} outstanding bill", "{n} outstanding bills", count)

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


def folded(text: str) -> str:
    """Text for matching as people search: case and accents ignored (`Müller` ~ `muller`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_DUE = re.compile(r"due\s+(?:(today)|(\d{1,3})\s*([dw]|days?|weeks?)?)(?:\s+|$)", re.IGNORECASE)
_OVERDUE = re.compile(r"overdue(?:\s+|$)", re.IGNORECASE)


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
    """Overdue first, then by due date; ties by supplier and reference, for a stable order."""
    return sorted(
        bills,
        key=lambda b: (
            b.due_on >= today,
            b.due_on,
            (b.supplier_ref.supplier_name or "").casefold(),
            b.reference or "",
            b.id,
        ),
    )


@dataclass(frozen=True)
class Summary:
    count: int
    overdue: int
    totals: dict[str, Decimal]  # amount due per currency, currencies sorted

    def to_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "overdue": self.overdue,
            "totals": {currency: str(amount) for currency, amount in self.totals.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Summary:
        totals = data.get("totals") or {}
        assert isinstance(totals, dict)
        return cls(
            count=int(str(data.get("count", 0))),
            overdue=int(str(data.get("overdue", 0))),
            totals={currency: Decimal(str(amount)) for currency, amount in totals.items()},
        )


def summarise(bills: list[Bill], today: date) -> Summary:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for bill in bills:
        totals[bill.currency] += bill.outstanding_amount
    return Summary(
        count=len(bills),
        overdue=sum(1 for bill in bills if bill.due_on < today),
        totals=dict(sorted(totals.items())),
    )


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_of(items: list[Bill], page: int) -> tuple[list[Bill], int]:
    """The bills on `page` (0-based, clamped to the pages that exist) and that page number."""
    page = min(max(page, 0), page_count(len(items)) - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page
