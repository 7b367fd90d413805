"""Webhook deliveries as Codat sends them through Svix: a JSON body and the `webhook-id`,
`webhook-timestamp` and `webhook-signature` headers, signed with the endpoint's secret by the
`svix` package itself; and a `WebhookReactions` that records what it was asked."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from svix.webhooks import Webhook

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]


def delivery(
    event: dict[str, Any],
    *,
    message_id: str | None = None,
    at: datetime | None = None,
    secret: str = WEBHOOK_SECRET,
) -> Delivery:
    """`event` signed as Svix signs it, sent `at` (now by default: Svix checks the wall clock)."""
    message_id = message_id or f"msg_{uuid.uuid4().hex[:27]}"
    at = at or datetime.now(UTC)
    body = json.dumps(event)
    signature = Webhook(secret).sign(message_id, at, body)
    return Delivery(
        body.encode(),
        {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        },
    )


def read_completed(
    company_id: str, *data_types: str, name: str = "read.completed"
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "eventType": name,
        "generatedDate": "2026-11-22T10:00:00Z",
        "payload": {
            "referenceCompany": {"id": company_id, "name": "Demo"},
            "dataTypes": [
                {"dataType": t, "recordsModified": True, "status": "Complete"} for t in data_types
            ],
        },
    }


def connection_event(
    company_id: str, connection_id: str, name: str = "connection.disconnected", **connection: Any
) -> dict[str, Any]:
    """A connection event, its name in `type` as Codat's connection examples have it."""
    return {
        "id": str(uuid.uuid4()),
        "type": name,
        "generatedDate": "2026-11-22T10:00:00Z",
        "payload": {
            "referenceCompany": {"id": company_id},
            "connection": {"id": connection_id, **connection},
        },
    }


def write_event(company_id: str, name: str, record_id: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "eventType": name,
        "generatedDate": "2026-11-22T10:00:00Z",
        "payload": {
            "id": str(uuid.uuid4()),
            "type": "Create",
            "referenceCompany": {"id": company_id},
            "status": "Success" if name.endswith("successful") else "Failed",
            "record": {"id": record_id} if record_id else None,
        },
    }


def rate_limit_event(name: str, expiry: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "eventType": name,
        "generatedDate": "2026-11-22T10:00:00Z",
        "payload": {"dailyQuota": 2000, "quotaRemaining": 0, "expiryDate": expiry},
    }


@dataclass
class Recorder:
    """A mirror and connection health that note each call, in order."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def data_changed(self, company_id: str, data_type: str | None) -> None:
        self.calls.append(("data_changed", company_id, data_type))

    async def write_finished(
        self, company_id: str, data_type: str, ok: bool, payload: dict[str, Any]
    ) -> None:
        self.calls.append(("write_finished", company_id, data_type, ok))

    async def connection_changed(
        self, company_id: str, connection_id: str, status: str, link_url: str | None
    ) -> None:
        self.calls.append(("connection_changed", company_id, connection_id, status, link_url))
