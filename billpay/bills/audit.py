"""The audit trail: reading the append-only `audit_events` and writing them out as CSV.

Each row has readable columns (when, who, what, which supplier's bill, how much) as well as the
ids: the supplier and reference come from the bot's case of the bill, the amount and currency
from the event's details. The audit table holds only Slack ids; a person's name is not looked up
in Slack, so it is given only for the bot's own actors (the scheduler, the system)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select

from billpay.core import jsoncodec
from billpay.store.db import Database
from billpay.store.models import AuditEvent, BillCase, CompanyLink

COLUMNS = [
    "time",
    "actor",
    "actor_name",
    "action",
    "supplier",
    "reference",
    "amount",
    "currency",
    "details",
    "team_id",
    "channel_id",
    "company_id",
    "bill_id",
]
# Who acts when no person does: the names the export gives them.
BOT_ACTORS: Mapping[str, str] = {
    "scheduler": "billpay (scheduler)",
    "system": "billpay",
    "slack": "Slack",
    "codat": "Codat (webhook)",
}
# A spreadsheet would run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Bill ids asked for in one query (databases limit a statement's parameters).
_CHUNK = 500


@dataclass(frozen=True)
class AuditRow:
    """An event with the bill it is about, as the bot's case of it knows it."""

    event: AuditEvent
    supplier: str | None = None
    reference: str | None = None


async def audit_events(db: Database, since: datetime | None = None) -> list[AuditRow]:
    """The events from `since` on, oldest first, each with its bill's supplier and reference."""
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    async with db.read() as s:
        events = list(await s.scalars(query))
        bill_ids = sorted({e.bill_id for e in events if e.bill_id is not None})
        cases: dict[tuple[str, str, str], list[tuple[str, int, str, str | None]]] = {}
        for start in range(0, len(bill_ids), _CHUNK):
            found = await s.execute(
                select(
                    CompanyLink.team_id,
                    CompanyLink.company_id,
                    CompanyLink.channel_id,
                    CompanyLink.id,
                    BillCase.bill_id,
                    BillCase.supplier_name,
                    BillCase.reference,
                )
                .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                .where(BillCase.bill_id.in_(bill_ids[start : start + _CHUNK]))
            )
            for team, company, channel, link_id, bill_id, supplier, reference in found:
                # An unlinked channel's link is kept as "C0FIN~<link id>".
                where = channel.split("~", 1)[0]
                cases.setdefault((team, company, bill_id), []).append(
                    (where, link_id, supplier, reference)
                )
    return [_with_bill(event, cases) for event in events]


def _with_bill(
    event: AuditEvent, cases: Mapping[tuple[str, str, str], list[tuple[str, int, str, str | None]]]
) -> AuditRow:
    if event.bill_id is None or event.company_id is None:
        return AuditRow(event)
    found = cases.get((event.team_id, event.company_id, event.bill_id))
    if not found:
        return AuditRow(event)
    # The case in the event's own channel, else (no channel recorded) the latest link's.
    _, _, supplier, reference = max(found, key=lambda c: (c[0] == event.channel_id, c[1]))
    return AuditRow(event, supplier, reference)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _amount(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return jsoncodec.dumps(value)  # its own digits: 1250.10
    return _cell(str(value))


def write_csv(rows: Iterable[AuditRow], out: IO[str], names: Mapping[str, str] = BOT_ACTORS) -> int:
    """One row per event, oldest first; the details not given their own column as exact
    compact JSON. Returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        event = row.event
        details = dict(event.details or {})
        amount = details.pop("amount", None)
        currency = details.pop("currency", None)
        writer.writerow(
            [
                event.at.astimezone(UTC).isoformat(timespec="seconds"),
                _cell(event.actor),
                _cell(names.get(event.actor, "")),
                _cell(event.action),
                _cell(row.supplier or ""),
                _cell(row.reference or ""),
                _amount(amount),
                _cell(str(currency)) if currency is not None else "",
                _cell(jsoncodec.dumps(details)) if details else "",
                _cell(event.team_id),
                _cell(event.channel_id or ""),
                _cell(event.company_id or ""),
                _cell(event.bill_id or ""),
            ]
        )
        count += 1
    return count
