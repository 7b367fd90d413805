"""Listing: queries, sort orders and pages, as every list operation of the payables API applies
them.

`compile_query` checks a Codat query string against the fields a resource can be queried on.
The payables lists (bills, suppliers, mapping options) page with continuation tokens: keyset
tokens that never skip a record, or Codat's own page-number tokens (`SandboxConfig.paging`).
Companies and connections page by number (`page`, `pageSize`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import exact_json
from payables_sandbox.errors import ApiError, invalid
from payables_sandbox.query import Predicate, QuerySyntaxError, fields_referenced, parse_query
from payables_sandbox.service.pages import Source

# The most records one page holds: the spec's PagingInfo caps `pageSize` at 2000, while the
# `pageSize` parameter (and docs/using-the-api/paging.md) accept up to 5000.
MAX_SERVED_PAGE_SIZE = 2000


MAX_PAGE_SIZE = 5000


RecordFilter = Predicate
"""A compiled query: true for each record (the API's JSON shape) the query matches; it also
compiles to SQL for the fields that have columns (`payables_sandbox.query_sql`)."""


def compile_query(
    text: str | None, allowed: set[str] | None, *, param: str = "query"
) -> RecordFilter | None:
    """Parse a Codat query string, rejecting syntax errors and fields the resource lacks
    (`allowed=None`: any field, as for free-form tags)."""
    if text is None or not text.strip():
        return None
    try:
        unknown = [] if allowed is None else sorted(fields_referenced(text) - allowed)
        predicate = parse_query(text)
    except QuerySyntaxError as exc:
        raise ApiError(400, f"Error parsing {param} - Malformed query. {exc}") from None
    if unknown:
        raise ApiError(
            400,
            f"Error parsing {param} - Could not resolve property {unknown[0]}. "
            f"Filterable properties: {', '.join(sorted(allowed or ()))}.",
        )
    return predicate


SortKey = Callable[[dict[str, Any]], tuple[str, ...]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def name_key(item: dict[str, Any]) -> tuple[str, ...]:
    name = item.get("supplierName", item.get("name"))
    return (_text(name).casefold(), item["id"])


def nominal_key(item: dict[str, Any]) -> tuple[str, ...]:
    return (_text(item.get("nominalCode")), item["id"])


def _token_scope(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_token(positions: dict[str, list[str] | None], scope: str) -> str:
    raw = exact_json.dumps({"s": _token_scope(scope), "after": positions})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(
    token: str | None, scope: str, names: Iterable[str]
) -> dict[str, tuple[str, ...] | None]:
    """The sort key of the last record each list's previous page ended on (None: start)."""
    names = list(names)
    if not token:
        return dict.fromkeys(names)
    try:
        padded = token + "=" * (-len(token) % 4)
        data = exact_json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        valid = data["s"] == _token_scope(scope) and set(after) == set(names)
        positions = {name: None if after[name] is None else tuple(after[name]) for name in names}
        valid = valid and all(
            key is None or all(isinstance(part, str) for part in key) for key in positions.values()
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise _bad_token()
    return positions


async def continuation_pages(
    session: AsyncSession,
    lists: Mapping[str, Source],
    *,
    token: str | None,
    scope: str,
    page_size: int,
    offsets: bool = False,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """One page of each list and the token for the next page (None after the last one).

    Keyset tokens (the default) remember the sort key of the last record served, so records
    added, paid or removed between two pages never make a later page skip or repeat one.
    Offset tokens (`offsets=True`) are Codat's: the next page's number, so a record that leaves
    the list between two pages shifts every later record one place forward.
    """
    if offsets:
        return await _offset_pages(session, lists, token=token, page_size=page_size)
    after = decode_token(token, scope, lists)
    pages: dict[str, list[dict[str, Any]]] = {}
    positions: dict[str, list[str] | None] = {}
    more = False
    for name, source in lists.items():
        last = after[name]
        try:
            remaining = await source.after(session, last, page_size + 1)
        except ValueError:
            raise _bad_token() from None
        pages[name] = remaining[:page_size]
        more = more or len(remaining) > page_size
        end = source.key(pages[name][-1]) if pages[name] else last
        positions[name] = None if end is None else list(end)
    return pages, (encode_token(positions, scope) if more else None)


async def _offset_pages(
    session: AsyncSession,
    lists: Mapping[str, Source],
    *,
    token: str | None,
    page_size: int,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Page N of each list. The token has the shape of Codat's own (base64 of
    `{"page": 2, "pageSize": 100, "pageCount": 11}`), and like Codat's it is not tied to a query."""
    page = 1
    if token:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = exact_json.loads(base64.b64decode(padded.encode(), validate=True))
            page, page_size = int(data["page"]), int(data["pageSize"])
            if page < 1 or not 1 <= page_size <= MAX_SERVED_PAGE_SIZE:
                raise ValueError(page)
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise ApiError(
                400, "The continuation token is not valid; start again without a token."
            ) from None
    start = (page - 1) * page_size
    pages: dict[str, list[dict[str, Any]]] = {}
    count = 1
    for name, source in lists.items():
        pages[name] = await source.window(session, start, page_size)
        count = max(count, -(-(await source.count(session)) // page_size))
    if page >= count:
        return pages, None
    raw = exact_json.dumps({"page": page + 1, "pageSize": page_size, "pageCount": count})
    return pages, base64.b64encode(raw.encode()).decode()


def _bad_token() -> ApiError:
    return ApiError(
        400,
        "The continuation token is not valid for this request; "
        "start again without a token, keeping the same query.",
    )


def filtered(
    items: Sequence[dict[str, Any]],
    predicate: RecordFilter | None,
    view: Callable[[dict[str, Any]], dict[str, Any]] = lambda item: item,
) -> list[dict[str, Any]]:
    if predicate is None:
        return list(items)
    return [item for item in items if predicate(view(item))]


def ordered(items: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    if not order_by:
        return items
    field = order_by.strip()
    descending = field.startswith("-")
    field = field.lstrip("-")

    def key(item: dict[str, Any]) -> tuple[bool, str]:
        value = item.get(field)
        return (value is None, "" if value is None else str(value))

    return sorted(items, key=key, reverse=descending)


def paging_info(
    results: list[dict[str, Any]], *, total: int, page: int, page_size: int, path: str
) -> dict[str, Any]:
    def href(number: int) -> dict[str, str]:
        return {"href": f"{path}?page={number}&pageSize={page_size}"}

    links = {"self": {"href": path}, "current": href(page)}
    if page * page_size < total:
        links["next"] = href(page + 1)
    if page > 1:
        links["previous"] = href(page - 1)
    return {
        "results": results,
        "pageNumber": page,
        "pageSize": page_size,
        "totalResults": total,
        "_links": links,
    }


def numbered_page(
    items: list[dict[str, Any]], *, page: int, page_size: int, path: str
) -> dict[str, Any]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise invalid(f"page must be 1 or more and pageSize between 1 and {MAX_PAGE_SIZE}.")
    page_size = min(page_size, MAX_SERVED_PAGE_SIZE)
    start = (page - 1) * page_size
    return paging_info(
        items[start : start + page_size],
        total=len(items),
        page=page,
        page_size=page_size,
        path=path,
    )
