"""Build Codat query strings, the `query` parameter of the payables API's list endpoints.

This module owns the client side of Codat's query language
(https://docs.codat.io/using-the-api/querying). Expressions are built from `Q`, a field
reference, and combined with `&` (AND) and `|` (OR); `str(expr)` is the query string:

    >>> from datetime import date
    >>> str(outstanding_bills() & (Q("dueDate") < date(2026, 1, 1)))
    '{status=Open||status=PartiallyPaid}&&dueDate<2026-01-01'
    >>> str(Q("supplierRef.supplierName").contains("Acme"))
    'supplierRef.supplierName~Acme'

Python's `|` and `&` bind tighter than `==`, so each comparison needs its own parentheses, as
above. `and` / `or` / `not` cannot combine expressions and raise `TypeError` if tried.

How values are written (Codat documents no quoting and no escaping, so none is used):

- `str` is written as is. Since nothing can be escaped, a string that would change the query's
  meaning raises `ValueError`: one containing `{`, `}`, `=`, `<`, `>`, `~`, `&&` or `||`,
  ending in `&` or `|`, empty, or with leading or trailing whitespace (which is trimmed).
- `bool` is `true` / `false`; `int` and `Decimal` are plain digits (`Decimal("1250.00")` keeps
  its places; no exponents). `float` is refused as inexact: pass a `Decimal`.
- `date` is `YYYY-MM-DD`, the form Codat's examples use.
- `datetime` is ISO 8601 with milliseconds; an aware datetime is converted to UTC and ends in
  `Z` (`2023-12-15T09:30:00.000Z`); a naive one has no suffix. Microseconds are truncated.
- `None` is refused: Codat does not support querying on null fields.
- `>`, `<`, `>=`, `<=` take numbers and dates only and `contains` takes text only, as in
  Codat's table of which operators apply to which types.

Grouping: braces appear exactly where AND and OR meet, which is where Codat requires them;
chains of one connector are flattened (`a & b & c` is `a&&b&&c`).

URL encoding: pass `str(expr)` as the `query` parameter and let the HTTP client encode it once
(httpx does). One example in Codat's docs is encoded twice (`id%253D...`); every other example
is encoded once, and so are this bot's requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar, Final, Literal

Operator = Literal["=", "!=", ">", "<", ">=", "<=", "~"]
QueryValue = str | bool | int | Decimal | date | datetime
Orderable = int | Decimal | date | datetime

_FIELD_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_RESERVED: Final = ("{", "}", "=", "<", ">", "~", "&&", "||")


class Expr:
    """A query expression. Combine with `&` and `|`; `str()` gives the Codat query string."""

    __slots__ = ()

    def __and__(self, other: Expr) -> Expr:
        return all_of(self, other)

    def __or__(self, other: Expr) -> Expr:
        return any_of(self, other)

    def __bool__(self) -> bool:
        raise TypeError("combine query expressions with & and |, not `and`, `or` or `not`")

    def __str__(self) -> str:
        return self._render(None)

    def _render(self, parent: str | None) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Condition(Expr):
    """One clause: `field`, `op` and the value already written as query text."""

    field: str
    op: Operator
    value: str

    def _render(self, parent: str | None) -> str:
        return f"{self.field}{self.op}{self.value}"


@dataclass(frozen=True, slots=True)
class _Group(Expr):
    parts: tuple[Expr, ...]
    connector: ClassVar[str]

    def _render(self, parent: str | None) -> str:
        text = self.connector.join(part._render(self.connector) for part in self.parts)
        return f"{{{text}}}" if parent is not None and parent != self.connector else text


@dataclass(frozen=True, slots=True)
class AllOf(_Group):
    """Expressions that must all hold (`&&`)."""

    connector: ClassVar[str] = "&&"


@dataclass(frozen=True, slots=True)
class AnyOf(_Group):
    """Expressions of which at least one must hold (`||`)."""

    connector: ClassVar[str] = "||"


def all_of(*exprs: Expr) -> Expr:
    """AND of one or more expressions (a single expression is returned unchanged)."""
    return _join(AllOf, exprs)


def any_of(*exprs: Expr) -> Expr:
    """OR of one or more expressions (a single expression is returned unchanged)."""
    return _join(AnyOf, exprs)


def _join(kind: type[AllOf] | type[AnyOf], exprs: tuple[Expr, ...]) -> Expr:
    if not exprs:
        raise ValueError(f"{kind.__name__} needs at least one expression")
    parts: list[Expr] = []
    for expr in exprs:
        if not isinstance(expr, Expr):
            raise TypeError(f"expected a query expression, got {type(expr).__name__}")
        parts.extend(expr.parts if isinstance(expr, kind) else (expr,))
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


class Q:
    """A field to compare, by its Codat property name; dots reach sub-properties (`supplierRef.id`).

    The comparison operators return a `Condition`, not a bool.
    """

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        if not _FIELD_RE.fullmatch(field):
            raise ValueError(
                f"invalid field name {field!r}; expected e.g. 'status' or 'supplierRef.id'"
            )
        self.field = field

    def __repr__(self) -> str:
        return f"Q({self.field!r})"

    def __eq__(self, value: QueryValue) -> Condition:  # type: ignore[override]
        return Condition(self.field, "=", render_value(value))

    def __ne__(self, value: QueryValue) -> Condition:  # type: ignore[override]
        return Condition(self.field, "!=", render_value(value))

    def __gt__(self, value: Orderable) -> Condition:
        return self._ordered(">", value)

    def __lt__(self, value: Orderable) -> Condition:
        return self._ordered("<", value)

    def __ge__(self, value: Orderable) -> Condition:
        return self._ordered(">=", value)

    def __le__(self, value: Orderable) -> Condition:
        return self._ordered("<=", value)

    def contains(self, text: str) -> Condition:
        """`field~text`: the field's text contains `text` (Codat matches this for strings only)."""
        if not isinstance(text, str):
            raise TypeError(f"contains() takes text, got {type(text).__name__}")
        return Condition(self.field, "~", render_value(text))

    def _ordered(self, op: Operator, value: Orderable) -> Condition:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | date):
            raise TypeError(
                f"{self.field}{op}... needs a number or a date, got {type(value).__name__};"
                " Codat supports > < >= <= on numbers and dates only"
            )
        return Condition(self.field, op, render_value(value))

    __hash__ = None  # type: ignore[assignment]


