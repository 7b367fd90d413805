"""`Mirror`: the door to the mirror of each linked company's payables data.

- Syncs: `sync_now` reads a connection's bills and suppliers into the mirror: whole when it has
  never been filled, otherwise what changed since its watermark (`billpay.mirror.sync`), and,
  when one is due, a slice of the periodic re-read of the outstanding bills, which reads every
  bill again within `BILLPAY_MIRROR_FULL_SYNC_HOURS` a slice a day (whole at once for a
  company of few bills; `billpay.mirror.slices`). One replica syncs a
  connection at a time: each sync is claimed (`billpay.store.claims`, kind "mirror", subject
  "<state id>#<generation>"), so a second replica trying the same sync loses the claim and
  leaves a word (`wanted`) that makes the holder read once more when it is done. `fill_soon`
  runs a sync in the background (a channel just linked); `data_changed` (webhooks) and
  `sync_due` (the scheduler) ask for incremental ones. Within a process, asks for a connection
  already syncing coalesce into one more read after it.
- Readers: the mirrored outstanding bills, a supplier's bills, suppliers, mapping options and
  bill attachments, with `freshness` (never filled, filling and how far, or as of when). A
  reader of a connection never filled waits a moment for a fill it starts, then raises
  `MirrorFilling` rather than read live.
- `live_bill`: the bill as the API has it now, for decisions about money (`billpay.mirror.live`).

The parts: `billpay.mirror.base` (what they share), `billpay.mirror.claimed_sync` (one sync and
what it records), `billpay.mirror.syncing` (claims, asks and the schedule) and
`billpay.mirror.readers` (readers and freshness).
"""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime

from billpay.mirror import store
from billpay.mirror.live import live_bill
from billpay.mirror.readers import Readers
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.store.models import CompanyLink


class Mirror(Readers):
    """The door other areas use: syncs, readers, freshness and the live re-read."""

    def with_reads(self, reads: PayablesClient) -> Mirror:
        """The same mirror, whose live reads go through `reads` (a payment's own priority)."""
        clone = copy.copy(self)
        clone.reads = reads
        return clone

    async def last_synced(self, company_id: str) -> datetime | None:
        """When the company's bills were last read into the mirror (None: never)."""
        return await store.last_synced(self.db, company_id)

    async def settled(self) -> None:
        """Wait for the background syncs running in this process."""
        while running := [t for t in (*self._asks, *self._tasks.values()) if not t.done()]:
            await asyncio.wait(running)

    async def aclose(self) -> None:
        tasks = [*self._asks, *self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # The writes the cut-off syncs were making end before the database is closed.
        await asyncio.gather(*self._writing, return_exceptions=True)

    async def live_bill(self, link: CompanyLink, bill_id: str) -> models.Bill:
        """The bill as the payables API has it now, in at most two calls when the mirror
        knows it (`billpay.mirror.live`); the mirror is updated with what was read. Raises
        `BillNotOutstanding` as `PayablesClient.get_bill` does."""
        return await live_bill(
            self.db,
            self.reads,
            link.company_id,
            link.connection_id,
            bill_id,
            overlap=self.overlap,
            clock=self.clock,
        )
