"""Unlinking a channel from its company (`/billpay disconnect`).

The link is archived, not deleted: its bill cases, payments and audit trail stay (a channel
linked again, to this company or another, starts a new link). From then on the channel shows
nothing of the company: its listings, cards and digest read the channel's current link, and
there is none.

Payments scheduled through the link, and those still held for their undo window, are
cancelled in the same transaction, each audited, and the words say which: a finance team
must never have a bill paid after it disconnected the channel, nor learn later that a
payment it scheduled quietly vanished. Payments already on their way (sent, or in doubt) are
not touched: they reached the platform or may have, and the settler still looks at them.
The company's connection to its accounting platform is left as it is; it is the company's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import audit, stamp
from billpay.bills.links import Links
from billpay.core.domain import PaymentStatus
from billpay.core.errors import Denied, OutOfDate
from billpay.core.i18n import N_
from billpay.payments.records import settled_state
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment


@dataclass(frozen=True)
class CancelledPayment:
    bill_id: str
    supplier_name: str
    amount: Decimal
    currency: str
    payment_date: date


@dataclass(frozen=True)
class Disconnected:
    link_id: int
    company_name: str
    platform_name: str | None
    language: str | None  # the channel's
    cancelled: list[CancelledPayment]


class Disconnection:
    def __init__(self, db: Database, links: Links, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.links = links
        self.clock = clock

    async def preview(
        self, team_id: str, channel_id: str, user_id: str
    ) -> tuple[CompanyLink, list[CancelledPayment]]:
        """The channel's link and the payments disconnecting it would cancel (for the words
        of the confirmation), if the person may disconnect it."""
        link = await self._may_disconnect(team_id, channel_id, user_id)
        async with self.db.read() as s:
            return link, [p for p, _case in await _waiting(s, link.id)]

    async def disconnect(
        self, team_id: str, channel_id: str, user_id: str, link_id: int
    ) -> Disconnected:
        """Archive the channel's link (the one the confirmation named), cancel what waits to
        be paid through it, and audit both, in one transaction."""
        link = await self._may_disconnect(team_id, channel_id, user_id)
        if link.id != link_id:
            raise OutOfDate()  # the channel was linked anew since the confirmation
        async with self.db.write() as s:
            now = self.clock()
            row = await s.get(CompanyLink, link.id, with_for_update=True)
            if row is None or row.archived:
                raise OutOfDate()
            cancelled: list[CancelledPayment] = []
            for view, case in await _waiting(s, row.id, lock=True):
                payment = await s.scalar(
                    select(Payment)
                    .where(Payment.case_id == case.id, Payment.status == PaymentStatus.SCHEDULED)
                    .with_for_update()
                )
                if payment is None:
                    continue
                payment.status = PaymentStatus.CANCELLED
                stamp(payment, now)
                await s.flush()
                case.state = await settled_state(s, case)
                stamp(case, now)
                audit(
                    s,
                    row,
                    user_id,
                    "payment_cancelled",
                    case.bill_id,
                    now=now,
                    payment_id=payment.id,
                    reason="channel_disconnected",
                )
                cancelled.append(view)
            audit(
                s,
                row,
                user_id,
                "channel_disconnected",
                None,
                now=now,
                company_name=row.company_name,
                connection_id=row.connection_id,
                cancelled_payments=len(cancelled),
            )
            row.channel_id = f"{channel_id}~{row.id}"
            row.archived = True
            await s.flush()
            return Disconnected(
                row.id, row.company_name, row.platform_name, row.language, cancelled
            )

    async def _may_disconnect(self, team_id: str, channel_id: str, user_id: str) -> CompanyLink:
        link = await self.links.link_for(team_id, channel_id)
        policy = await self.links.policy_for(link)
        if not policy.may_approve(user_id):
            raise Denied(
                N_("Only {who} can disconnect this channel from its company."),
                who=policy.who_may_approve(),
            )
        return link


async def _waiting(
    s: AsyncSession, link_id: int, *, lock: bool = False
) -> list[tuple[CancelledPayment, BillCase]]:
    """The link's payments scheduled or held, with their cases, by date."""
    query = (
        select(Payment, BillCase)
        .join(BillCase, BillCase.id == Payment.case_id)
        .where(BillCase.link_id == link_id, Payment.status == PaymentStatus.SCHEDULED)
        .order_by(Payment.payment_date, Payment.id)
    )
    if lock:
        query = query.with_for_update()
    rows = await s.execute(query)
    return [
        (
            CancelledPayment(
                case.bill_id, case.supplier_name, payment.amount, payment.currency,
                payment.payment_date,
            ),
            case,
        )
        for payment, case in rows
    ]  # fmt: skip
