"""Pages of the payables lists read from SQL: a page costs a few indexed statements however many
records the connection holds.

A list is a `Source`: the rows a SQL statement selects, in the order of the list's sort key,
plus a few records worked out in Python (`extra`: the bills whose payments reads cannot see
yet, shown as they were, or a whole list filtered in Python when its query names a field with no
column). Both page modes merge the two in key order:

- keyset (`after`): the rows after the last key served, one more than a page to know whether
  another follows;
- offset (Codat's page numbers, `window`): each extra record's place among the rows is counted
  (`count_before`), so the rows' own offset and limit can be worked out exactly; the page count
  needs one `COUNT`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

Record = dict[str, Any]
SortKey = Callable[[Record], tuple[str, ...]]


@dataclass
class Source:
    """One list: `statement` selects its rows (ORM entities, or None for none), `order` are the
    columns its sort key is made of, `view` serves a row, `key` is the served record's sort key
    and `key_values` turns a sort key back into the columns' values (ValueError if it cannot).
    `extra` are records served from Python, already filtered."""

    key: SortKey
    statement: Select[Any] | None = None
    order: Sequence[Any] = ()
    view: Callable[[Any], Record] = lambda row: row
    key_values: Callable[[tuple[str, ...]], tuple[Any, ...]] = lambda key: key
    extra: list[Record] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.extra = sorted(self.extra, key=self.key)

    async def after(
        self, session: AsyncSession, last: tuple[str, ...] | None, limit: int
    ) -> list[Record]:
        """The first `limit` records whose key is beyond `last`, in key order."""
        extra = [item for item in self.extra if last is None or self.key(item) > last]
        rows: list[Record] = []
        if self.statement is not None:
            statement = self.statement
            if last is not None:
                statement = statement.where(tuple_(*self.order) > tuple_(*self.key_values(last)))
            found = await session.scalars(statement.order_by(*self.order).limit(limit))
            rows = [self.view(row) for row in found]
        return list(heapq.merge(rows, extra, key=self.key))[:limit]

    async def count(self, session: AsyncSession) -> int:
        return await self._count(session, self.statement) + len(self.extra)

    async def window(self, session: AsyncSession, start: int, size: int) -> list[Record]:
        """Records `start` to `start + size` of the list, in key order."""
        if self.statement is None:
            return self.extra[start : start + size]
        places = [
            index + await self._count_before(session, self.key(item))
            for index, item in enumerate(self.extra)
        ]
        inside = [
            item
            for place, item in zip(places, self.extra, strict=True)
            if start <= place < start + size
        ]
        before = sum(1 for place in places if place < start)
        wanted = size - len(inside)
        rows: list[Record] = []
        if wanted > 0:
            found = await session.scalars(
                self.statement.order_by(*self.order).offset(start - before).limit(wanted)
            )
            rows = [self.view(row) for row in found]
        return list(heapq.merge(rows, inside, key=self.key))

    async def _count_before(self, session: AsyncSession, key: tuple[str, ...]) -> int:
        assert self.statement is not None
        return await self._count(
            session, self.statement.where(tuple_(*self.order) < tuple_(*self.key_values(key)))
        )

    @staticmethod
    async def _count(session: AsyncSession, statement: Select[Any] | None) -> int:
        if statement is None:
            return 0
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return int(await session.scalar(counted) or 0)


def in_memory(items: Sequence[Record], key: SortKey) -> Source:
    """A list worked out whole in Python."""
    return Source(key=key, extra=list(items))
