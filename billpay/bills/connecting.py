"""Connecting a company's accounting platform from Slack, as Codat's flow goes: choose or
create a company, create a connection for a platform (it is `PendingAuth`, with a `linkUrl`),
the company authorises it at that link, and the connection becomes `Linked`; then the
channel is linked to it.

`Connecting.start` does the first half and returns either the link (the company already had
a Linked accounting connection) or a `Waiting` connection, recorded in `pending_connections`
with the channel it will link. The second half comes from Codat's `connection.connected`
webhook (`connection_changed`), or, without webhooks, from polling: each scheduler tick reads
the waiting connections whose next look has come (`poll_due`), backing off from seconds to
minutes, and gives up after `BILLPAY_CONNECT_WAIT_MINUTES`. A look is claimed by one
conditional update of the row (and its `claims` row, kind `connect_poll`), so several
replicas read each connection once per look; its end is claimed the same way (waiting →
linked | expired), so the channel is linked and told once whichever replica sees it first.

What the channel is told is the Slack edge's (`on_done`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from billpay.bills.companies import (
    ACCOUNTING,
    LINKED,
    PENDING,
    Companies,
    accounting,
    linked_accounting,
    platform_of,
)
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.core.mrkdwn import escape
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import CompanyLink, PendingConnection

log = logging.getLogger(__name__)

POLL_KIND = "connect_poll"
# The first look without webhooks, then doubling up to the longest wait between two looks.
FIRST_POLL = timedelta(seconds=10)
FIRST_POLL_WITH_WEBHOOKS = timedelta(minutes=2)
LONGEST_POLL = timedelta(minutes=5)
WAITING, DONE_LINKED, EXPIRED, REPLACED, REFUSED = (
    "waiting",
    "linked",
    "expired",
    "replaced",
    "refused",
)


@dataclass(frozen=True)
class Waiting:
    """A connection created (or found pending) that the company must authorise at `link_url`."""

    pending: PendingConnection
    link_url: str


@dataclass(frozen=True)
class Linked:
    link: CompanyLink
    created: bool


@dataclass(frozen=True)
class Done:
    """How a waiting connection ended: linked (`link`), given up (`expired`) or refused when
    linking (`refusal`, e.g. the company was linked to another channel meanwhile)."""

    pending: PendingConnection
    link: CompanyLink | None = None
    created: bool = False
    expired: bool = False
    refusal: Denied | None = None


OnDone = Callable[[Done], Awaitable[None]]


def poll_delay(checks: int, *, webhooks: bool) -> timedelta:
    first = FIRST_POLL_WITH_WEBHOOKS if webhooks else FIRST_POLL
    return min(first * 2 ** min(checks, 10), LONGEST_POLL)


class Connecting:
    def __init__(
        self,
        db: Database,
        links: Links,
        reads: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
        claimant: Claimant,
        *,
        webhooks: bool,
    ) -> None:
        self.db = db
        self.links = links
        self.reads = reads
        self.settings = settings
        self.clock = clock
        self.claimant = claimant
        self.webhooks = webhooks
        self.companies: Companies = links.companies
        # Set by the Slack edge: tells the channel how a waiting connection ended.
        self.on_done: OnDone | None = None

    async def start(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        *,
        company_id: str | None,
        new_name: str | None,
        platform_key: str | None,
        key: str,
        language: str | None,
        time_zone: str | None,
    ) -> Linked | Waiting:
        """Link the channel now, or create the connection to authorise. `key` makes a form
        sent twice create one company and one connection (the payables API's idempotency)."""
        self.links.may_link(user_id)
        platform = platform_of(platform_key) if platform_key else None
        if company_id:
            company = await self.companies.get(team_id, company_id)
        elif new_name and new_name.strip():
            company = await self.companies.create(team_id, new_name, key=_derived(key, "company"))
        else:
            raise Denied(N_("Choose a company, or name a new one."))
        linked = linked_accounting(company, platform_key)
        if linked is not None:
            link, created = await self.links.link_company(
                team_id, channel_id, user_id, company, linked, language=language
            )
            return Linked(link, created)
        if platform_key is None or platform is None:
            raise Denied(
                N_(
                    "{company} has no linked accounting platform yet: choose the platform to "
                    "connect it to."
                ),
                company=escape(company.name),
            )
        connection = next(
            (
                c
                for c in accounting(company.data_connections)
                if c.integration_key == platform_key and c.status == PENDING and c.link_url
            ),
            None,
        )
        if connection is None:
            connection = await self.reads.create_connection(
                company.id,
                platform_key,
                idempotency_key=_derived(key, f"connection:{company.id}:{platform_key}"),
            )
        if connection.source_type not in (None, ACCOUNTING) or not connection.link_url:
            raise Denied(
                N_("{platform} can't be connected for bills; choose another platform."),
                platform=escape(platform),
            )
        pending = await self._record(
            team_id,
            channel_id,
            user_id,
            company,
            connection,
            connection.platform_name or platform,
            language=language,
            time_zone=time_zone,
        )
        return Waiting(pending, connection.link_url)

    async def _record(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        company: models.Company,
        connection: models.Connection,
        platform_name: str,
        *,
        language: str | None,
        time_zone: str | None,
    ) -> PendingConnection:
        """The waiting connection, with the channel it links: one per connection (a second
        request for it takes it over), one waiting per channel (the last one asked)."""
        async with self.db.write() as s:
            now = self.clock()
            await s.execute(
                update(PendingConnection)
                .where(
                    PendingConnection.team_id == team_id,
                    PendingConnection.channel_id == channel_id,
                    PendingConnection.status == WAITING,
                    PendingConnection.connection_id != connection.id,
                )
                .values(status=REPLACED, finished_at=now, next_check_at=None)
            )
            row = await s.scalar(
                select(PendingConnection)
                .where(
                    PendingConnection.company_id == company.id,
                    PendingConnection.connection_id == connection.id,
                )
                .with_for_update()
            )
            if row is None:
                row = PendingConnection(company_id=company.id, connection_id=connection.id)
                s.add(row)
            row.team_id, row.channel_id, row.requested_by = team_id, channel_id, user_id
            row.company_name = company.name
            row.platform_name = platform_name
            row.language, row.time_zone = language, time_zone
            row.message_ts = None
            row.status = WAITING
            row.created_at = now
            row.expires_at = now + timedelta(minutes=self.settings.connect_wait_minutes)
            row.checks = 0
            row.next_check_at = now + poll_delay(0, webhooks=self.webhooks)
            row.finished_at = None
            await s.flush()
            return row

    async def shown(self, pending_id: int, message_ts: str) -> bool:
        """Where the channel was told it waits: the message its end replaces. False when it
        ended already (the webhook came first, and its outcome was posted on its own)."""
        async with self.db.write() as s:
            result = await s.execute(
                update(PendingConnection)
                .where(PendingConnection.id == pending_id, PendingConnection.status == WAITING)
                .values(message_ts=message_ts)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def drop_waiting(self, link: CompanyLink) -> list[PendingConnection]:
        """The channel was linked (to `link`'s connection): another connection still waiting
        for it no longer links it. Those dropped, to say so where each was waited for."""
        async with self.db.write() as s:
            rows = list(
                await s.scalars(
                    select(PendingConnection)
                    .where(
                        PendingConnection.team_id == link.team_id,
                        PendingConnection.channel_id == link.channel_id,
                        PendingConnection.status == WAITING,
                        PendingConnection.connection_id != link.connection_id,
                    )
                    .with_for_update()
                )
            )
            now = self.clock()
            for row in rows:
                row.status, row.finished_at, row.next_check_at = REPLACED, now, None
            await s.flush()
            return rows

    async def waiting_in(self, team_id: str, channel_id: str) -> PendingConnection | None:
        async with self.db.read() as s:
            return await s.scalar(
                select(PendingConnection).where(
                    PendingConnection.team_id == team_id,
                    PendingConnection.channel_id == channel_id,
                    PendingConnection.status == WAITING,
                )
            )

    # ------------------------------------------------------------ the end of the wait

    async def connection_changed(
        self, company_id: str, connection_id: str, status: str, link_url: str | None
    ) -> None:
        """A connection event (`connection.connected`): a waiting connection now Linked links
        its channel."""
        if status == LINKED:
            await self.finish(company_id, connection_id)

    async def finish(self, company_id: str, connection_id: str) -> Done | None:
        """Link the channel a waiting connection was for, once, and tell it (`on_done`).
        None when no connection waits (already linked, given up, or not ours)."""
        pending = await self._claim_end(company_id, connection_id, DONE_LINKED)
        if pending is None:
            return None
        try:
            company = await self.reads.get_company(company_id)
            connection = await self.reads.get_connection(company_id, connection_id)
            link, created = await self.links.link_company(
                pending.team_id,
                pending.channel_id,
                pending.requested_by,
                company,
                connection,
                language=pending.language,
            )
        except Denied as refusal:
            await self._set_status(pending.id, REFUSED)
            done = Done(pending, refusal=refusal)
        except PayablesError:
            # Not linked after all: the wait goes on, and the next look tries again.
            await self._set_status(pending.id, WAITING, next_check_at=self.clock())
            raise
        else:
            done = Done(pending, link=link, created=created)
        await self._tell(done)
        return done

    async def poll_due(self) -> int:
        """The scheduler's tick: read each waiting connection whose look has come (claimed,
        so once across replicas), link those now Linked, give up on those past their time.
        How many were looked at."""
        now = self.clock()
        async with self.db.read() as s:
            due = list(
                await s.scalars(
                    select(PendingConnection)
                    .where(
                        PendingConnection.status == WAITING,
                        or_(
                            PendingConnection.next_check_at <= now,
                            PendingConnection.expires_at <= now,
                        ),
                    )
                    .order_by(PendingConnection.next_check_at)
                    .limit(20)
                )
            )
        for row in due:
            try:
                await self._look(row, now)
            except Exception:
                log.exception("could not look at waiting connection %s", row.connection_id)
        await claims.forget_done(self.db, POLL_KIND, now - timedelta(days=1))
        return len(due)

    async def _look(self, row: PendingConnection, now: datetime) -> None:
        if row.expires_at <= now:
            pending = await self._claim_end(row.company_id, row.connection_id, EXPIRED)
            if pending is not None:
                await self._tell(Done(pending, expired=True))
            return
        subject = f"{row.id}:{row.checks}"
        async with self.db.write() as s:
            taken = await s.execute(
                update(PendingConnection)
                .where(
                    PendingConnection.id == row.id,
                    PendingConnection.status == WAITING,
                    PendingConnection.checks == row.checks,
                )
                .values(
                    checks=row.checks + 1,
                    next_check_at=now + poll_delay(row.checks + 1, webhooks=self.webhooks),
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return  # another replica looks this time
            claims.hold(s, self.claimant, POLL_KIND, subject, now)
        try:
            connection = await self.reads.get_connection(row.company_id, row.connection_id)
        finally:
            await claims.done(self.db, POLL_KIND, subject, self.clock())
        if connection.status == LINKED:
            await self.finish(row.company_id, row.connection_id)

    async def _claim_end(
        self, company_id: str, connection_id: str, status: str
    ) -> PendingConnection | None:
        async with self.db.write() as s:
            now = self.clock()
            ended = await s.execute(
                update(PendingConnection)
                .where(
                    PendingConnection.company_id == company_id,
                    PendingConnection.connection_id == connection_id,
                    PendingConnection.status == WAITING,
                )
                .values(status=status, finished_at=now, next_check_at=None)
            )
            if ended.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await s.scalar(
                select(PendingConnection)
                .where(
                    PendingConnection.company_id == company_id,
                    PendingConnection.connection_id == connection_id,
                )
                .execution_options(populate_existing=True)
            )

    async def _set_status(
        self, pending_id: int, status: str, *, next_check_at: datetime | None = None
    ) -> None:
        async with self.db.write() as s:
            await s.execute(
                update(PendingConnection)
                .where(PendingConnection.id == pending_id)
                .values(
                    status=status,
                    next_check_at=next_check_at,
                    finished_at=None if status == WAITING else self.clock(),
                )
            )

    async def _tell(self, done: Done) -> None:
        if self.on_done is None:
            log.warning("nobody to tell how connection %s ended", done.pending.connection_id)
            return
        await self.on_done(done)


def _derived(key: str, what: str) -> str:
    """One form's key for each request it makes: the API refuses a key reused elsewhere."""
    return str(uuid.uuid5(uuid.UUID(key), what))


def expired_words(pending: PendingConnection, minutes: float) -> Phrase:
    return Phrase(
        N_(
            "{platform} wasn't authorised for {company} within {minutes} minutes, so I stopped "
            "waiting. Run `/billpay connect` again for a new link."
        ),
        platform=escape(pending.platform_name),
        company=escape(pending.company_name),
        minutes=int(minutes),
    )
