"""What a webhook from the payables API says, read from its verified body.

Codat names the event in `eventType` for read and write events and in `type` for connection
events (both appear in its reference, /work/shared/codat/webhooks.json); either is accepted.
Older docs spell the bill write events `bill.write.*`: read as `bills.write.*`. An event the bot
has no use for is `Kind.IGNORED`: acknowledged, recorded, nothing done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    CONNECTION = "connection"
    DATA = "data"
    WRITE = "write"
    RATE_LIMIT_REACHED = "rate_limit_reached"
    RATE_LIMIT_RESET = "rate_limit_reset"
    IGNORED = "ignored"


CONNECTION_EVENTS = frozenset(
    {
        "connection.connected",
        "connection.disconnected",
        "connection.reconnected",
        "connection.failed",
    }
)
READ_EVENTS = frozenset({"read.completed", "read.completed.initial"})
_WRITE = re.compile(r"^(bills?|billPayments|suppliers)\.write\.(successful|unsuccessful)$")
# A connection event without the connection's own status: the status its name implies.
_STATUS_OF = {
    "connection.connected": "Linked",
    "connection.reconnected": "Linked",
    "connection.disconnected": "Unlinked",
    "connection.failed": "Unlinked",
}


@dataclass(frozen=True)
class Event:
    name: str
    kind: Kind
    company_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)

    # connection events
    @property
    def connection_id(self) -> str:
        return str(_dig(self.payload, "connection", "id") or self.payload.get("connectionId") or "")

    @property
    def connection_status(self) -> str:
        status = _dig(self.payload, "connection", "status")
        return str(status) if status else _STATUS_OF.get(self.name, "Unknown")

    @property
    def link_url(self) -> str | None:
        url = _dig(self.payload, "connection", "linkUrl")
        return str(url) if url else None

    # read events
    @property
    def data_types(self) -> list[str | None]:
        """The data types read (each once, in order), or `[None]` when the event names none."""
        found: list[str | None] = []
        for item in self.payload.get("dataTypes") or []:
            data_type = item.get("dataType") if isinstance(item, dict) else None
            if isinstance(data_type, str) and data_type not in found:
                found.append(data_type)
        return found or [None]

    # write events
    @property
    def data_type(self) -> str:
        found = _WRITE.match(self.name)
        name = found.group(1) if found else ""
        return "bills" if name == "bill" else name

    @property
    def ok(self) -> bool:
        return self.name.endswith(".successful")

    # rate limit events
    @property
    def reset_at(self) -> datetime | None:
        value = self.payload.get("expiryDate")
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_name(body: dict[str, Any]) -> str:
    for key in ("eventType", "type"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def kind_of(name: str) -> Kind:
    if name in CONNECTION_EVENTS:
        return Kind.CONNECTION
    if name in READ_EVENTS:
        return Kind.DATA
    if _WRITE.match(name):
        return Kind.WRITE
    if name == "client.rateLimit.reached":
        return Kind.RATE_LIMIT_REACHED
    if name == "client.rateLimit.reset":
        return Kind.RATE_LIMIT_RESET
    return Kind.IGNORED


def parse(body: dict[str, Any]) -> Event:
    name = event_name(body)
    payload = body.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    company = _dig(payload, "referenceCompany", "id") or payload.get("companyId")
    company = company or body.get("companyId") or body.get("CompanyId")
    return Event(name, kind_of(name), str(company)[:64] if company else None, payload)


def _dig(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data
