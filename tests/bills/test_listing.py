"""`/bills` filters, ordering and paging."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.bills.listing import (
    PAGE_SIZE,
    BillFilter,
    FilterError,
    Listed,
    order_bills,
    page_of,
    parse_filter,
    summarise,
    summarise_cases,
)
from billpay.core.domain import CaseState
from billpay.core.i18n import words
from billpay.payables.models import Bill

TODAY = date(2026, 11, 22)


def _bill(n: int, due_in: int, currency: str = "GBP", supplier: str = "Acme") -> Bill:
    return Bill.model_validate(
        {
            "id": f"b{n}",
            "supplierRef": {"id": "s", "supplierName": supplier},
            "issueDate": "2026-10-01T00:00:00",
            "dueDate": f"{(TODAY + timedelta(days=due_in)).isoformat()}T00:00:00",
            "currency": currency,
            "status": "Open",
            "totalAmount": Decimal(10 * n + 10),
            "amountDue": Decimal(10 * n + 10),
        }
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BillFilter()),
        ("  OVERDUE ", BillFilter("overdue")),
        ("due 7d", BillFilter("due", days=7)),
        ("due 7", BillFilter("due", days=7)),
        ("due 2w", BillFilter("due", days=14)),
        ("due today", BillFilter("due", days=0)),
        ("Northridge  Office", BillFilter(text="Northridge Office")),
        ("overdue brightwave", BillFilter("overdue", text="brightwave")),
        ("due 2w INV-10", BillFilter("due", days=14, text="INV-10")),
        ("Rejected", BillFilter("rejected")),
        ("rejected acme", BillFilter("rejected", text="acme")),
    ],
)
def test_filters_are_read(text: str, expected: BillFilter) -> None:
    assert parse_filter(text) == expected
    assert parse_filter(expected.source) == expected  # stored with the message for paging


@pytest.mark.parametrize("text", ["due soon", "due 9999d", "help", "x" * 101])
def test_unreadable_filters_say_how_to_write_them(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)


def test_overdue_first_then_by_due_date() -> None:
    bills = [_bill(1, 5), _bill(2, -1), _bill(3, 0), _bill(4, -10)]
    assert [b.id for b in order_bills(bills, TODAY)] == ["b4", "b2", "b3", "b1"]


def test_filters_match_what_they_say() -> None:
    bills = [_bill(1, 5, supplier="Northridge"), _bill(2, -1), _bill(3, 9)]
    assert [b.id for b in bills if BillFilter("overdue").matches(b, TODAY)] == ["b2"]
    assert [b.id for b in bills if BillFilter("due", days=7).matches(b, TODAY)] == ["b1", "b2"]
    supplier = BillFilter("supplier", text="NORTH")
    assert [b.id for b in bills if supplier.matches(b, TODAY)] == ["b1"]


def test_summary_and_pages() -> None:
    bills = [_bill(n, n - 3, "EUR" if n % 2 else "GBP") for n in range(23)]
    summary = summarise(bills, TODAY)
    assert (summary.count, summary.overdue) == (23, 3)
    assert summary.totals == {
        "EUR": sum((b.total_amount for b in bills if b.currency == "EUR"), Decimal(0)),
        "GBP": sum((b.total_amount for b in bills if b.currency == "GBP"), Decimal(0)),
    }
    assert list(summary.totals) == ["EUR", "GBP"]
    last, page = page_of(bills, 99)
    assert page == 2 and len(last) == 23 - 2 * PAGE_SIZE


@pytest.mark.parametrize(
    ("bill_filter", "count", "headline"),
    [
        (BillFilter(), 25, "25 outstanding bills"),
        (BillFilter("due", days=7), 16, "16 bills due within 7 days"),
        (BillFilter("overdue"), 1, "1 overdue bill"),
        (BillFilter("overdue", text="acme"), 0, "no overdue bills matching “acme”"),
        (BillFilter("due", days=0), 3, "3 bills due today or overdue"),
        (BillFilter("rejected"), 1, "1 rejected bill"),
    ],
)
def test_headlines_read_well_for_every_filter(
    bill_filter: BillFilter, count: int, headline: str
) -> None:
    assert bill_filter.headline(count) == headline
    assert parse_filter(bill_filter.source) == bill_filter  # paging keeps the filter


def test_the_base_currency_comes_first_then_the_others_a_to_z() -> None:
    bills = [_bill(1, 1, "USD"), _bill(2, 1, "GBP"), _bill(3, 1, "EUR")]
    assert list(summarise(bills, TODAY, "GBP").totals) == ["GBP", "EUR", "USD"]


def test_a_listing_counts_its_bills_as_their_cases_now_stand() -> None:
    listed = [Listed.of_bill(_bill(n, n - 2)) for n in range(5)]
    listed[0] = replace(listed[0], state=CaseState.PAID, amount_due=Decimal(0))
    listed[1] = replace(listed[1], state=CaseState.REJECTED)
    listed[2] = replace(listed[2], state=CaseState.APPROVED, amount_due=Decimal("5.00"))
    listed[3] = replace(listed[3], state=CaseState.CLOSED)

    everything = summarise_cases(listed, BillFilter(), TODAY, "GBP")
    assert (everything.count, everything.overdue, everything.rejected_hidden) == (2, 0, 1)
    assert everything.totals == {"GBP": Decimal("5.00") + listed[4].amount_due}

    # A rejected card still on the message says so itself: not counted as "not shown".
    on_card = summarise_cases(listed, BillFilter(), TODAY, "GBP", on_cards={listed[1].bill_id})
    assert on_card.rejected_hidden == 0 and on_card.count == 2

    rejected = summarise_cases(listed, BillFilter("rejected"), TODAY, "GBP")
    assert (rejected.count, rejected.overdue, rejected.rejected_hidden) == (1, 1, 0)
    assert rejected.totals == {"GBP": listed[1].amount_due}


@given(st.text(max_size=120))
def test_any_typed_filter_is_read_or_refused_in_words(text: str) -> None:
    try:
        bill_filter = parse_filter(text)
    except FilterError as refusal:
        assert str(refusal)
        return
    assert bill_filter.kind in ("all", "overdue", "due", "rejected")
    assert parse_filter(bill_filter.source) == bill_filter


@pytest.mark.parametrize(
    ("count", "french"),
    [
        (None, "factures rejetées"),
        (0, "aucune facture rejetée"),
        (1, "1 facture rejetée"),
        (3, "3 factures rejetées"),
    ],
)
def test_the_rejected_headline_is_in_the_readers_words(count: int | None, french: str) -> None:
    headline = BillFilter("rejected").headline(count)
    assert words("fr_FR")(headline) == french
    assert words("fr_FR")(BillFilter("rejected", text="acme").headline(count)).startswith(french)
