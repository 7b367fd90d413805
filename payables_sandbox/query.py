"""Codat's query language on the sandbox side: parse a `query` parameter, evaluate it on records.

The sandbox owns this module: `parse_query` turns the (already URL-decoded) text of a `query`
parameter into a `Predicate`, which is called on each record as the API returns it (a JSON-like
dict) and says whether the record is kept. `fields_referenced` lists the fields a query names,
so the server can reject unknown ones before filtering.

What Codat documents (https://docs.codat.io/using-the-api/querying), and this module follows:

- A clause is `propertyName<operator>value`; the operators are `=`, `!=`, `>`, `<`, `>=`, `<=`
  and `~` (contains). `&&` joins clauses with AND, `||` with OR, and curly braces group them:
  `{totalAmount > 100 || totalAmount < 50} && status != paid`.
- Sub-properties are reached with a dot (`supplierRef.id`); querying inside arrays is not
  supported, nor is querying on null fields.
- Values are bare text: the docs never quote a value and do use spaces inside one
  (`supplierRef.supplierName=acme inc`), and spaces around operators and connectors.
- Dates are written `YYYY-MM-DD` (`dueDate>2021-01-28`).
- `~` applies to strings only; `>`, `<`, `>=`, `<=` to numbers and dates only.
- A query must be under 2048 characters.

Where the docs are silent, the sandbox decides as follows:

- Precedence: the docs say to combine AND and OR with braces (older versions said mixing them
  was unsupported and treated `||` as `&&`). So `&&` and `||` may not be mixed at one level
  without braces: `a=1&&b=2||c=3` is a `QuerySyntaxError`, `{a=1&&b=2}||c=3` is fine.
- Quoting and escaping: there is none. A value runs to the next `&&`, `||`, `}` or the end of
  the query and is trimmed. A value may not contain `{`, `=`, `<`, `>` or `~`; a single `&`,
  `|` or `!` is fine (`Smith & Sons`).
- Case: string comparisons (`=`, `!=`, `~`) ignore case. The docs never say so outright, but
  their examples assume it (`supplierRef.supplierName=acme` for the supplier "Acme",
  `status != paid` against the status `Paid`). Field names are matched exactly, as JSON keys
  are.
- Kinds of value, decided by the record's value for the field:
  - JSON numbers (and numeric strings, when the query value is numeric too) compare as
    `Decimal`, so `amountDue>=1250.00` and `amountDue>=1250` mean the same.
  - Strings holding a date or an ISO 8601 datetime compare as instants in UTC: a date-only
    value is midnight, a value without an offset is taken as UTC, fractions of a second are
    honoured. `dueDate=2026-11-22` matches `2026-11-22T00:00:00` but not `2026-11-22T10:30:00`.
  - Booleans compare with `true` / `false`, case-insensitively, for `=` and `!=` only.
  - Other strings compare as text; `>`, `<`, `>=` and `<=` on text never match, since Codat
    lists them as unsupported for strings, and `~` on numbers, dates or booleans never matches.
  - When the query value cannot be read as the field's kind (`amountDue=abc`), `=` and the
    ordering operators do not match and `!=` does.
- Missing fields: a field that is absent, null, an object or an array (or reached through
  one) never matches, except with `!=`, which matches. The docs' example
  `metadata.isDeleted!=true` is meant to keep records whose flag is unset.
- URL encoding: the server decodes the parameter once; this module sees plain text. Codat's
  "get one item" example is encoded twice (`id%253D...`); a query that still contains `%3D`
  and the like is rejected with a hint rather than decoded again.
- Braces may nest at most `MAX_NESTING` deep.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar, Final, Literal, TypeVar

Operator = Literal["=", "!=", ">", "<", ">=", "<=", "~"]

_Ordered = TypeVar("_Ordered", Decimal, datetime)

MAX_QUERY_LENGTH: Final = 2048
"""Codat accepts queries shorter than this many characters."""

MAX_NESTING: Final = 32

# Two-character operators first, so `>=` is not read as `>` followed by a value `=...`.
_OPERATORS: Final[tuple[Operator, ...]] = ("!=", ">=", "<=", "=", ">", "<", "~")
_OPERATOR_CHARS: Final = frozenset("=!<>~")
_RESERVED_IN_VALUE: Final = frozenset("{=<>~")
_CONNECTORS: Final = ("&&", "||")

_FIELD_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER_RE: Final = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_ENCODED_RE: Final = re.compile(r"%[0-9A-Fa-f]{2}")


class QuerySyntaxError(ValueError):
    """A malformed query. `message` says what is wrong and where, for the API's 400 body."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Predicate(ABC):
    """A parsed query: call it on a record to learn whether the record matches."""

    @abstractmethod
    def __call__(self, record: Mapping[str, Any]) -> bool: ...

    @abstractmethod
    def fields(self) -> frozenset[str]:
        """The dotted field paths this predicate reads."""

    @abstractmethod
    def _render(self, parent: str | None) -> str: ...

    def __str__(self) -> str:
        """The query in canonical form: no spaces, braces only where AND meets OR."""
        return self._render(None)


