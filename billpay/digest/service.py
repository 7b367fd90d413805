"""Reading what the digests need: each company's outstanding bills once per run, however many
channels it is linked to (from the mirror: `Mirror.outstanding_of` when the bot runs, the
mirror's tables for `billpay digest --dry-run`, which reads live only when asked or when a
company was never filled), then per channel its cases and approvers, and `compute_digest`.
A channel whose policy names a user group of approvers has its members waited on too, as
decisions read them (`Directory.group_members`, asked once per group and run); without Slack
(`--dry-run`), or when Slack can't say, only the people named (and never "anyone").

The scheduler calls `compute_digests(...)` with the subscriptions that are due and renders each
result with `billpay.slack.blocks.digest`; `billpay digest --dry-run` does the same and prints it. A
company whose bills cannot be read fails its own channels only (`ChannelDigest.error`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select

from billpay.bills.cases import views_of
from billpay.bills.policy import Directory
from billpay.core.domain import CaseView
from billpay.digest.compute import Digest, compute_digest
from billpay.digest.schedule import Subscription
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError
from billpay.payables.models import Bill
from billpay.payables.query import outstanding_bills
from billpay.store.db import Database
from billpay.store.models import BillCase, Policy


@dataclass(frozen=True)
class ChannelDigest:
    """One channel's digest, or why it could not be computed."""

    subscription: Subscription
    today: date
    digest: Digest | None
    error: PayablesError | None = None


class OutstandingSource(Protocol):
    """Where a company's outstanding bills are read: the mirror."""

    async def outstanding_of(self, company_id: str, connection_id: str) -> list[Bill]: ...


async def read_outstanding(
    client: PayablesClient | OutstandingSource, company_id: str, connection_id: str
) -> list[Bill]:
    """The company's outstanding bills: from the mirror, or one paged read of the API."""
    if not isinstance(client, PayablesClient):
        return [
            b for b in await client.outstanding_of(company_id, connection_id) if b.is_outstanding
        ]
    return [
        bill
        async for bill in client.iter_bills(company_id, connection_id, query=outstanding_bills())
        if bill.is_outstanding
    ]


async def channel_cases(db: Database, link_id: int, bill_ids: Iterable[str]) -> dict[str, CaseView]:
    """The channel's cases of these bills, by bill id, with approvals and last payments."""
    ids = list(bill_ids)
    if not ids:
        return {}
    async with db.read() as s:
        rows = list(
            await s.scalars(
                select(BillCase).where(BillCase.link_id == link_id, BillCase.bill_id.in_(ids))
            )
        )
        views = await views_of(s, rows)
    return {view.bill_id: view for view in views}


async def channel_approvers(
    db: Database,
    link_id: int,
    default_approvers: Sequence[str],
    members: Callable[[str], Awaitable[frozenset[str] | None]] | None = None,
) -> tuple[list[str], bool]:
    """The channel's approvers: its own policy's (the people named, then its user group's
    members, read with `members`), else the configured ones; and whether anyone in the channel
    may approve (none named and no user group)."""
    async with db.read() as s:
        row = await s.get(Policy, link_id)
    if row is None:
        return list(default_approvers), not default_approvers
    named = list(row.approvers)
    if row.approver_group is None:
        return named, not named
    found = (await members(row.approver_group) if members is not None else None) or frozenset()
    return named + sorted(found - set(named)), False


async def compute_digests(
    db: Database,
    client: PayablesClient | OutstandingSource,
    runs: Sequence[tuple[Subscription, date]],
    *,
    default_approvers: Sequence[str] = (),
    directory: Directory | None = None,
) -> list[ChannelDigest]:
    """The digest of each (subscription, the channel's local date), in the order given; the
    scheduler passes `sub.local_date(now)`. Bills are read once per company and connection,
    and shared by every channel linked to it."""
    bills_of: dict[tuple[str, str], list[Bill] | PayablesError] = {}
    groups: dict[tuple[str, str], frozenset[str] | None] = {}
    results = []
    for sub, local_today in runs:

        async def members(group_id: str, team_id: str = sub.team_id) -> frozenset[str] | None:
            if directory is None:
                return None
            if (team_id, group_id) not in groups:
                groups[team_id, group_id] = await directory.group_members(team_id, group_id)
            return groups[team_id, group_id]

        key = (sub.company_id, sub.connection_id)
        if key not in bills_of:
            try:
                bills_of[key] = await read_outstanding(client, *key)
            except PayablesError as exc:
                bills_of[key] = exc
        bills = bills_of[key]
        if isinstance(bills, PayablesError):
            results.append(ChannelDigest(sub, local_today, None, bills))
            continue
        approvers, anyone = await channel_approvers(db, sub.link_id, default_approvers, members)
        results.append(
            ChannelDigest(
                sub,
                local_today,
                compute_digest(
                    bills,
                    await channel_cases(db, sub.link_id, (b.id for b in bills)),
                    approvers=approvers,
                    anyone=anyone,
                    base_currency=sub.base_currency,
                    today=local_today,
                    look_ahead_days=sub.look_ahead_days,
                ),
            )
        )
    return results
