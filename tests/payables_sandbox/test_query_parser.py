"""The sandbox parses Codat queries and filters records with them as Codat documents."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from billpay.payables.query import Expr, Q, any_of, outstanding_bills
from payables_sandbox.query import (
    MAX_NESTING,
    MAX_QUERY_LENGTH,
    AllOf,
    AnyOf,
    Comparison,
    QuerySyntaxError,
    fields_referenced,
    parse_query,
)

BILLS: list[dict[str, Any]] = [
    {
        "id": "b1",
        "status": "Open",
        "amountDue": 12.5,
        "totalAmount": 12.5,
        "dueDate": "2026-11-22T00:00:00",
        "supplierRef": {"id": "s-acme", "supplierName": "Acme Ltd"},
        "currency": "GBP",
        "reference": "INV-001",
    },
    {
        "id": "b2",
        "status": "PartiallyPaid",
        "amountDue": Decimal("1250.00"),
        "totalAmount": 2000,
        "dueDate": "2025-12-31T23:59:59.999Z",
        "supplierRef": {"id": "s-smith", "supplierName": "Smith & Sons"},
        "currency": "USD",
        "metadata": {"isDeleted": False},
    },
    {
        "id": "b3",
        "status": "Paid",
        "amountDue": 0,
        "totalAmount": 1250,
        "dueDate": "2026-01-01",
        "supplierRef": {"id": "s-acme", "supplierName": "Acme Ltd"},
        "currency": "gbp",
        "metadata": {"isDeleted": True},
    },
    {
        "id": "b4",
        "status": "Open",
        "amountDue": 1250,
        "totalAmount": 1250.01,
        "dueDate": "2026-01-01T09:30:00+01:00",
        "supplierRef": {"id": "s-globex", "supplierName": "Globex"},
        "currency": "EUR",
        "reference": None,
    },
    {
        "id": "b5",
        "status": "Void",
        "amountDue": 99.99,
        "totalAmount": 99.99,
        "dueDate": "2026-11-22T10:30:00.123Z",
        "currency": "GBP",
    },
]
ALL = ["b1", "b2", "b3", "b4", "b5"]


def select(query: str | Expr) -> list[str]:
    predicate = parse_query(str(query))
    return [bill["id"] for bill in BILLS if predicate(bill)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=Open", ["b1", "b4"]),
        ("status!=Open", ["b2", "b3", "b5"]),
        ("amountDue>0", ["b1", "b2", "b4", "b5"]),
        ("amountDue<12.5", ["b3"]),
        ("amountDue>=1250", ["b2", "b4"]),
        ("amountDue<=12.5", ["b1", "b3"]),
        ("supplierRef.supplierName~acme", ["b1", "b3"]),
    ],
)
def test_each_operator(query: str, expected: list[str]) -> None:
    assert select(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amountDue=1250", ["b2", "b4"]),
        ("amountDue=1250.00", ["b2", "b4"]),
        ("amountDue>=1250.00", ["b2", "b4"]),
        ("amountDue>1250", []),
        ("amountDue>1249.99", ["b2", "b4"]),
        ("amountDue=12.50", ["b1"]),
        ("amountDue=99.99", ["b5"]),
        ("totalAmount>1250", ["b2", "b4"]),
        ("totalAmount=1250.01", ["b4"]),
        ("amountDue>-1", ALL),
    ],
)
def test_numbers_compare_as_decimals(query: str, expected: list[str]) -> None:
    assert select(query) == expected


def test_numeric_strings_compare_as_numbers_only_against_numbers() -> None:
    assert parse_query("code=1250")({"code": "1250.00"})
    assert parse_query("code>999")({"code": "1250.00"})
    assert parse_query("code~250")({"code": "1250.00"})
    assert not parse_query("code>5")({"code": "INV-7"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dueDate<2026-01-01", ["b2"]),
        ("dueDate=2026-01-01", ["b3"]),
        ("dueDate>=2026-01-01", ["b1", "b3", "b4", "b5"]),
        ("dueDate=2026-11-22", ["b1"]),
        ("dueDate=2026-01-01T08:30:00Z", ["b4"]),
        ("dueDate=2026-01-01T09:30:00+01:00", ["b4"]),
        ("dueDate>2026-01-01T08:30:00.000Z", ["b1", "b5"]),
        ("dueDate>=2026-01-01T08:30:00.000Z", ["b1", "b4", "b5"]),
        ("dueDate>2026-11-22T10:30:00.122Z", ["b5"]),
        ("dueDate>2026-11-22T10:30:00.123Z", []),
        ("dueDate>2025-12-31T23:59:59", ["b1", "b2", "b3", "b4", "b5"]),
        ("dueDate<2025-12-31T23:59:59.999", []),
        ("dueDate!=2026-01-01", ["b1", "b2", "b4", "b5"]),
    ],
)
def test_dates_and_datetimes_compare_as_instants_in_utc(query: str, expected: list[str]) -> None:
    assert select(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "paidOn=2026-01-01T08:30:00Z",
        "paidOn=2026-01-01T08:30:00.000Z",
        "paidOn=2026-01-01T09:30:00+01:00",
        "paidOn>2026-01-01T08:29:59.999",
        "paidOn<2026-01-01T08:30:00.001Z",
        "paidOn>2026-01-01",
    ],
)
def test_a_datetime_without_an_offset_is_utc(query: str) -> None:
    assert parse_query(query)({"paidOn": "2026-01-01T08:30:00"})


def test_an_offset_in_the_record_shifts_the_instant() -> None:
    assert not parse_query("paidOn=2026-01-01T08:30:00")({"paidOn": "2026-01-01T08:30:00+01:00"})
    assert parse_query("paidOn=2026-01-01T07:30:00")({"paidOn": "2026-01-01T08:30:00+01:00"})


def test_date_and_datetime_objects_in_records_compare_too() -> None:
    record = {"issueDate": date(2026, 3, 1), "modifiedDate": datetime(2026, 3, 1, 12, tzinfo=UTC)}
    assert parse_query("issueDate=2026-03-01T00:00:00Z")(record)
    assert parse_query("modifiedDate>2026-03-01")(record)
    assert not parse_query("modifiedDate>2026-03-01T13:00:00+01:00")(record)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["b1", "b4"]),
        ("STATUS=Open", []),
        ("currency=GBP", ["b1", "b3", "b5"]),
        ("currency=gbp", ["b1", "b3", "b5"]),
        ("status != paid", ["b1", "b2", "b4", "b5"]),
        ("supplierRef.supplierName~ACME LTD", ["b1", "b3"]),
        ("supplierRef.supplierName=smith & sons", ["b2"]),
        ("reference~inv", ["b1"]),
    ],
)
def test_strings_ignore_case_but_field_names_do_not(query: str, expected: list[str]) -> None:
    assert select(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("supplierRef.id=s-acme", ["b1", "b3"]),
        ("supplierRef.id!=s-acme", ["b2", "b4", "b5"]),
        ("supplierRef.id~s-", ["b1", "b2", "b3", "b4"]),
        ("supplierRef.missing=x", []),
        ("supplierRef.id.deeper=x", []),
    ],
)
def test_dotted_paths_reach_into_nested_objects(query: str, expected: list[str]) -> None:
    assert select(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reference=INV-001", ["b1"]),
        ("reference!=INV-001", ["b2", "b3", "b4", "b5"]),
        ("reference>A", []),
        ("supplierRef=s-acme", []),
        ("supplierRef!=s-acme", ALL),
        ("nothing=1", []),
        ("nothing!=1", ALL),
        ("nothing>1", []),
    ],
)
def test_missing_null_and_object_fields_match_only_not_equals(
    query: str, expected: list[str]
) -> None:
    assert select(query) == expected


def test_arrays_are_not_queried() -> None:
    record = {"lineItems": [{"unitAmount": 700}]}
    assert not parse_query("lineItems.unitAmount=700")(record)
    assert not parse_query("lineItems=700")(record)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("metadata.isDeleted!=true", ["b1", "b2", "b4", "b5"]),
        ("metadata.isDeleted=TRUE", ["b3"]),
        ("metadata.isDeleted=false", ["b2"]),
        ("metadata.isDeleted=1", []),
        ("metadata.isDeleted>false", []),
    ],
)
def test_booleans(query: str, expected: list[str]) -> None:
    assert select(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status>Open", []),
        ("status<=Zzz", []),
        ("amountDue~12", []),
        ("dueDate~2026", []),
        ("amountDue=abc", []),
        ("amountDue!=abc", ALL),
        ("amountDue>abc", []),
        ("dueDate=soon", []),
        ("dueDate!=soon", ALL),
        ("dueDate>12", []),
        ("dueDate<2026-13-45", []),
    ],
)
def test_operators_codat_lists_as_unsupported_for_a_type_never_match(
    query: str, expected: list[str]
) -> None:
    assert select(query) == expected


def test_and_or() -> None:
    assert select("status=Open&&currency=GBP") == ["b1"]
    assert select("status=Open||currency=GBP") == ["b1", "b3", "b4", "b5"]
    assert select("status=Open&&currency=GBP&&amountDue>100") == []
    assert select("status=Paid||status=Void||currency=USD") == ["b2", "b3", "b5"]


def test_braces_decide_grouping() -> None:
    assert select("{status=Open||status=PartiallyPaid}&&currency=GBP") == ["b1"]
    assert select("status=Open||{status=PartiallyPaid&&currency=GBP}") == ["b1", "b4"]
    assert select("{status=Open}") == ["b1", "b4"]
    assert select("{{{status=Open}}}") == ["b1", "b4"]
    assert select("{status=Paid||{status=Open&&{currency=EUR||amountDue<13}}}") == [
        "b1",
        "b3",
        "b4",
    ]


def test_the_example_from_codats_docs() -> None:
    query = "{totalAmount > 100 || totalAmount < 50} && status != paid"
    assert select(query) == ["b1", "b2", "b4"]


def test_mixing_and_with_or_needs_braces() -> None:
    with pytest.raises(QuerySyntaxError, match="braces"):
        parse_query("status=Open||status=PartiallyPaid&&currency=GBP")
    with pytest.raises(QuerySyntaxError, match="braces"):
        parse_query("status=Open&&currency=GBP||status=Paid")
    with pytest.raises(QuerySyntaxError, match="braces"):
        parse_query("{a=1&&b=2||c=3}")


def test_whitespace_around_tokens_is_ignored_but_kept_inside_values() -> None:
    predicate = parse_query("  { supplierRef.supplierName = acme ltd ||  currency=EUR }  ")
    assert str(predicate) == "supplierRef.supplierName=acme ltd||currency=EUR"
    assert [bill["id"] for bill in BILLS if predicate(bill)] == ["b1", "b3", "b4"]


def test_parsed_structure_and_canonical_text() -> None:
    predicate = parse_query("{a = 1 || b = 2} && c ~ x")
    assert predicate == AllOf(
        (AnyOf((Comparison("a", "=", "1"), Comparison("b", "=", "2"))), Comparison("c", "~", "x"))
    )
    assert str(predicate) == "{a=1||b=2}&&c~x"
    assert parse_query("a>=1") == Comparison("a", ">=", "1")
    assert parse_query("a<=1") == Comparison("a", "<=", "1")
    assert parse_query("a!=x!") == Comparison("a", "!=", "x!")


def test_fields_referenced() -> None:
    text = "{status=Open||supplierRef.id=s-acme}&&amountDue>0&&status!=Void"
    assert fields_referenced(text) == {"status", "supplierRef.id", "amountDue"}
    assert fields_referenced(parse_query("dueDate<2026-01-01")) == {"dueDate"}
    with pytest.raises(QuerySyntaxError):
        fields_referenced("status=")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("status=Open&&", "after '&&' at offset 11, found the end"),
        ("status=Open||", "after '||'"),
        ("&&status=Open", "expected a clause at offset 0"),
        ("a=1&&&&b=2", "found '&&'"),
        ("a=1&&||b=2", "found '||'"),
        ("{a=1", "never closed"),
        ("{a=1||{b=2}", "never closed"),
        ("a=1}", "unmatched '}'"),
        ("{a=1}}", "unmatched '}'"),
        ("{}", "empty braces"),
        ("{ }&&a=1", "empty braces"),
        ("{a=1&&}", "found '}'"),
        ("{a=1}b=2", "expected '&&', '||' or the end"),
        ("{a=1 b=2}", "contains '='"),
        ("{a=1}{b=2}", "expected '&&', '||' or the end"),
        ("a=1{b=2}", "unexpected '{'"),
        ("a==1", "unknown operator '=='"),
        ("a=>1", "unknown operator '=>'"),
        ("a<>1", "unknown operator '<>'"),
        ("a~=1", "unknown operator '~='"),
        ("a!1", "unknown operator '!'"),
        ("status", "no comparison operator"),
        ("status Open", "no comparison operator"),
        ("=Open", "no field name"),
        ("status=", "no value"),
        ("status =  ", "no value"),
        ("supplier name=Acme", "invalid field name"),
        ("supplierRef..id=1", "invalid field name"),
        ("a=1=2", "contains '='"),
        ("a=1 & b=2", "contains '='"),
        ("a=1 and b=2", "contains '='"),
        ("id%3D81be41e9", "URL-encoded twice"),
    ],
)
def test_malformed_queries_raise_with_a_useful_message(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message


def test_queries_must_be_under_2048_characters() -> None:
    clause = "status=Open"
    longest = clause + "&&" + "a=" + "x" * (MAX_QUERY_LENGTH - len(clause) - 5)
    assert len(longest) == MAX_QUERY_LENGTH - 1
    assert select(longest) == []
    with pytest.raises(QuerySyntaxError, match="under 2048"):
        parse_query(longest + "x")


def test_nesting_is_limited() -> None:
    assert parse_query("{" * MAX_NESTING + "a=1" + "}" * MAX_NESTING)({"a": 1})
    with pytest.raises(QuerySyntaxError, match="nest deeper"):
        parse_query("{" * (MAX_NESTING + 1) + "a=1" + "}" * (MAX_NESTING + 1))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (outstanding_bills(), ["b1", "b2", "b4"]),
        (outstanding_bills() & (Q("dueDate") < date(2026, 1, 2)), ["b2", "b4"]),
        (outstanding_bills() & (Q("dueDate") < date(2026, 1, 1)), ["b2"]),
        (Q("supplierRef.supplierName").contains("acme") & (Q("amountDue") > 0), ["b1"]),
        (
            (Q("currency") == "GBP")
            & ((Q("amountDue") >= Decimal("99.99")) | (Q("status") == "Paid")),
            ["b3", "b5"],
        ),
        (Q("dueDate") >= datetime(2026, 1, 1, 8, 30, tzinfo=UTC), ["b1", "b4", "b5"]),
        (
            Q("dueDate") >= datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
            ["b1", "b4", "b5"],
        ),
        (Q("dueDate") > datetime(2026, 11, 22, 10, 30, 0, 122999, tzinfo=UTC), ["b5"]),
        (Q("metadata.isDeleted") != True, ["b1", "b2", "b4", "b5"]),  # noqa: E712
        (Q("supplierRef.supplierName") == "Smith & Sons", ["b2"]),
        (
            any_of(*(Q("supplierRef.id") == s for s in ("s-smith", "s-globex")))
            & (Q("amountDue") == Decimal("1250.00")),
            ["b2", "b4"],
        ),
        (
            (Q("status") == "Open") | ((Q("status") == "Paid") & (Q("amountDue") <= 0)),
            ["b1", "b3", "b4"],
        ),
    ],
)
def test_builder_round_trip_selects_the_right_bills(expr: Expr, expected: list[str]) -> None:
    assert select(expr) == expected
    assert str(parse_query(str(expr))) == str(expr)


@pytest.mark.parametrize(
    "value", ["Smith & Sons", "Yahoo!", "a|b", "50% off", "O'Brien", 'say "hi"', "acme inc", "x.y"]
)
def test_every_string_the_builder_accepts_parses_back_unchanged(value: str) -> None:
    predicate = parse_query(str((Q("reference") == value) & (Q("status") != "Void")))
    assert predicate == AllOf(
        (Comparison("reference", "=", value), Comparison("status", "!=", "Void"))
    )
    assert predicate({"reference": value.upper(), "status": "Open"})