@dataclass(frozen=True)
class Comparison(Predicate):
    """One clause, `field op value`, with the value as written (trimmed)."""

    field: str
    op: Operator
    value: str

    def __call__(self, record: Mapping[str, Any]) -> bool:
        actual = _lookup(record, self.field)
        if actual is _MISSING:
            return self.op == "!="
        return _compare(actual, self.op, self.value)

    def fields(self) -> frozenset[str]:
        return frozenset((self.field,))

    def _render(self, parent: str | None) -> str:
        return f"{self.field}{self.op}{self.value}"


@dataclass(frozen=True)
class _Group(Predicate):
    parts: tuple[Predicate, ...]
    connector: ClassVar[str]

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(part.fields() for part in self.parts))

    def _render(self, parent: str | None) -> str:
        text = self.connector.join(part._render(self.connector) for part in self.parts)
        return f"{{{text}}}" if parent is not None and parent != self.connector else text


@dataclass(frozen=True)
class AllOf(_Group):
    """Clauses joined with `&&`."""

    connector: ClassVar[str] = "&&"

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return all(part(record) for part in self.parts)


@dataclass(frozen=True)
class AnyOf(_Group):
    """Clauses joined with `||`."""

    connector: ClassVar[str] = "||"

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return any(part(record) for part in self.parts)


def parse_query(text: str) -> Predicate:
    """Parse a Codat query (already URL-decoded). Raises `QuerySyntaxError` if malformed."""
    if len(text) >= MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query is {len(text)} characters long; queries must be under {MAX_QUERY_LENGTH}"
        )
    if not text.strip():
        raise QuerySyntaxError("query is empty")
    return _Parser(text).parse()


def fields_referenced(query: Predicate | str) -> set[str]:
    """The dotted field paths a query names, e.g. {"status", "supplierRef.id"}.

    Text is parsed first, so malformed text raises `QuerySyntaxError`.
    """
    predicate = parse_query(query) if isinstance(query, str) else query
    return set(predicate.fields())


