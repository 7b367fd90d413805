"""The query builder writes the Codat query strings the payables client sends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from billpay.payables.query import (
    AllOf,
    AnyOf,
    Condition,
    Expr,
    Q,
    all_of,
    any_of,
    not_outstanding_bills,
    outstanding_bills,
    render_value,
)


def test_each_operator_renders_with_no_spaces() -> None:
    assert str(Q("status") == "Open") == "status=Open"
    assert str(Q("status") != "Paid") == "status!=Paid"
    assert str(Q("amountDue") > 0) == "amountDue>0"
    assert str(Q("amountDue") < 1000) == "amountDue<1000"
    assert str(Q("amountDue") >= Decimal("1250.00")) == "amountDue>=1250.00"
    assert str(Q("amountDue") <= Decimal("99.99")) == "amountDue<=99.99"
    assert str(Q("supplierRef.supplierName").contains("Acme")) == "supplierRef.supplierName~Acme"


def test_comparison_returns_a_condition_not_a_bool() -> None:
    assert (Q("status") == "Open") == Condition("status", "=", "Open")
    assert (Q("supplierRef.id") != "61") == Condition("supplierRef.id", "!=", "61")


def test_reflected_comparisons_keep_the_field_on_the_left() -> None:
    assert str(5 < Q("amountDue")) == "amountDue>5"  # noqa: SIM300
    assert str(date(2026, 1, 1) >= Q("dueDate")) == "dueDate<=2026-01-01"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Open", "Open"),
        ("acme inc", "acme inc"),
        ("Smith & Sons", "Smith & Sons"),
        ("Yahoo!", "Yahoo!"),
        ("50% off", "50% off"),
        (0, "0"),
        (-42, "-42"),
        (True, "true"),
        (False, "false"),
        (Decimal("1250.00"), "1250.00"),
        (Decimal("1250"), "1250"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.5"), "-0.5"),
        (date(2023, 12, 15), "2023-12-15"),
        (datetime(2023, 12, 15, tzinfo=UTC), "2023-12-15T00:00:00.000Z"),
        (datetime(2023, 12, 15, 9, 30, 5, 123456, tzinfo=UTC), "2023-12-15T09:30:05.123Z"),
        (
            datetime(2023, 12, 15, 1, 0, tzinfo=timezone(timedelta(hours=2))),
            "2023-12-14T23:00:00.000Z",
        ),
        (datetime(2023, 12, 15, 9, 30), "2023-12-15T09:30:00.000"),
    ],
)
def test_values_are_written_as_codat_expects(value: Any, text: str) -> None:
    assert render_value(value) == text
    assert str(Q("field") == value) == f"field={text}"


@pytest.mark.parametrize(
    "value",
    [
        "Open&&status=Paid",
        "a||b",
        "{x",
        "x}",
        "a=b",
        "a<b",
        "a>b",
        "a~b",
        "a!=b",
        "Smith &",
        "pipe|",
        "",
        " Acme",
        "Acme ",
    ],
)
def test_strings_that_would_break_the_grammar_are_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        Q("supplierName") == value  # noqa: B015
    with pytest.raises(ValueError):
        Q("supplierName").contains(value)


@pytest.mark.parametrize("value", [1.5, None, object(), [1]])
def test_unsupported_value_types_are_rejected(value: Any) -> None:
    with pytest.raises(TypeError):
        Q("amountDue") == value  # noqa: B015


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_decimals_are_rejected(value: Decimal) -> None:
    with pytest.raises(ValueError):
        Q("amountDue") > value  # noqa: B015


@pytest.mark.parametrize("value", ["100", "2026-01-01", True])
def test_ordering_needs_a_number_or_a_date(value: Any) -> None:
    with pytest.raises(TypeError):
        Q("amountDue") > value  # noqa: B015


def test_contains_needs_text() -> None:
    with pytest.raises(TypeError):
        Q("amountDue").contains(12)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["", "supplier name", "a..b", ".a", "a.", "1abc", "a=b", "a-b"])
def test_invalid_field_names_are_rejected(field: str) -> None:
    with pytest.raises(ValueError):
        Q(field)


def test_and_or_chains_are_flattened() -> None:
    a, b, c = Q("a") == 1, Q("b") == 2, Q("c") == 3
    assert str(a & b & c) == "a=1&&b=2&&c=3"
    assert str(a | b | c) == "a=1||b=2||c=3"
    assert a & b & c == AllOf((a, b, c))
    assert a | (b | c) == AnyOf((a, b, c))


def test_braces_appear_exactly_where_and_meets_or() -> None:
    a, b, c, d = Q("a") == 1, Q("b") == 2, Q("c") == 3, Q("d") == 4
    assert str((a | b) & c) == "{a=1||b=2}&&c=3"
    assert str(a | (b & c)) == "a=1||{b=2&&c=3}"
    assert str((a & b) | (c & d)) == "{a=1&&b=2}||{c=3&&d=4}"
    assert str((a | b) & (c | (a & d))) == "{a=1||b=2}&&{c=3||{a=1&&d=4}}"


def test_all_of_and_any_of() -> None:
    a, b = Q("a") == 1, Q("b") == 2
    assert all_of(a) is a
    assert any_of(a) is a
    assert str(all_of(a, any_of(a, b))) == "a=1&&{a=1||b=2}"
    with pytest.raises(ValueError):
        all_of()
    with pytest.raises(TypeError):
        any_of(a, "b=2")  # type: ignore[arg-type]


def test_expressions_refuse_python_boolean_operators() -> None:
    expr: Expr = Q("a") == 1
    with pytest.raises(TypeError):
        bool(expr)
    with pytest.raises(TypeError):
        _ = expr and (Q("b") == 2)


def test_not_outstanding_bills_names_only_the_outstanding_statuses() -> None:
    assert str(not_outstanding_bills()) == "status!=Open&&status!=PartiallyPaid"


def test_outstanding_bills() -> None:
    assert str(outstanding_bills()) == "status=Open||status=PartiallyPaid"
    assert (
        str(outstanding_bills() & (Q("dueDate") < date(2026, 1, 1)))
        == "{status=Open||status=PartiallyPaid}&&dueDate<2026-01-01"
    )
