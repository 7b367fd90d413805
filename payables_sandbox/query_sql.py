"""Codat's query language compiled to SQL, for the fields the payables lists are queried on.

`to_sql(predicate, fields)` turns a parsed query (`payables_sandbox.query`) into a SQLAlchemy
condition that selects exactly the rows whose served record the predicate matches, or None when
the query names a field that has no column here (the caller then evaluates it in Python on
each record, as before). Two kinds of field compile:

- `Choice`: a column holding one of a known set of values (`status`). The clause is decided
  by the Python evaluator itself on each possible value, so SQL and Python cannot disagree on
  case or on operators that never match text (`>` on a status).
- `Moment`: a UTC timestamp column served to the second (`sourceModifiedDate`). A record
  shows the stored moment cut to the whole second, so `sourceModifiedDate=2026-12-01T10:00:00Z`
  matches a stored 10:00:00.4; each operator is rewritten on the stored value with that in
  mind. A value that is not a date matches nothing (and everything with `!=`), as in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from payables_sandbox.query import AllOf, AnyOf, Comparison, Predicate, parse_moment

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Choice:
    """A column whose values are among `values`."""

    column: Any
    values: Sequence[str]


@dataclass(frozen=True)
class Moment:
    """A non-null UTC timestamp column, served cut to the whole second."""

    column: Any


Field = Choice | Moment


def to_sql(predicate: Predicate, fields: Mapping[str, Field]) -> ColumnElement[bool] | None:
    """The SQL condition equivalent to `predicate`, or None if it names another field."""
    if not predicate.fields() <= set(fields):
        return None
    return _compile(predicate, fields)


def _compile(predicate: Predicate, fields: Mapping[str, Field]) -> ColumnElement[bool]:
    if isinstance(predicate, AllOf):
        return and_(*(_compile(part, fields) for part in predicate.parts))
    if isinstance(predicate, AnyOf):
        return or_(*(_compile(part, fields) for part in predicate.parts))
    assert isinstance(predicate, Comparison)
    field = fields[predicate.field]
    if isinstance(field, Choice):
        matching = [value for value in field.values if predicate({predicate.field: value})]
        return field.column.in_(matching) if matching else false()
    return _moment(field.column, predicate.op, predicate.value)


def _moment(column: Any, op: str, text: str) -> ColumnElement[bool]:
    wanted = parse_moment(text)
    if wanted is None or op == "~":
        return true() if op == "!=" else false()
    floor = wanted.replace(microsecond=0)
    whole = floor == wanted
    ceiling = floor if whole else _plus_second(floor)
    # The served value is the stored one cut to the second: served >= X iff stored >= ceil(X),
    # served > X iff stored >= floor(X) + 1s, and so on.
    if op == "=":
        return _between(column, floor, _plus_second(floor)) if whole else false()
    if op == "!=":
        return not_(_between(column, floor, _plus_second(floor))) if whole else true()
    if op == ">=":
        return _at_least(column, ceiling)
    if op == ">":
        return _at_least(column, _plus_second(floor))
    if op == "<":
        return _below(column, ceiling)
    if op == "<=":
        return _below(column, _plus_second(floor))
    return false()


def _plus_second(moment: datetime | None) -> datetime | None:
    """A second later; None past the last moment a datetime holds."""
    if moment is None:
        return None
    try:
        return moment + SECOND
    except OverflowError:
        return None


def _at_least(column: Any, moment: datetime | None) -> ColumnElement[bool]:
    return false() if moment is None else column >= moment


def _below(column: Any, moment: datetime | None) -> ColumnElement[bool]:
    return true() if moment is None else column < moment


def _between(column: Any, start: datetime, end: datetime | None) -> ColumnElement[bool]:
    return and_(_at_least(column, start), _below(column, end))
