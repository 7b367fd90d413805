"""The query language compiled to SQL selects exactly the bills the Python evaluator keeps, on
the fields list bills pages in SQL (`status`, `sourceModifiedDate`), whatever the query: any
operator, nesting, case, date form or value that is no date at all (a query is the client's
text, and the listing must not change with the way it is evaluated)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from payables_sandbox import query_sql, store, views
from payables_sandbox.query import parse_query
from payables_sandbox.service import bills

ANCHORS = [
    datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC),
]
OPERATORS = ["=", "!=", ">", "<", ">=", "<=", "~"]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    store.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


moments = st.one_of(
    st.sampled_from(ANCHORS),
    st.builds(
        lambda anchor, micros: anchor + timedelta(microseconds=micros),
        st.sampled_from(ANCHORS),
        st.integers(-1_500_000, 1_500_000),
    ),
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
)


def date_text(moment: datetime, form: int) -> str:
    if form == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == 1:
        return moment.strftime("%Y-%m-%d")
    if form == 2:
        return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if form == 3:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")


status_values = st.one_of(
    st.sampled_from(bills.BILL_STATUSES).map(lambda s: s.swapcase() if len(s) % 2 else s),
    st.sampled_from(["open", "PAID", "Partially", "pen", "x", "2026-11-22", "12"]),
)
date_values = st.one_of(
    st.builds(date_text, moments, st.integers(0, 4)),
    st.sampled_from(["yesterday", "2026-13-45", "12.5", "Open"]),
)
clauses = st.one_of(
    st.builds(lambda op, v: f"status{op}{v}", st.sampled_from(OPERATORS), status_values),
    st.builds(lambda op, v: f"sourceModifiedDate{op}{v}", st.sampled_from(OPERATORS), date_values),
)


def joined(parts: list[str], connector: str) -> str:
    return "{" + connector.join(parts) + "}" if len(parts) > 1 else parts[0]


queries = st.recursive(
    clauses,
    lambda inner: st.builds(
        joined, st.lists(inner, min_size=1, max_size=3), st.sampled_from(["&&", "||"])
    ),
    max_leaves=6,
)
rows = st.lists(st.tuples(st.sampled_from(bills.BILL_STATUSES), moments), max_size=12)


def bill_row(number: int, status: str, modified: datetime) -> store.Bill:
    return store.Bill(
        id=f"bill-{number:03d}",
        connection_id="connection",
        reference=f"R{number}",
        supplier_id="supplier",
        supplier_name="Supplier",
        issue_date=datetime(2026, 11, 1),
        due_date=datetime(2026, 12, 1),
        currency="GBP",
        line_items=[],
        status=status,
        total_amount=Decimal(10),
        amount_due=Decimal(10),
        source_modified_date=modified,
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows, query=queries)
def test_sql_selects_what_the_evaluator_keeps(
    engine: Engine, rows: list[tuple[str, datetime]], query: str
) -> None:
    predicate = parse_query(query)
    condition = query_sql.to_sql(predicate, bills.SQL_FIELDS)
    assert condition is not None
    with Session(engine) as session, session.begin():
        session.execute(delete(store.Bill))
        stored = [bill_row(n, status, modified) for n, (status, modified) in enumerate(rows)]
        session.add_all(stored)
        session.flush()
        expected = {row.id for row in stored if predicate(views.bill(row))}
        selected = set(session.scalars(select(store.Bill.id).where(condition)))
    assert selected == expected, query


def test_a_served_instant_matches_by_equality(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(store.Bill))
        session.add(bill_row(1, "Open", datetime(2026, 12, 1, 10, 0, 0, 400_000, tzinfo=UTC)))
        session.flush()
        served = views.bill(session.scalars(select(store.Bill)).one())["sourceModifiedDate"]
        assert served == "2026-12-01T10:00:00Z"
        condition = query_sql.to_sql(parse_query(f"sourceModifiedDate={served}"), bills.SQL_FIELDS)
        assert condition is not None
        assert len(session.scalars(select(store.Bill.id).where(condition)).all()) == 1


def test_other_fields_are_left_to_the_evaluator() -> None:
    assert query_sql.to_sql(parse_query("amountDue>10"), bills.SQL_FIELDS) is None
    assert query_sql.to_sql(parse_query("status=Open&&currency=GBP"), bills.SQL_FIELDS) is None
