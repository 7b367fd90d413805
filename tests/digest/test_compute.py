"""What the digest computes: groups and totals per currency (base first), who must approve,
scheduled payments and the cash going out per day and per week, as of a frozen date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billpay.core.domain import CaseState
from billpay.digest.compute import compute_digest, currency_order
from testkit.digests import TODAY, bill, case_of, scheduled
from testkit.profiles import examples

ANA, BEN, EVE = "U0ANA", "U0BEN", "U0EVE"


def test_bills_fall_into_overdue_due_today_and_due_within_the_look_ahead() -> None:
    bills = [
        bill(1, due_in=-3, amount="100.00"),
        bill(2, due_in=-1, amount="50.00", currency="EUR"),
        bill(3, due_in=0, amount="20.00"),
        bill(4, due_in=7, amount="5.00", currency="USD"),
        bill(5, due_in=8, amount="999.00"),  # beyond the look-ahead
    ]
    digest = compute_digest(bills, {}, approvers=[], base_currency="GBP", today=TODAY)

    assert (digest.overdue.count, digest.due_today.count, digest.due_soon.count) == (2, 1, 1)
    assert digest.overdue.totals == {"GBP": Decimal("100.00"), "EUR": Decimal("50.00")}
    assert digest.due_today.totals == {"GBP": Decimal("20.00")}
    assert digest.due_soon.totals == {"USD": Decimal("5.00")}
    assert [b.bill_id for b in digest.bills] == [
        "bill-00001",
        "bill-00002",
        "bill-00003",
        "bill-00004",
    ]
    assert all(isinstance(v, Decimal) for g in digest.groups for v in g.totals.values())


def test_the_base_currency_comes_first_then_the_others_alphabetically() -> None:
    bills = [
        bill(1, due_in=-1, currency="USD"),
        bill(2, due_in=-1, currency="AUD"),
        bill(3, due_in=-1, currency="EUR"),
        bill(4, due_in=-1, currency="GBP"),
    ]
    digest = compute_digest(bills, {}, approvers=[], base_currency="EUR", today=TODAY)

    assert list(digest.overdue.totals) == ["EUR", "AUD", "GBP", "USD"]
    assert currency_order(["USD", "JPY"], "GBP") == ["JPY", "USD"]
    assert list(digest.cash.currencies) == ["EUR", "AUD", "GBP", "USD"]


def test_the_look_ahead_reaches_as_far_as_asked_and_no_further() -> None:
    bills = [bill(1, due_in=3), bill(2, due_in=4)]
    digest = compute_digest(
        bills, {}, approvers=[], base_currency="GBP", today=TODAY, look_ahead_days=3
    )
    assert digest.due_soon.count == 1
    assert len(digest.cash.days) == 4  # today and the next 3 days
    with pytest.raises(ValueError):
        compute_digest(bills, {}, approvers=[], base_currency="GBP", today=TODAY, look_ahead_days=0)


def test_paid_void_and_zero_bills_are_left_out() -> None:
    bills = [
        bill(1, due_in=-1, status="Paid"),
        bill(2, due_in=-1, status="Void"),
        bill(3, due_in=-1, amount="0.00"),
        bill(4, due_in=-1, status="PartiallyPaid"),
    ]
    digest = compute_digest(bills, {}, approvers=[], base_currency="GBP", today=TODAY)
    assert [b.bill_id for b in digest.bills] == ["bill-00004"]


def test_the_most_overdue_then_the_biggest_come_first() -> None:
    bills = [
        bill(1, due_in=-2, amount="10.00"),
        bill(2, due_in=-9, amount="5.00"),
        bill(3, due_in=-2, amount="900.00"),
        bill(4, due_in=0, amount="1.00"),
        bill(5, due_in=0, amount="100.00", currency="EUR", rate="0.85"),
        bill(6, due_in=5, amount="1.00"),
        bill(7, due_in=2, amount="3.00"),
    ]
    digest = compute_digest(bills, {}, approvers=[], base_currency="GBP", today=TODAY)
    order = [b.bill_id[-1] for b in digest.bills]
    assert order == ["2", "3", "1", "5", "4", "7", "6"]


def test_who_must_approve_each_approver_once_with_their_count() -> None:
    bills = [bill(n, due_in=-1) for n in range(4)]
    cases = {
        bills[0].id: case_of(bills[0], approvals=(ANA,), approvals_required=2),
        bills[1].id: case_of(bills[1]),
        bills[2].id: case_of(bills[2], state=CaseState.APPROVED, approvals=(BEN,)),
        # bills[3] has no case yet: pending
    }
    digest = compute_digest(
        bills, cases, approvers=[ANA, BEN, ANA], base_currency="GBP", today=TODAY
    )

    assert digest.approvals.count == 3
    assert digest.approvals.waiting_on == ((ANA, 2), (BEN, 3))
    assert not digest.approvals.anyone
    anyone = compute_digest(bills, cases, approvers=[], base_currency="GBP", today=TODAY)
    assert anyone.approvals.anyone and anyone.approvals.waiting_on == ()


def test_an_approval_a_delegate_gave_for_an_away_approver_is_not_waited_on_again() -> None:
    bills = [bill(n, due_in=-1) for n in range(2)]
    cases = {
        # Sam approved for Ana, away: one of two approvals given, Ben's still to come.
        bills[0].id: case_of(
            bills[0], approvals=("U0SAM",), approved_for=(ANA,), approvals_required=2
        ),
    }
    digest = compute_digest(bills, cases, approvers=[ANA, BEN], base_currency="GBP", today=TODAY)

    assert digest.approvals.waiting_on == ((ANA, 1), (BEN, 2))


def test_scheduled_payments_of_the_coming_days_with_amount_date_and_account() -> None:
    b1, b2, b3 = bill(1, due_in=10, amount="400.00"), bill(2, due_in=1), bill(3, due_in=1)
    cases = {
        b1.id: scheduled(b1, TODAY + timedelta(days=2), "150.00"),
        b2.id: scheduled(b2, TODAY + timedelta(days=30)),  # beyond the look-ahead
        b3.id: case_of(b3),
    }
    digest = compute_digest([b1, b2, b3], cases, approvers=[], base_currency="GBP", today=TODAY)

    (payment,) = digest.scheduled
    assert (payment.bill_id, payment.amount, payment.payment_date, payment.account_name) == (
        b1.id,
        Decimal("150.00"),
        TODAY + timedelta(days=2),
        "Business Current",
    )


def test_cash_goes_out_per_day_with_overdue_on_today_and_scheduled_on_their_date() -> None:
    bills = [
        bill(1, due_in=-5, amount="100.00"),
        bill(2, due_in=0, amount="10.00"),
        bill(3, due_in=2, amount="1.00"),
        bill(4, due_in=3, amount="400.00"),
        bill(5, due_in=1, amount="7.00", currency="EUR"),
    ]
    cases = {bills[3].id: scheduled(bills[3], TODAY + timedelta(days=1), "150.00")}
    digest = compute_digest(bills, cases, approvers=[], base_currency="GBP", today=TODAY)

    days = {d.day: d.totals for d in digest.cash.days}
    assert days[TODAY] == {"GBP": Decimal("110.00")}
    assert days[TODAY + timedelta(days=1)] == {"GBP": Decimal("150.00"), "EUR": Decimal("7.00")}
    assert days[TODAY + timedelta(days=2)] == {"GBP": Decimal("1.00")}
    assert days[TODAY + timedelta(days=3)] == {"GBP": Decimal("250.00")}
    assert days[TODAY + timedelta(days=4)] == {}


def test_cash_per_iso_week_for_four_weeks_from_this_one() -> None:
    wednesday = date(2026, 11, 25)  # ISO week 48, Monday 23 Nov
    bills = [
        bill(1, due_in=-10, amount="1.00", today=wednesday),  # overdue: on today, week 48
        bill(2, due_in=4, amount="2.00", today=wednesday),  # Sunday 29 Nov: week 48
        bill(3, due_in=5, amount="4.00", today=wednesday),  # Monday 30 Nov: week 49
        bill(4, due_in=25, amount="8.00", today=wednesday),  # Sunday 20 Dec: week 51
        bill(5, due_in=26, amount="16.00", today=wednesday),  # Monday 21 Dec: past four weeks
    ]
    digest = compute_digest(bills, {}, approvers=[], base_currency="GBP", today=wednesday)

    weeks = [(w.week, w.start, w.end, w.totals.get("GBP")) for w in digest.cash.weeks]
    assert weeks == [
        (48, wednesday, date(2026, 11, 29), Decimal("3.00")),
        (49, date(2026, 11, 30), date(2026, 12, 6), Decimal("4.00")),
        (50, date(2026, 12, 7), date(2026, 12, 13), None),
        (51, date(2026, 12, 14), date(2026, 12, 20), Decimal("8.00")),
    ]


def test_a_digest_with_nothing_due_and_nothing_scheduled_is_empty() -> None:
    digest = compute_digest(
        [bill(1, due_in=30)], {}, approvers=[ANA], base_currency="GBP", today=TODAY
    )
    assert digest.is_empty and digest.count == 0
    assert digest.cash.weeks[-1].totals == {}


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
bill_specs = st.lists(
    st.tuples(st.integers(-40, 40), amounts, st.sampled_from(["GBP", "EUR", "USD", "JPY"])),
    max_size=40,
)


@settings(max_examples=examples(150), deadline=None)
@given(specs=bill_specs, look_ahead=st.integers(1, 31))
def test_the_groups_add_up_to_everything_due_within_the_look_ahead(
    specs: list[tuple[int, Decimal, str]], look_ahead: int
) -> None:
    bills = [bill(n, due_in=d, amount=a, currency=c) for n, (d, a, c) in enumerate(specs)]
    digest = compute_digest(
        bills, {}, approvers=[], base_currency="GBP", today=TODAY, look_ahead_days=look_ahead
    )

    within = [b for b in bills if b.due_on <= TODAY + timedelta(days=look_ahead)]
    expected: dict[str, Decimal] = {}
    for b in within:
        expected[b.currency] = expected.get(b.currency, Decimal(0)) + b.outstanding_amount
    assert digest.totals == expected
    assert sum(g.count for g in digest.groups) == len(within) == digest.count
    assert list(digest.totals) == currency_order(expected, "GBP")
    # The cash per day over the look-ahead is the same money, overdue counted on today.
    per_day: dict[str, Decimal] = {}
    for d in digest.cash.days:
        for currency, amount in d.totals.items():
            per_day[currency] = per_day.get(currency, Decimal(0)) + amount
    assert per_day == expected
