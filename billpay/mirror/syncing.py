"""Who syncs which connection, and when: `sync_now` claims a connection's sync (one replica at a
time; a replica that loses the claim leaves a word that makes the holder read once more),
`fill_soon` runs one in the background, `data_changed` (webhooks) and `sync_due` (the
scheduler) ask for them; within a process, asks for a connection already syncing coalesce into
one more read after it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from billpay.mirror import store
from billpay.mirror.base import CLAIM_KIND, Finished, Key, Synced
from billpay.mirror.claimed_sync import ClaimedSync
from billpay.mirror.sync import Progress
from billpay.store import claims
from billpay.store.models import CompanyLink, MirroredOptions, MirrorState

log = logging.getLogger(__name__)

# The data types a sync reads (what a webhook names); others are read with the mapping options.
SYNCED_TYPES = frozenset({"bills", "suppliers", "billPayments"})
# Asks for another read that came while one ran: at most this many more in a row.
MAX_RERUNS = 2


class Syncing(ClaimedSync):
    """`Mirror`'s part that claims, asks for and schedules syncs."""

    async def sync_now(
        self,
        company_id: str,
        connection_id: str,
        *,
        full: bool | None = None,
        progress: Progress | None = None,
        ask_again: bool = True,
        unless_within: timedelta | None = None,
    ) -> Synced | None:
        """Sync the connection now (whole with `full=True`; by default whole only when due).
        Returns None when another replica holds this sync; with `ask_again` (something
        changed since it began) that replica reads once more when it is done. With
        `unless_within`, a connection synced that recently (by any replica) is left alone."""
        subject = await self._claim(
            company_id, connection_id, ask_again=ask_again, unless_within=unless_within
        )
        if subject is None:
            return None
        result: Synced | None = None
        for _ in range(MAX_RERUNS + 1):
            result = await self._sync_claimed(
                company_id, connection_id, subject, full=full, progress=progress
            )
            subject = await self._claim(company_id, connection_id, unless_wanted=True)
            if subject is None:
                return result
            full = None
        if subject is not None:  # asked again too often in a row: the next tick reads it
            await self._release(company_id, connection_id, subject)
        return result

    def fill_soon(
        self,
        company_id: str,
        connection_id: str,
        progress: Progress | None = None,
        finished: Finished | None = None,
    ) -> asyncio.Task[Synced | None]:
        """Sync the connection in the background (whole if it was never filled); `progress`
        hears of each page of a whole read, `finished` of the end (None: it failed, or
        another replica ran it)."""
        key = (company_id, connection_id)
        task = self._tasks.get(key)
        if task is not None and not task.done():
            self._again.add(key)
            return task
        task = asyncio.create_task(
            self._background(key, progress, finished), name=f"mirror {company_id}"
        )
        self._tasks[key] = task
        return task

    def data_changed(self, company_id: str, data_type: str | None = None) -> None:
        """The payables API says the company's data changed (`data_type`: "bills",
        "suppliers", "bankAccounts"... or None for any): read its connections' changes soon.
        Another data type (accounts, tax rates) has the mirrored mapping options read again
        at their next use. Safe to call many times: asks for a connection already syncing
        coalesce into one more read after it."""
        if data_type in (None, "suppliers"):
            self._suppliers_asked.add(company_id)
        task = asyncio.get_running_loop().create_task(self._changed(company_id, data_type))
        self._asks.add(task)
        task.add_done_callback(self._asks.discard)

    async def _changed(self, company_id: str, data_type: str | None) -> None:
        try:
            if data_type not in SYNCED_TYPES:
                async with self.db.write() as s:
                    await s.execute(
                        delete(MirroredOptions).where(MirroredOptions.company_id == company_id)
                    )
            if data_type is not None and data_type not in SYNCED_TYPES:
                return
            for connection_id in await self._connections_of(company_id):
                self.fill_soon(company_id, connection_id)
        except Exception:
            log.exception("could not look up the connections of %s to sync them", company_id)

    async def sync_due(self) -> int:
        """The scheduler's tick: take over syncs a dead replica left, and sync every linked
        connection whose last sync is older than `BILLPAY_MIRROR_SYNC_SECONDS`. Returns how
        many syncs this replica ran."""
        if self.budget is not None and self.budget.sync_paused():
            log.info("the mirror's syncs wait: the payables API's daily allowance is used up")
            return 0
        now = self.clock()
        ran = 0
        # Each sync names its own claim (its generation): once done, a claim decides nothing.
        await claims.forget_done(self.db, CLAIM_KIND, now - timedelta(days=1))
        for held in await claims.take_over_expired(self.db, self.claimant, [CLAIM_KIND], now):
            key = await self._key_of(held.subject)
            if key is None:
                await claims.done(self.db, CLAIM_KIND, held.subject, now)
                continue
            try:
                await self._sync_claimed(*key, held.subject, full=None)
                ran += 1
            except Exception:
                log.exception("a sync of the mirror of %s failed; the next one tries again", key[0])
        for key in await self._linked():
            st = await store.state(self.db, *key, store.BILLS)
            last = st.last_sync if st is not None else None
            if last is not None and now - last < self.sync_every:
                continue
            try:
                # The same tick in another replica needs no second read.
                synced = await self.sync_now(*key, ask_again=False, unless_within=self.sync_every)
                if synced is not None:
                    ran += 1
            except Exception:
                log.exception("a sync of the mirror of %s failed; the next one tries again", key[0])
        return ran

    async def _background(
        self, key: Key, progress: Progress | None, finished: Finished | None
    ) -> Synced | None:
        result = await self._logged(key, progress)
        if finished is not None:
            try:
                await finished(result)
            except Exception:
                log.exception("could not say how the read of %s ended", key[0])
        while key in self._again:
            self._again.discard(key)
            result = await self._logged(key, None) or result
        return result

    async def _logged(self, key: Key, progress: Progress | None) -> Synced | None:
        try:
            result = await self.sync_now(*key, progress=progress)
        except Exception as exc:
            log.warning(
                "a sync of the mirror of %s failed; the next one tries again", key[0], exc_info=exc
            )
            self._failed[key] = exc
            return None
        self._failed.pop(key, None)
        return result

    async def _claim(
        self,
        company_id: str,
        connection_id: str,
        *,
        unless_wanted: bool = False,
        ask_again: bool = True,
        unless_within: timedelta | None = None,
    ) -> str | None:
        """Claim the connection's next sync; None when another replica holds it (it is told
        to read once more) or, with `unless_wanted`, when nobody asked for another."""
        now = self.clock()
        try:
            async with self.db.write() as s:
                row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
                if unless_wanted and not row.wanted:
                    return None
                last = row.last_incremental_sync
                if unless_within is not None and last is not None and now - last < unless_within:
                    return None
                subject = f"{row.id}#{row.generation}"
                row.wanted = False
                claims.hold(s, self.claimant, CLAIM_KIND, subject, now)
            return subject
        except IntegrityError:
            if ask_again and not unless_wanted:
                async with self.db.write() as s:
                    await s.execute(
                        update(MirrorState)
                        .where(
                            MirrorState.company_id == company_id,
                            MirrorState.connection_id == connection_id,
                            MirrorState.dataset == store.BILLS,
                        )
                        .values(wanted=True)
                    )
            log.info("the mirror of %s is being synced by another replica", company_id)
            return None

    async def _release(self, company_id: str, connection_id: str, subject: str) -> None:
        async with self.db.write() as s:
            row = await store.state_for_update(s, company_id, connection_id, store.BILLS)
            row.generation += 1
            row.wanted = True
            await claims.finish(s, CLAIM_KIND, subject, self.clock())

    async def _connections_of(self, company_id: str) -> list[str]:
        async with self.db.read() as s:
            rows = await s.scalars(
                select(CompanyLink.connection_id)
                .where(CompanyLink.company_id == company_id, CompanyLink.archived.is_(False))
                .distinct()
            )
            return list(rows)

    async def _linked(self) -> list[Key]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink.company_id, CompanyLink.connection_id)
                .where(CompanyLink.archived.is_(False))
                .distinct()
            )
            return [(company, connection) for company, connection in rows]

    async def _key_of(self, subject: str) -> Key | None:
        state_id = subject.split("#", 1)[0]
        if not (state_id.isascii() and state_id.isdigit()):
            return None
        async with self.db.read() as s:
            row = await s.get(MirrorState, int(state_id))
            return (row.company_id, row.connection_id) if row is not None else None
