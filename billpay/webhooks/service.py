"""Webhooks from the payables API at `/webhooks/codat`: verified, recorded once, answered at
once, worked in the background.

- Verified with Svix (`svix.webhooks.Webhook`) on the raw body and the `webhook-id`,
  `webhook-timestamp` and `webhook-signature` headers: a signature that does not match the
  endpoint's secret, or a timestamp more than five minutes off, is refused (`WebhookRefused`,
  401) with nothing recorded; the log says why, never the body.
- Recorded by message id with a claim (`billpay.webhooks.inbox`) before the answer: a repeat,
  from the API's retries or to another replica, is answered and not worked again.
- Worked in a task of its own after the answer (`start`); a delivery whose replica died before
  it was worked is taken over by a live replica's scheduler once its claim's lease passes
  (`recover`). Worked means: handed to `WebhookReactions`, then recorded processed with an
  audit event for each channel linked to the company, in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.webhooks import inbox
from billpay.webhooks.events import Event, Kind, parse
from billpay.webhooks.reactions import WebhookReactions

if TYPE_CHECKING:
    from svix.webhooks import Webhook

log = logging.getLogger(__name__)

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_MESSAGE_ID = 64


class WebhookRefused(Exception):
    """A delivery that is not the API's: `status` is what it is answered."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Accepted:
    message_id: str
    event_type: str
    new: bool  # False: a repeat of a delivery already recorded
    body: dict[str, Any]


class Webhooks:
    def __init__(
        self,
        db: Database,
        secret: SecretStr,
        reactions: WebhookReactions,
        claimant: Claimant,
        clock: Callable[[], datetime],
        *,
        retention: timedelta = timedelta(days=3),
    ) -> None:
        self.db = db
        self._secret = secret
        self._verifier: Webhook | None = None
        self.reactions = reactions
        self.claimant = claimant
        self.clock = clock
        self.retention = retention
        self.running: set[asyncio.Task[None]] = set()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """The delivery's JSON body once its signature and timestamp are verified."""
        wanted = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
        if not all(wanted.values()):
            raise WebhookRefused("missing webhook signature headers")
        # Svix is loaded with the first delivery, not at start-up (its models take a while).
        from svix.webhooks import Webhook, WebhookVerificationError

        if self._verifier is None:
            self._verifier = Webhook(self._secret.get_secret_value())
        try:
            self._verifier.verify(body, wanted)
        except WebhookVerificationError as exc:
            raise WebhookRefused(f"webhook signature refused: {exc}") from None
        message_id = wanted["webhook-id"]
        if len(message_id) > MAX_MESSAGE_ID:
            raise WebhookRefused("webhook id too long", status=400)
        try:
            data = json.loads(body)
        except ValueError:
            raise WebhookRefused("webhook body is not JSON", status=400) from None
        if not isinstance(data, dict):
            raise WebhookRefused("webhook body is not a JSON object", status=400)
        return data

    async def accept(self, body: bytes, headers: Mapping[str, str]) -> Accepted:
        """Verify and record a delivery (raises `WebhookRefused`); its work is not started."""
        data = self.verify(body, headers)
        message_id = headers["webhook-id"]
        event = parse(data)
        new = await inbox.receive(
            self.db,
            self.claimant,
            message_id,
            event.name or "(unnamed)",
            event.company_id,
            data,
            self.clock(),
        )
        if not new:
            log.info("webhook %s (%s) was a repeat; already recorded", message_id, event.name)
        return Accepted(message_id, event.name, new, data)

    def start(self, accepted: Accepted) -> None:
        """Work a delivery just accepted in a task of its own, after its answer has gone. Its
        claim was made with the delivery's record, a moment ago: no need to renew it."""
        work = self._work(accepted.message_id, accepted.body)
        task = asyncio.create_task(work, name=f"webhook-{accepted.message_id}")
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def settled(self) -> None:
        """Wait for the deliveries being worked (shutdown, tests)."""
        if self.running:
            await asyncio.wait(set(self.running))

    async def work(self, message_id: str) -> None:
        """Work one delivery this process took over, if it still holds it."""
        if not await claims.keep(
            self.db, self.claimant, inbox.CLAIM_KIND, message_id, self.clock()
        ):
            log.info("webhook %s is another replica's now", message_id)
            return
        delivery = await inbox.get(self.db, message_id)
        if delivery is None or delivery.processed_at is not None:
            return
        await self._work(message_id, delivery.payload)

    async def _work(self, message_id: str, body: dict[str, Any]) -> None:
        """React to the delivery and record it processed; a failure leaves the claim, so a
        takeover tries again after its lease."""
        event = parse(body)
        try:
            outcome, audit = await self._react(event)
        except Exception as exc:
            log.exception("webhook %s (%s) failed; it is tried again", message_id, event.name)
            await inbox.mark_failed(self.db, message_id, type(exc).__name__)
            return
        if audit is not None:
            audit.setdefault("event", event.name)
            audit["message_id"] = message_id
        await inbox.processed(self.db, message_id, outcome, self.clock(), audit)
        log.info("webhook %s (%s): %s", message_id, event.name, outcome)

    async def _react(self, event: Event) -> tuple[str, dict[str, Any] | None]:
        """What the event asks of the bot, and the audit event it leaves (None: none)."""
        r = self.reactions
        company = event.company_id
        match event.kind:
            case Kind.RATE_LIMIT_REACHED:
                await r.rate_limit_reached(event.reset_at)
                return "done", None
            case Kind.RATE_LIMIT_RESET:
                await r.rate_limit_reset()
                return "done", None
            case Kind.IGNORED:
                return "ignored", None
        if company is None:
            return "ignored: no company", None
        match event.kind:
            case Kind.CONNECTION:
                await r.connection_changed(
                    company, event.connection_id, event.connection_status, event.link_url
                )
                return "done", {
                    "action": "connection_changed",
                    "status": event.connection_status,
                    "connection_id": event.connection_id,
                }
            case Kind.DATA:
                for data_type in event.data_types:
                    await r.data_changed(company, data_type)
                return "done", {"action": "data_read", "data_types": event.data_types}
            case Kind.WRITE:
                await r.write_finished(company, event.data_type, event.ok, event.payload)
                if event.ok:
                    await r.data_changed(company, event.data_type)
                record = event.payload.get("record")
                written = record.get("id") if isinstance(record, dict) else None
                return "done", {
                    "action": "write_finished" if event.ok else "write_failed",
                    "data_type": event.data_type,
                    "bill_id": written if event.data_type == "bills" else None,
                    "push_operation": event.payload.get("id"),
                }
        return "ignored", None  # pragma: no cover - every kind is matched above

    async def recover(self) -> int:
        """Take over deliveries whose worker died (their claim's lease passed) and work them;
        returns how many were worked."""
        now = self.clock()
        taken = await claims.take_over_expired(self.db, self.claimant, [inbox.CLAIM_KIND], now)
        for held in taken:
            await self.work(held.subject)
        return len(taken)

    async def prune(self) -> int:
        return await inbox.prune(self.db, self.clock() - self.retention)
