"""A small in-process cache whose entries are trusted for a while: mapping options, supplier
lists, a bill's file count. Each replica keeps its own; what it holds is a hint for display or a
form, and every write checks again with the payables API."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class TtlCache(Generic[K, V]):
    """Entries younger than `ttl` seconds (or the `seconds` a reader asks for)."""

    ttl: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[K, tuple[float, V]] = field(default_factory=dict)

    def get(self, key: K, seconds: float | None = None) -> V | None:
        entry = self._entries.get(key)
        limit = self.ttl if seconds is None else seconds
        if entry is None or self.clock() - entry[0] > limit:
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self.clock(), value)

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)