class _Parser:
    """Recursive descent over: expr := term (('&&' | '||') term)*; term := '{' expr '}' | clause.

    All connectors within one expr must be the same; that is where braces become necessary.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def parse(self) -> Predicate:
        predicate = self._expr()
        self._skip_spaces()
        if self.pos < len(self.text):
            if self.text[self.pos] == "}":
                raise QuerySyntaxError(f"unmatched '}}' at offset {self.pos}")
            raise self._expected("'&&', '||' or the end of the query")
        return predicate

    def _expr(self) -> Predicate:
        parts = [self._term(after=None)]
        connector: str | None = None
        while True:
            self._skip_spaces()
            token = self.text[self.pos : self.pos + 2]
            if token not in _CONNECTORS:
                break
            if connector is None:
                connector = token
            elif token != connector:
                raise QuerySyntaxError(
                    f"'{connector}' and '{token}' are mixed without braces at offset {self.pos};"
                    " group clauses with braces to combine AND and OR,"
                    " e.g. {status=Open||status=PartiallyPaid}&&amountDue>0"
                )
            parts.append(self._term(after=(token, self.pos)))
        if connector is None:
            return parts[0]
        return AllOf(tuple(parts)) if connector == "&&" else AnyOf(tuple(parts))

    def _term(self, after: tuple[str, int] | None) -> Predicate:
        """One clause or braced group; `after` is the connector just read and its offset."""
        if after is None:
            where = f"at offset {self.pos}"
        else:
            where = f"after '{after[0]}' at offset {after[1]}"
            self.pos += 2
        self._skip_spaces()
        if self.pos >= len(self.text):
            raise QuerySyntaxError(f"expected a clause {where}, found the end of the query")
        rest = self.text[self.pos :]
        if rest.startswith(_CONNECTORS) or rest[0] == "}":
            found = "}" if rest[0] == "}" else rest[:2]
            raise QuerySyntaxError(f"expected a clause {where}, found '{found}'")
        if rest[0] == "{":
            return self._group()
        return self._clause()

    def _group(self) -> Predicate:
        opened_at = self.pos
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QuerySyntaxError(f"braces nest deeper than {MAX_NESTING} at offset {opened_at}")
        self.pos += 1
        self._skip_spaces()
        if self.text.startswith("}", self.pos):
            raise QuerySyntaxError(f"empty braces at offset {opened_at}")
        predicate = self._expr()
        self._skip_spaces()
        if self.pos >= len(self.text):
            raise QuerySyntaxError(f"'{{' at offset {opened_at} is never closed")
        if self.text[self.pos] != "}":
            raise self._expected("'&&', '||' or '}'")
        self.pos += 1
        self.depth -= 1
        return predicate

    def _clause(self) -> Comparison:
        start = self.pos
        end = start
        while end < len(self.text):
            if self.text[end] in "{}" or self.text.startswith(_CONNECTORS, end):
                break
            end += 1
        if end < len(self.text) and self.text[end] == "{":
            raise QuerySyntaxError(
                f"unexpected '{{' at offset {end}; braces may only surround whole clauses"
            )
        self.pos = end
        return _parse_clause(self.text[start:end].strip(), start)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _expected(self, what: str) -> QuerySyntaxError:
        found = self.text[self.pos : self.pos + 10]
        return QuerySyntaxError(f"expected {what} at offset {self.pos}, found '{found}'")


def _parse_clause(clause: str, offset: int) -> Comparison:
    at = next((i for i, ch in enumerate(clause) if ch in _OPERATOR_CHARS), None)
    if at is None:
        hint = (
            "; the query looks URL-encoded twice, encode it once"
            if _ENCODED_RE.search(clause)
            else ""
        )
        raise QuerySyntaxError(
            f"clause '{clause}' at offset {offset} has no comparison operator"
            f" (one of = != > < >= <= ~){hint}"
        )
    op = next((o for o in _OPERATORS if clause.startswith(o, at)), None)
    if op is None:
        raise QuerySyntaxError(
            f"unknown operator '{clause[at]}' in clause '{clause}' at offset {offset}"
        )
    field = clause[:at].strip()
    value = clause[at + len(op) :].strip()
    if not field:
        raise QuerySyntaxError(f"clause '{clause}' at offset {offset} has no field name")
    if not _FIELD_RE.fullmatch(field):
        raise QuerySyntaxError(
            f"invalid field name '{field}' at offset {offset};"
            " use a property name, or names joined with dots such as supplierRef.id"
        )
    if not value:
        raise QuerySyntaxError(
            f"clause '{clause}' at offset {offset} has no value after '{op}'"
            " (querying on null fields is not supported)"
        )
    if value[0] in _RESERVED_IN_VALUE:
        raise QuerySyntaxError(
            f"unknown operator '{op}{value[0]}' in clause '{clause}' at offset {offset}"
        )
    reserved = next((ch for ch in value if ch in _RESERVED_IN_VALUE), None)
    if reserved is not None:
        raise QuerySyntaxError(
            f"value '{value}' in clause '{clause}' contains '{reserved}', which is reserved;"
            " a clause holds exactly one comparison"
        )
    return Comparison(field, op, value)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    node: Any = record
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return _MISSING
        node = node[key]
    if node is None or isinstance(node, Mapping | list | tuple):
        return _MISSING
    return node


def _compare(actual: Any, op: Operator, text: str) -> bool:
    if isinstance(actual, bool):
        if op not in ("=", "!="):
            return False
        same = text.casefold() == ("true" if actual else "false")
        return same if op == "=" else not same
    if isinstance(actual, int | float | Decimal):
        return _ordered(op, _as_decimal(actual), _parse_number(text))
    if isinstance(actual, date):
        return _ordered(op, _as_utc(actual), _parse_moment(text))
    string = str(actual)
    moment = _parse_moment(string)
    if moment is not None:
        return _ordered(op, moment, _parse_moment(text))
    if op != "~":
        number, wanted = _parse_number(string), _parse_number(text)
        if number is not None and wanted is not None:
            return _ordered(op, number, wanted)
    left, right = string.casefold(), text.casefold()
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "~":
        return right in left
    return False


def _ordered(op: Operator, left: _Ordered, right: _Ordered | None) -> bool:
    # `right` is None when the query value cannot be read as the field's kind.
    if right is None:
        return op == "!="
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == ">":
        return left > right
    if op == "<":
        return left < right
    if op == ">=":
        return left >= right
    if op == "<=":
        return left <= right
    return False  # `~` is for strings only


def _as_decimal(value: int | float | Decimal) -> Decimal:
    # repr() gives a float's shortest round-trip digits, so 12.1 stays 12.1, not 12.0999...
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _parse_number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER_RE.fullmatch(text) else None


def _parse_moment(text: str) -> datetime | None:
    try:
        if _DATE_RE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        if _DATETIME_RE.fullmatch(text):
            return _as_utc(datetime.fromisoformat(text))
    except ValueError:  # shaped like a date but not one, e.g. 2026-13-45
        return None
    return None


def _as_utc(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_moment(text: str) -> datetime | None:
    """A query value read as an instant in UTC (a date is its midnight), or None if it is not
    a date or datetime: how a value is read against a date field."""
    return _parse_moment(text)
