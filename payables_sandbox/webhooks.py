"""Codat's webhooks, as its Svix-based service sends them: each event a JSON message POSTed to
`SandboxConfig.webhook_url`, signed with the endpoint's `whsec_` secret by the `svix` library
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried on failure (anything but a
2xx within 15 seconds) after each wait of `SandboxConfig.webhook_retry_schedule` (Codat's:
immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), at least once (`webhook_duplicates`
sends each message twice, under the same `webhook-id`).

Messages follow shared/codat/webhooks.json: connection events name themselves in `type`, the
others in `eventType`; `id`, `generatedDate` (the sandbox's clock) and `payload`. The
`webhook-timestamp` is the wall clock's, since receivers check it against theirs.

`Webhooks.deliveries` records every message and each attempt's answer, for tests;
`Webhooks.drain()` waits until every message sent so far was delivered or given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from svix.webhooks import Webhook

from payables_sandbox import clock, exact_json
from payables_sandbox.config import SandboxConfig

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0

# The events whose type goes in `type` (webhooks.json's examples); the others use `eventType`.
TYPE_KEYED = frozenset(
    {
        "company.created",
        "connection.created",
        "connection.connected",
        "connection.disconnected",
        "connection.reconnected",
        "connection.failed",
        "connection.deleted",
    }
)


@dataclass
class Attempt:
    """One POST of a message: the receiver's status, or what went wrong."""

    at: datetime
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Delivery:
    """A message sent, and the attempts made to deliver it."""

    message_id: str
    event_type: str
    body: dict[str, Any]
    raw: str
    attempts: list[Attempt] = field(default_factory=list)
    copies: int = 1

    @property
    def delivered(self) -> bool:
        return sum(attempt.succeeded for attempt in self.attempts) >= self.copies


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Webhooks:
    """Sends the sandbox's events to its webhook endpoint, on the loop the sandbox runs on."""

    def __init__(
        self,
        config: Callable[[], SandboxConfig],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self.transport = transport
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, event_type: str, payload: dict[str, Any]) -> Delivery | None:
        """Send an event (in the background); None when no endpoint is configured."""
        config = self._config()
        if config.webhook_url is None:
            return None
        key = "type" if event_type in TYPE_KEYED else "eventType"
        body = {
            "id": str(uuid.uuid4()),
            key: event_type,
            "generatedDate": timestamp(clock.now()),
            "payload": payload,
        }
        raw = exact_json.dumps(body)
        delivery = Delivery(
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            body=json.loads(raw),
            raw=raw,
            copies=2 if config.webhook_duplicates else 1,
        )
        self.deliveries.append(delivery)
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, config))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def drain(self) -> None:
        """Wait until every message emitted so far was delivered or given up."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, delivery: Delivery, config: SandboxConfig) -> None:
        assert config.webhook_url is not None
        signer = Webhook(config.webhook_secret)
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT_SECONDS) as http:
            for _copy in range(delivery.copies):
                for wait in config.webhook_retry_schedule:
                    if wait:
                        await asyncio.sleep(wait.total_seconds())
                    if await self._attempt(http, signer, delivery, config.webhook_url):
                        break
                else:
                    log.warning(
                        "webhook %s (%s) given up after %d attempts",
                        delivery.message_id,
                        delivery.event_type,
                        len(config.webhook_retry_schedule),
                    )

    async def _attempt(
        self, http: httpx.AsyncClient, signer: Webhook, delivery: Delivery, url: str
    ) -> bool:
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signer.sign(delivery.message_id, sent_at, delivery.raw),
        }
        attempt = Attempt(at=sent_at)
        delivery.attempts.append(attempt)
        try:
            response = await http.post(url, content=delivery.raw.encode(), headers=headers)
            attempt.status_code = response.status_code
        except httpx.HTTPError as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
        return attempt.succeeded
