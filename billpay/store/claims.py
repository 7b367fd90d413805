"""Claims with a lease: how work the scheduler does on its own is done once across replicas,
and done even when the replica that claimed it dies.

A claim is a `claims` row, unique per (kind, subject), naming the process that holds it and
until when (its lease). It is added (`hold`) in the same transaction as whatever already decides
who does the work (a digest run's insert, a bill case's conditional update), so the claim and
that decision stand or fall together. Then:

- the holder renews its lease just before the work (`keep`), and leaves the work alone when
  that fails: another replica took the claim over while this one was slow;
- the work's end is recorded with the claim marked done (`finish`), in one transaction;
- a claim whose lease passed and that is not done was left by a holder that died (or stalled
  past its lease): a live replica takes it over (`take_over_expired`) with one conditional
  UPDATE per claim (still not done, lease still passed), so of two replicas trying, the
  database lets one win; the other's UPDATE matches no row;
- a claim is held at most `MAX_ATTEMPTS` times, so work that kills every process trying it is
  not tried forever; such a claim stays, and `billpay status` shows it with the rest
  (`overdue`).

What a lease cannot do: a process that dies after the work and before recording it (a message
posted, Slack's answer not yet written down) leaves a claim that is taken over and done again.
Leases compare the holders' clocks, so a lease must be far longer than the clock skew between
replicas, and longer than one piece of work takes (the holder renews it before each).

The owners of each kind of work build and read its subjects (`billpay.digest.store`,
`billpay.approvals.reminders`); nothing here knows what the work is.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.store.db import Database
from billpay.store.models import Claim

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)
# The first holder and two takeovers: work that kills its holder each time stops there.
MAX_ATTEMPTS = 3
# Takeovers looked at per tick; the rest wait for the next tick.
TAKE_OVER_BATCH = 100
# A holder is at most 24 + 1 + 7 + 1 + 6 = 39 characters: one line of `billpay status`.
HOST_CHARACTERS = 24


@dataclass(frozen=True)
class Claimant:
    """Who claims (one process) and for how long."""

    holder: str
    lease: timedelta = DEFAULT_LEASE

    @classmethod
    def for_this_process(cls, lease: timedelta = DEFAULT_LEASE) -> Claimant:
        """This process, named `<host>:<pid>:<random>`: the host and pid say where to look,
        and the random part tells a restarted process (same host, same pid in a container)
        from the one before it."""
        host = socket.gethostname()[:HOST_CHARACTERS]
        return cls(f"{host}:{os.getpid()}:{secrets.token_hex(3)}", lease)


@dataclass(frozen=True)
class Held:
    """A claim as read: what, who holds it, since when and until when."""

    kind: str
    subject: str
    holder: str
    claimed_at: datetime
    lease_until: datetime
    attempts: int


def _held(row: Claim) -> Held:
    return Held(row.kind, row.subject, row.holder, row.claimed_at, row.lease_until, row.attempts)


def hold(s: AsyncSession, claimant: Claimant, kind: str, subject: str, now: datetime) -> None:
    """Add the claim to the caller's transaction. A claim of the same kind and subject already
    there makes the transaction fail on commit (`IntegrityError`), as a lost claim should."""
    s.add(
        Claim(
            kind=kind,
            subject=subject,
            holder=claimant.holder,
            claimed_at=now,
            lease_until=now + claimant.lease,
            attempts=1,
        )
    )


async def keep(db: Database, claimant: Claimant, kind: str, subject: str, now: datetime) -> bool:
    """Renew the lease before doing the work: True while `claimant` still holds the claim and
    it is not done; False when another replica took it over (or it was done meanwhile)."""
    async with db.write() as s:
        result = await s.execute(
            update(Claim)
            .where(
                Claim.kind == kind,
                Claim.subject == subject,
                Claim.holder == claimant.holder,
                Claim.done_at.is_(None),
            )
            .values(lease_until=now + claimant.lease)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


async def finish(s: AsyncSession, kind: str, subject: str, now: datetime) -> None:
    """Mark the claim done, in the caller's transaction (the one recording the work's end),
    whoever holds it now: the work is done either way."""
    await s.execute(
        update(Claim)
        .where(Claim.kind == kind, Claim.subject == subject, Claim.done_at.is_(None))
        .values(done_at=now)
        .execution_options(synchronize_session=False)
    )


async def done(db: Database, kind: str, subject: str, now: datetime) -> None:
    """`finish` in a transaction of its own, for work whose end is recorded nowhere else."""
    async with db.write() as s:
        await finish(s, kind, subject, now)


async def forget_done(db: Database, kind: str, before: datetime) -> int:
    """Delete the claims of `kind` done before `before`: for work whose subjects are never
    claimed again (each names its own run), so a finished claim decides nothing any more."""
    async with db.write() as s:
        result = await s.execute(
            delete(Claim)
            .where(Claim.kind == kind, Claim.done_at.is_not(None), Claim.done_at < before)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def take_over_expired(
    db: Database, claimant: Claimant, kinds: Iterable[str], now: datetime
) -> list[Held]:
    """Take over the claims of these kinds whose lease has passed and that are not done; returns
    those this claimant won, now held by it with a fresh lease."""
    wanted = list(kinds)
    async with db.read() as s:
        ids = list(
            await s.scalars(
                select(Claim.id)
                .where(
                    Claim.kind.in_(wanted),
                    Claim.done_at.is_(None),
                    Claim.lease_until <= now,
                    Claim.attempts < MAX_ATTEMPTS,
                )
                .order_by(Claim.lease_until, Claim.id)
                .limit(TAKE_OVER_BATCH)
            )
        )
    won = []
    for claim_id in ids:
        taken = await _take_over(db, claimant, claim_id, now)
        if taken is not None:
            won.append(taken)
    return won


async def _take_over(db: Database, claimant: Claimant, claim_id: int, now: datetime) -> Held | None:
    async with db.write() as s:
        before = await s.get(Claim, claim_id)
        if before is None:  # pragma: no cover - claims are never deleted
            return None
        left_by = before.holder
        # The conditions are checked again by the UPDATE itself: on PostgreSQL a second
        # replica's UPDATE waits for the first one's row lock, then finds the lease renewed and
        # matches nothing.
        result = await s.execute(
            update(Claim)
            .where(
                Claim.id == claim_id,
                Claim.done_at.is_(None),
                Claim.lease_until <= now,
                Claim.attempts < MAX_ATTEMPTS,
            )
            .values(
                holder=claimant.holder,
                claimed_at=now,
                lease_until=now + claimant.lease,
                attempts=Claim.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        await s.refresh(before)
        taken = _held(before)
    log.warning(
        "took over %s %s, left by %s (attempt %d)",
        taken.kind,
        taken.subject,
        left_by,
        taken.attempts,
    )
    return taken


async def get(db: Database, kind: str, subject: str) -> tuple[Held, datetime | None] | None:
    """The claim and when it was done (None: not done), or None if nobody claimed it."""
    async with db.read() as s:
        row = await s.scalar(select(Claim).where(Claim.kind == kind, Claim.subject == subject))
    return (_held(row), row.done_at) if row is not None else None


async def overdue(db: Database, now: datetime) -> list[Held]:
    """Claims past their lease and not done, oldest first: work whose holder died, waiting for
    a takeover, or given up after `MAX_ATTEMPTS`."""
    async with db.read() as s:
        rows = await s.scalars(
            select(Claim)
            .where(Claim.done_at.is_(None), Claim.lease_until <= now)
            .order_by(Claim.claimed_at, Claim.id)
        )
        return [_held(row) for row in rows]
