"""The record of webhook deliveries (`webhook_deliveries`): one row per message id, written with
its claim (`billpay.store.claims`, kind "webhook") before the delivery is answered, so a repeat
(the API delivers at least once, another replica may receive it too) finds the row and is only
answered, and a delivery whose worker died is taken over by a live replica's scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Claim, CompanyLink, WebhookDelivery

CLAIM_KIND = "webhook"
AUDIT_ACTOR = "codat"


@dataclass(frozen=True)
class Delivery:
    message_id: str
    event_type: str
    company_id: str | None
    payload: dict[str, Any]
    received_at: datetime
    processed_at: datetime | None
    outcome: str | None


async def receive(
    db: Database,
    claimant: Claimant,
    message_id: str,
    event_type: str,
    company_id: str | None,
    body: dict[str, Any],
    now: datetime,
) -> bool:
    """Record a delivery and claim its work: True, or False when its id was already recorded
    (a repeat: nothing to do but answer)."""
    try:
        async with db.write() as s:
            s.add(
                WebhookDelivery(
                    message_id=message_id,
                    event_type=event_type[:96],
                    company_id=company_id,
                    payload=body,
                    received_at=now,
                )
            )
            claims.hold(s, claimant, CLAIM_KIND, message_id, now)
    except IntegrityError:
        return False
    return True


async def get(db: Database, message_id: str) -> Delivery | None:
    async with db.read() as s:
        row = await s.scalar(
            select(WebhookDelivery).where(WebhookDelivery.message_id == message_id)
        )
    if row is None:
        return None
    return Delivery(
        row.message_id,
        row.event_type,
        row.company_id,
        dict(row.payload or {}),
        row.received_at,
        row.processed_at,
        row.outcome,
    )


async def processed(
    db: Database,
    message_id: str,
    outcome: str,
    now: datetime,
    audit: dict[str, Any] | None,
) -> None:
    """Record the delivery worked, its claim done and (for an event about a linked company) an
    audit event per channel linked to it, in one transaction."""
    async with db.write() as s:
        row = await s.scalar(
            select(WebhookDelivery).where(WebhookDelivery.message_id == message_id)
        )
        if row is None:
            return
        row.processed_at = now
        row.outcome = outcome[:255]
        await claims.finish(s, CLAIM_KIND, message_id, now)
        if audit is not None and row.company_id:
            links = await s.scalars(
                select(CompanyLink).where(
                    CompanyLink.company_id == row.company_id, CompanyLink.archived.is_(False)
                )
            )
            for link in links:
                s.add(
                    AuditEvent(
                        at=now,
                        team_id=link.team_id,
                        channel_id=link.channel_id,
                        actor=AUDIT_ACTOR,
                        action=str(audit.get("action", "webhook"))[:32],
                        company_id=row.company_id,
                        bill_id=audit.get("bill_id"),
                        details={k: v for k, v in audit.items() if k not in ("action", "bill_id")},
                    )
                )


async def unprocessed(db: Database) -> list[str]:
    """Message ids received and not yet processed, oldest first."""
    async with db.read() as s:
        return list(
            await s.scalars(
                select(WebhookDelivery.message_id)
                .where(WebhookDelivery.processed_at.is_(None))
                .order_by(WebhookDelivery.received_at, WebhookDelivery.id)
            )
        )


async def prune(db: Database, before: datetime) -> int:
    """Forget deliveries received before `before`, and their claims: a repeat that late is no
    longer sent. Returns how many were forgotten."""
    async with db.write() as s:
        result = await s.execute(
            delete(WebhookDelivery)
            .where(WebhookDelivery.received_at < before)
            .execution_options(synchronize_session=False)
        )
        await s.execute(
            delete(Claim)
            .where(Claim.kind == CLAIM_KIND, Claim.claimed_at < before)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def mark_failed(db: Database, message_id: str, why: str) -> None:
    """Note why the last try failed (the claim stays: a takeover tries again)."""
    async with db.write() as s:
        await s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.message_id == message_id)
            .values(outcome=f"failed: {why}"[:255])
            .execution_options(synchronize_session=False)
        )
