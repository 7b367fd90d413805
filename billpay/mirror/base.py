"""What every part of `Mirror` works with: the database, the payables clients (a person's reads
and the syncs' own), the clock, the timings from the settings, and the syncs running in this
process; with the types the parts share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from billpay.config import Settings
from billpay.payables import models
from billpay.payables.budget import CallBudget
from billpay.payables.client import PayablesClient
from billpay.store.claims import Claimant
from billpay.store.db import Database

CLAIM_KIND = "mirror"
# How long a reader of a connection never filled waits for the fill it started.
FIRST_FILL_WAIT_SECONDS = 6.0

Key = tuple[str, str]  # (company id, connection id)
Finished = Callable[["Synced | None"], Awaitable[None]]
# Told of the bills an incremental sync read (changed lately), once they are mirrored: the
# cards already posted for them are brought up to date (`billpay.services` sets it).
BillsRead = Callable[[str, str, list[models.Bill]], Awaitable[None]]


@dataclass(frozen=True)
class Synced:
    """What one sync did."""

    full: bool
    bills: int  # outstanding bills after a whole read; bills changed after an incremental one
    passes: int = 1
    slice: tuple[int, int] | None = None  # a slice of the periodic re-read: which, of how many


class MirrorBase:
    """The state the parts of `Mirror` share, set from the settings."""

    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
        claimant: Claimant,
        *,
        sync: PayablesClient | None = None,
        budget: CallBudget | None = None,
    ) -> None:
        self.db = db
        # Reads a person waits on (a form's options, a card's files, a live re-read) ...
        self.reads = reads
        # ... and the syncs' reads, which yield to them and to payments in the call budget.
        self.sync_reads = sync or reads
        self.budget = budget
        self.clock = clock
        self.claimant = claimant
        self.overlap = timedelta(seconds=settings.mirror_overlap_seconds)
        self.full_every = timedelta(hours=settings.mirror_full_sync_hours)
        self.sync_every = timedelta(seconds=settings.mirror_sync_seconds)
        self.stale_after = timedelta(seconds=settings.mirror_stale_seconds)
        self.options_for = timedelta(seconds=settings.mirror_options_seconds)
        # Bills paid this recently are mirrored by a whole read too: a new bill may repeat one.
        self.paid_look_back = timedelta(days=settings.duplicate_look_back_days)
        self.first_fill_wait = FIRST_FILL_WAIT_SECONDS
        self._tasks: dict[Key, asyncio.Task[Synced | None]] = {}
        self._again: set[Key] = set()
        self._asks: set[asyncio.Task[None]] = set()
        # Why the last background sync of a connection failed (cleared by the next that ends).
        self._failed: dict[Key, Exception] = {}
        self.on_bills_read: BillsRead | None = None
        # Companies whose suppliers a webhook said changed: their next sync reads them.
        self._suppliers_asked: set[str] = set()
        self._writing: set[asyncio.Task[None]] = set()

    async def _unbroken(self, write: Coroutine[Any, Any, None]) -> None:
        """Carry a write of the mirror through even when its sync is cut off (a stopping
        process cancels syncs): a transaction cancelled half-way leaves SQLite's write lock
        held until it is cleaned up. The sync stops once the write is done."""
        task = asyncio.ensure_future(write)
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)
        await asyncio.shield(task)
