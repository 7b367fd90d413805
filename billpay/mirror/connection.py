"""The health of each linked company's connection to its accounting platform.

Nobody should learn that a company revoked Bill Pay's access only when a payment fails. What the
bot learns of a connection's status, from a webhook, from a read that returns the connection,
from a write refused because the connection is no longer Linked, or from a live check on a
schedule, goes through `ConnectionHealth.observe`. A change of status is one transaction: a
conditional update from the status read (two replicas seeing the same change change it once),
audited with before and after for every channel linked to the company. Then one replica claims
the announcement and tells Slack through `on_change`: flipping `announced_paused` and holding a
claim of kind `connection_notice` (`billpay.store.claims`) are one transaction, and the claim is
done once Slack was told. A replica that dies in between leaves the claim past its lease; another
replica's scheduler takes it over (`announce_left`) and says it, unless a later change of the
connection made it moot (that change is announced on its own).

While a connection is not Linked the work that would write through it waits: scheduled
payments, reminders and digests skip its links (`billpay.store.models.connection_paused`), and
its cards offer Reconnect instead of Pay. Its data stays readable, and stale: figures are as of
the time it stopped being linked (`ConnectionPause.since`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.core.domain import ConnectionPause
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesConnectionNotLinked, PayablesError
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import LINKED, AuditEvent, CompanyLink, ConnectionHealthRow

log = logging.getLogger(__name__)

# A live check of a connection: hourly while it is Linked, more often while it is not (to see
# it come back without a webhook), and backing off while the check itself fails.
CHECK_EVERY = timedelta(hours=1)
CHECK_PAUSED_EVERY = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)
# How many connections one scheduler tick checks at most.
CHECKS_PER_TICK = 20
# The claim on telling the channels that a connection paused or resumed; its subject is
# `<connection health row id>:<paused|linked>:<random>` (the random part: each change its own).
CLAIM_KIND = "connection_notice"


def is_linked(status: str) -> bool:
    return status == LINKED


@dataclass(frozen=True)
class ConnectionChange:
    """A connection's status changed and this process claimed saying so: the channels linked to
    it, and whether it is now paused (or resumed)."""

    company_id: str
    connection_id: str
    before: str
    after: str
    link_url: str | None
    links: list[CompanyLink]
    pause: ConnectionPause | None  # of the first link; None when it is linked again

    @property
    def paused(self) -> bool:
        return self.pause is not None


OnChange = Callable[[ConnectionChange], Awaitable[None]]


class ConnectionHealth:
    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        clock: Callable[[], datetime],
        claimant: Claimant,
        *,
        on_change: OnChange | None = None,
    ) -> None:
        self.db = db
        self.reads = reads
        self.clock = clock
        self.claimant = claimant
        # Set by the composition once Slack is there (`billpay.services`).
        self.on_change = on_change

    async def connection_changed(
        self, company_id: str, connection_id: str, status: str, link_url: str | None
    ) -> None:
        """A connection event from Codat's webhooks (`billpay.webhooks`)."""
        await self.observe(company_id, connection_id, status, link_url, source="webhook")

    async def observe(
        self,
        company_id: str,
        connection_id: str,
        status: str,
        link_url: str | None,
        *,
        source: str,
        platform_name: str | None = None,
    ) -> None:
        """Note the status the payables API gave for a connection (`source`: "webhook",
        "read", "payables_error", "check"). The same status again only notes when it was seen;
        a change is recorded and audited in one transaction, and announced once."""
        before: str | None = None
        for attempt in range(2):
            try:
                before = await self._record(
                    company_id, connection_id, status, link_url, platform_name, source
                )
                break
            except IntegrityError:
                if attempt:
                    raise  # another replica inserted the row: the second try updates it
        if before is not None:
            log.info(
                "connection %s of company %s: %s -> %s (%s)",
                connection_id,
                company_id,
                before,
                status,
                source,
            )
        await self._announce(company_id, connection_id)

    async def _record(
        self,
        company_id: str,
        connection_id: str,
        status: str,
        link_url: str | None,
        platform_name: str | None,
        source: str,
    ) -> str | None:
        """The status before, when this call changed it; None when nothing changed."""
        async with self.db.write() as s:
            now = self.clock()
            row = await self._row(s, company_id, connection_id, lock=True)
            if row is None:
                # Never seen before: the bot linked the channel through a Linked connection.
                row = ConnectionHealthRow(
                    company_id=company_id,
                    connection_id=connection_id,
                    status=status,
                    link_url=link_url,
                    platform_name=platform_name,
                    changed_at=now,
                    checked_at=now,
                    next_check_at=now + _interval(status, 0),
                    check_failures=0,
                    announced_paused=False,
                )
                s.add(row)
                await s.flush()
                if is_linked(status):
                    return None
                before = LINKED
            else:
                before = row.status
                noted = {
                    ConnectionHealthRow.checked_at: now,
                    ConnectionHealthRow.link_url: link_url or row.link_url,
                    ConnectionHealthRow.platform_name: platform_name or row.platform_name,
                }
                if before == status:
                    await s.execute(
                        update(ConnectionHealthRow)
                        .where(ConnectionHealthRow.id == row.id)
                        .values(
                            {
                                **noted,
                                ConnectionHealthRow.next_check_at: now + _interval(status, 0),
                                ConnectionHealthRow.check_failures: 0,
                            }
                        )
                    )
                    return None
                changed = await s.execute(
                    update(ConnectionHealthRow)
                    .where(ConnectionHealthRow.id == row.id, ConnectionHealthRow.status == before)
                    .values(
                        {
                            **noted,
                            ConnectionHealthRow.status: status,
                            ConnectionHealthRow.changed_at: now,
                            ConnectionHealthRow.next_check_at: now + _interval(status, 0),
                            ConnectionHealthRow.check_failures: 0,
                        }
                    )
                    .execution_options(synchronize_session=False)
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    return None  # another transaction changed it first
            for link in await _links_of(s, company_id, connection_id):
                s.add(
                    AuditEvent(
                        at=now,
                        team_id=link.team_id,
                        channel_id=link.channel_id,
                        actor="system",
                        action="connection_changed",
                        company_id=company_id,
                        bill_id=None,
                        details={"before": before, "after": status, "source": source},
                    )
                )
            return before

    async def _announce(self, company_id: str, connection_id: str) -> None:
        """Claim saying that the connection is paused (or resumed), once whichever replica
        saw it; then say it. The claim has a lease: a process that dies in between leaves it
        to be taken over (`announce_left`)."""
        async with self.db.write() as s:
            now = self.clock()
            row = await self._row(s, company_id, connection_id, lock=True)
            if row is None:
                return
            paused = not is_linked(row.status)
            claimed = await s.execute(
                update(ConnectionHealthRow)
                .where(
                    ConnectionHealthRow.id == row.id,
                    ConnectionHealthRow.status == row.status,
                    ConnectionHealthRow.announced_paused.is_(not paused),
                )
                .values(announced_paused=paused, announced_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
            subject = f"{row.id}:{_said(paused)}:{secrets.token_hex(6)}"
            claims.hold(s, self.claimant, CLAIM_KIND, subject, now)
            change = await _change(s, row, paused)
        await self._say(change, subject)

    async def announce_left(self) -> int:
        """The scheduler's tick: take over the announcements a replica that died left claimed
        past their lease, and make those still true (the connection still as announced).
        Returns how many were made."""
        now = self.clock()
        await claims.forget_done(self.db, CLAIM_KIND, now - timedelta(days=1))
        made = 0
        for held in await claims.take_over_expired(self.db, self.claimant, [CLAIM_KIND], now):
            change = await self._still_true(held.subject)
            if change is None:
                await claims.done(self.db, CLAIM_KIND, held.subject, now)
                continue
            log.warning("announcing the change of connection %s left unsaid", change.connection_id)
            await self._say(change, held.subject)
            made += 1
        return made

    async def _still_true(self, subject: str) -> ConnectionChange | None:
        row_id, said, *_ = [*subject.split(":"), "", ""]
        if not (row_id.isascii() and row_id.isdigit()) or said not in (_said(True), _said(False)):
            return None
        paused = said == _said(True)
        async with self.db.read() as s:
            row = await s.get(ConnectionHealthRow, int(row_id), populate_existing=True)
            if row is None or row.announced_paused != paused or is_linked(row.status) == paused:
                return None  # changed again since: that change has its own announcement
            return await _change(s, row, paused)

    async def _say(self, change: ConnectionChange, subject: str) -> None:
        if self.on_change is not None:
            try:
                await self.on_change(change)
            except Exception:
                log.exception(
                    "could not announce the change of connection %s", change.connection_id
                )
        await claims.done(self.db, CLAIM_KIND, subject, self.clock())

    async def is_paused(self, company_id: str, connection_id: str) -> bool:
        """Is the connection, as last seen, not Linked? (Never seen: it is as it was linked.)"""
        async with self.db.read() as s:
            row = await self._row(s, company_id, connection_id)
        return row is not None and not is_linked(row.status)

    async def pause_for(self, link: CompanyLink) -> ConnectionPause | None:
        """What a link's cards and answers say while its connection is not Linked; None while
        it is (or was never seen otherwise)."""
        async with self.db.read() as s:
            row = await self._row(s, link.company_id, link.connection_id)
        if row is None or is_linked(row.status):
            return None
        return _pause(row, link)

    async def state_of(self, link: CompanyLink) -> tuple[str, datetime] | None:
        """The link's connection as last seen: its status and when it was last read (or
        changed); None when never seen since linking."""
        async with self.db.read() as s:
            row = await self._row(s, link.company_id, link.connection_id)
        if row is None:
            return None
        return row.status, row.checked_at or row.changed_at

    async def pause_of_link(self, link_id: int) -> ConnectionPause | None:
        """`pause_for` the link with this id (a message being redrawn knows only that)."""
        async with self.db.read() as s:
            link = await s.get(CompanyLink, link_id)
            row = await self._row(s, link.company_id, link.connection_id) if link else None
        if link is None or row is None or is_linked(row.status):
            return None
        return _pause(row, link)

    async def check(self, link: CompanyLink, *, source: str = "check") -> str | None:
        """Read the connection live and observe its status; the status, or None when the
        read failed (the next check backs off)."""
        try:
            connection = await self.reads.get_connection(link.company_id, link.connection_id)
        except PayablesError as exc:
            log.warning("connection %s: the check failed: %r", link.connection_id, exc)
            await self._check_failed(link)
            return None
        status = connection.status
        await self.observe(
            link.company_id,
            link.connection_id,
            status,
            connection.link_url,
            source=source,
            platform_name=connection.platform_name,
        )
        return status

    async def write_refused(self, link: CompanyLink, error: PayablesConnectionNotLinked) -> None:
        """A write was refused because the connection is no longer Linked: check it live (for
        where to reconnect it), else take the answer's word for its status."""
        if await self.check(link, source="payables_error") is None:
            await self.observe(
                link.company_id,
                link.connection_id,
                error.connection_status or "Deauthorized",
                None,
                source="payables_error",
            )

    async def due_checks(self, now: datetime) -> list[CompanyLink]:
        """One link per connection whose scheduled check has come (or that was never seen)."""
        async with self.db.read() as s:
            links = list(
                await s.scalars(
                    select(CompanyLink)
                    .where(CompanyLink.archived.is_(False))
                    .order_by(CompanyLink.id)
                )
            )
            rows = {
                (r.company_id, r.connection_id): r
                for r in await s.scalars(select(ConnectionHealthRow))
            }
        due: dict[tuple[str, str], CompanyLink] = {}
        for link in links:
            key = (link.company_id, link.connection_id)
            row = rows.get(key)
            if key in due:
                continue
            if row is None or row.next_check_at is None or row.next_check_at <= now:
                due[key] = link
        return list(due.values())[:CHECKS_PER_TICK]

    async def check_due(self) -> int:
        """The scheduler's tick: check every connection whose time has come. How many."""
        links = await self.due_checks(self.clock())
        for link in links:
            await self.check(link)
        return len(links)

    async def _check_failed(self, link: CompanyLink) -> None:
        async with self.db.write() as s:
            now = self.clock()
            row = await self._row(s, link.company_id, link.connection_id, lock=True)
            if row is None:
                s.add(
                    ConnectionHealthRow(
                        company_id=link.company_id,
                        connection_id=link.connection_id,
                        status=LINKED,
                        platform_name=link.platform_name,
                        changed_at=now,
                        next_check_at=now + _interval(LINKED, 1),
                        check_failures=1,
                        announced_paused=False,
                    )
                )
                return
            row.check_failures += 1
            row.next_check_at = now + _interval(row.status, row.check_failures)

    @staticmethod
    async def _row(
        s: AsyncSession, company_id: str, connection_id: str, *, lock: bool = False
    ) -> ConnectionHealthRow | None:
        query = select(ConnectionHealthRow).where(
            ConnectionHealthRow.company_id == company_id,
            ConnectionHealthRow.connection_id == connection_id,
        )
        if lock:
            query = query.with_for_update()
        return await s.scalar(query.execution_options(populate_existing=True))


def _interval(status: str, failures: int) -> timedelta:
    base = CHECK_EVERY if is_linked(status) else CHECK_PAUSED_EVERY
    return min(base * 2 ** min(failures, 8), MAX_BACKOFF)


def _said(paused: bool) -> str:
    return "paused" if paused else "linked"


async def _change(s: AsyncSession, row: ConnectionHealthRow, paused: bool) -> ConnectionChange:
    links = await _links_of(s, row.company_id, row.connection_id)
    return ConnectionChange(
        company_id=row.company_id,
        connection_id=row.connection_id,
        before="Linked" if paused else "not linked",
        after=row.status,
        link_url=row.link_url,
        links=links,
        pause=_pause(row, links[0]) if paused and links else None,
    )


def _pause(row: ConnectionHealthRow, link: CompanyLink) -> ConnectionPause:
    return ConnectionPause(
        company_name=link.company_name,
        platform=row.platform_name or link.platform_name,
        status=row.status,
        link_url=row.link_url,
        since=row.changed_at,
    )


async def _links_of(s: AsyncSession, company_id: str, connection_id: str) -> list[CompanyLink]:
    return list(
        await s.scalars(
            select(CompanyLink)
            .where(
                CompanyLink.company_id == company_id,
                CompanyLink.connection_id == connection_id,
                CompanyLink.archived.is_(False),
            )
            .order_by(CompanyLink.id)
        )
    )
