"""The audit trail: reading the append-only `audit_events` and writing them out as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

from sqlalchemy import select

from bot import jsoncodec
from bot.db import Database
from bot.store.models import AuditEvent

COLUMNS = ["at", "team_id", "channel_id", "actor", "action", "company_id", "bill_id", "details"]
# A spreadsheet would run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def audit_events(db: Database, since: datetime | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    async with db.read() as s:
        return list(await s.scalars(query))


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(events: Iterable[AuditEvent], out: IO[str]) -> int:
    """One row per event, oldest first, details as exact JSON; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for event in events:
        writer.writerow(
            [
                event.at.astimezone(UTC).isoformat(timespec="seconds"),
                _cell(event.team_id),
                _cell(event.channel_id or ""),
                _cell(event.actor),
                event.action,
                _cell(event.company_id or ""),
                _cell(event.bill_id or ""),
                _cell(jsoncodec.dumps(event.details)),
            ]
        )
        count += 1
    return count