def render_value(value: QueryValue) -> str:
    """Write `value` as query text. Raises `ValueError` or `TypeError` if it cannot be written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return format(value, "f")
    if isinstance(value, datetime):
        suffix = ""
        if value.utcoffset() is not None:
            value, suffix = value.astimezone(UTC), "Z"
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + suffix
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        _check_text(value)
        return value
    if value is None:
        raise TypeError("Codat does not support querying on null fields")
    if isinstance(value, float):
        raise TypeError("floats are inexact; pass a Decimal")
    raise TypeError(f"cannot write {type(value).__name__} in a Codat query")


def _check_text(text: str) -> None:
    if not text:
        raise ValueError("an empty string cannot be written in a Codat query")
    if text != text.strip():
        raise ValueError(f"{text!r} has leading or trailing whitespace, which Codat trims")
    for token in _RESERVED:
        if token in text:
            raise ValueError(
                f"{text!r} contains {token!r}, which Codat's query language reserves"
                " and offers no way to escape"
            )
    if text[-1] in "&|":
        raise ValueError(
            f"{text!r} ends in {text[-1]!r}, which would run into a following connector"
        )


def outstanding_bills() -> Expr:
    """Bills still to pay: status Open or PartiallyPaid."""
    return (Q("status") == "Open") | (Q("status") == "PartiallyPaid")


def not_outstanding_bills() -> Expr:
    """Bills no longer to pay: any status but Open and PartiallyPaid (Paid, Void, Draft, ...).

    Written as the complement rather than as a list of statuses, so that it names no status a
    platform lacks (QuickBooks Online and FreeAgent have no Void, Xero adds Draft) and misses
    none that a platform has."""
    return (Q("status") != "Open") & (Q("status") != "PartiallyPaid")
