"""Settling payments in doubt, in the background, without a second write.

A payment is in doubt when its answer did not prove its fate (see `evidence`), or when the
process sending it died before recording the answer (found `requested` long after any answer
could come). Each is looked at again at growing intervals while the payables API still keeps its
key's answer (1, 5, 15, 45 and 80 minutes after it was sent):

- its key is sent again with the same body: the API replays the first answer, so a stored 2xx
  settles it as recorded and a stored refusal as refused, and nothing is ever written twice;
- the bill is read: two reads, minutes apart, that agree the amount due fell by exactly this
  payment, with no other payment of the bill that could explain it, settle it as recorded.

A payment the reads never show is not thereby unsent. Once the last look inside the window has
been made, it waits for a person (`needs_person`), who says it is in the platform or sends it
again with a new key. Each look is claimed in the database for a short lease, so one replica
works each payment at a time, and a look whose process died is taken up after the lease.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import audit, stamp, views_of
from billpay.config import Settings
from billpay.core.domain import CaseState, PaymentOutcome, PaymentStatus
from billpay.core.i18n import N_, Phrase
from billpay.mirror.service import Mirror
from billpay.payables.errors import BillNotOutstanding, PayablesError
from billpay.payments.evidence import Fate, Reading, Sent, next_check, proven_by_reads, replayable
from billpay.payments.records import mark_recorded, settled_state
from billpay.payments.rules import refusal_cause
from billpay.payments.sending import Sender
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment

log = logging.getLogger(__name__)

# One look at a payment takes a replay and a read: far less than this. A look whose process
# died is taken up by another replica once its lease has passed.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Settled:
    """What one look at a payment in doubt found, and where to show it."""

    link: CompanyLink
    bill_id: str
    payer: str
    view_id: str | None
    outcome: PaymentOutcome
    # The look was the last inside the window, and proved nothing: a person decides now.
    needs_person: bool = False


class Settler:
    def __init__(
        self,
        db: Database,
        mirror: Mirror,
        sender: Sender,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.mirror = mirror
        self.sender = sender
        self.settings = settings
        self.clock = clock
        # Which process holds a look: written with the lease, read by `billpay status`.
        self.holder = holder or f"settler-{uuid.uuid4().hex[:12]}"

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.settings.payables_idempotency_window_minutes)

    @property
    def stale_after(self) -> timedelta:
        """How long after it was sent a payment still `requested` means its sender died: longer
        than any send may take, retries included."""
        return timedelta(seconds=2 * self.settings.payables_background_deadline_seconds)

    # ------------------------------------------------------------ the background tick

    async def settle_due(self) -> list[Settled]:
        """Look at every payment whose next look is due (and any left `requested` by a process
        that died), each claimed first so that one replica looks at it."""
        now = self.clock()
        async with self.db.read() as s:
            due = list(
                await s.scalars(
                    select(Payment.id).where(
                        or_(
                            (Payment.status == PaymentStatus.IN_DOUBT)
                            & Payment.needs_person.is_(False)
                            & (Payment.next_check_at <= now),
                            (Payment.status == PaymentStatus.REQUESTED)
                            & (Payment.sent_at <= now - self.stale_after),
                        ),
                        or_(Payment.settle_until.is_(None), Payment.settle_until < now),
                    )
                )
            )
        found: list[Settled] = []
        for payment_id in due:
            if not await self.claim(payment_id):
                continue  # another replica looks at it
            try:
                settled = await self.look(payment_id, actor="system")
            except Exception:
                log.exception("could not look at payment %s in doubt; looked at again", payment_id)
                await self.release(payment_id)
                continue
            if settled is not None:
                found.append(settled)
        return found

    async def claim(self, payment_id: int) -> bool:
        """Take the lease on one look at this payment; False when another process holds it."""
        now = self.clock()
        async with self.db.write() as s:
            result = await s.execute(
                update(Payment)
                .where(
                    Payment.id == payment_id,
                    Payment.status.in_((PaymentStatus.IN_DOUBT, PaymentStatus.REQUESTED)),
                    or_(Payment.settle_until.is_(None), Payment.settle_until < now),
                )
                .values(settle_holder=self.holder, settle_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, payment_id: int) -> None:
        async with self.db.write() as s:
            await s.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.settle_holder == self.holder)
                .values(settle_holder=None, settle_until=None)
                .execution_options(synchronize_session=False)
            )

    # ------------------------------------------------------------ one look

    async def look(self, payment_id: int, *, actor: str) -> Settled | None:
        """One look at a claimed payment: replay its key while the API keeps its answer, then
        read the bill. The lease is released at the end, whatever was found."""
        try:
            return await self._look(payment_id, actor=actor)
        finally:
            await self.release(payment_id)

    async def _look(self, payment_id: int, *, actor: str) -> Settled | None:
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            link = await s.get(CompanyLink, case.link_id) if case else None
            if payment is None or case is None or link is None:
                return None
            if payment.status == PaymentStatus.REQUESTED:
                # Its sender stopped before the answer was recorded: in doubt, like a lost one.
                payment.status = PaymentStatus.IN_DOUBT
                payment.doubt_since = payment.sent_at or now
                payment.error = Phrase(
                    N_("Bill Pay stopped before the accounting platform answered.")
                ).dump()
                case.state = await settled_state(s, case)
                stamp(payment, now)
                stamp(case, now)
                audit(
                    s,
                    link,
                    "system",
                    "payment_in_doubt",
                    case.bill_id,
                    now=now,
                    payment_id=payment.id,
                    reason="sender stopped",
                )
            if payment.status != PaymentStatus.IN_DOUBT:
                return None  # settled meanwhile
            sent_at = payment.sent_at or payment.created_at
            bill_id, payer, view_id = case.bill_id, payment.requested_by, payment.view_id
            s.expunge(link)
        if replayable(sent_at, self.clock(), self.window):
            replayed = await self._replay(link, bill_id, payment_id, actor=actor)
            if replayed is not None:
                return Settled(link, bill_id, payer, view_id, replayed)
        reading = await self._read(link, bill_id)
        return await self._weigh(link, bill_id, payer, view_id, payment_id, reading, actor=actor)

    async def _replay(
        self, link: CompanyLink, bill_id: str, payment_id: int, *, actor: str
    ) -> PaymentOutcome | None:
        """Send the key again with the same body: the API answers as it did the first time.
        Returns the outcome when that answer settles the payment."""
        async with self.db.read() as s:
            payment = await s.get(Payment, payment_id)
            assert payment is not None
        recorded_id, error, fate = await self.sender.post(link, bill_id, payment, replay=True)
        if fate == Fate.IN_DOUBT:
            return None
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if payment.status != PaymentStatus.IN_DOUBT:
                return None
            if fate == Fate.RECORDED:
                await mark_recorded(
                    s, link, case, payment, now, recorded_id=recorded_id, how="replay", actor=actor
                )
                message = Phrase(
                    N_("The payment had reached the accounting platform after all: it is recorded.")
                )
                status = "recorded"
            else:
                assert error is not None
                payment.status = PaymentStatus.REFUSED
                payment.error = refusal_cause(error).dump()
                payment.reconciled = "replay"
                payment.next_check_at = None
                case.state = await settled_state(s, case)
                if case.state == CaseState.APPROVED:
                    case.state = CaseState.FAILED
                audit(
                    s,
                    link,
                    actor,
                    "payment_refused",
                    bill_id,
                    now=now,
                    payment_id=payment.id,
                    settled_by="replay",
                    error=str(error),
                )
                message = Phrase(N_("{cause} Nothing was paid."), cause=Phrase.load(payment.error))
                status = "failed"
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return PaymentOutcome(view, status, message, view.last_payment)

    async def _read(self, link: CompanyLink, bill_id: str) -> Reading | None:
        now = self.clock()
        try:
            bill = await self.mirror.live_bill(link, bill_id)
        except BillNotOutstanding:
            return Reading(at=now, amount_due=None, status=None)
        except PayablesError as exc:
            log.warning("could not read bill %s to settle a payment: %r", bill_id, exc)
            return None
        return Reading(
            at=now,
            amount_due=bill.amount_due,
            status=bill.status,
            modified=bill.source_modified_date,
        )

    async def _weigh(
        self,
        link: CompanyLink,
        bill_id: str,
        payer: str,
        view_id: str | None,
        payment_id: int,
        reading: Reading | None,
        *,
        actor: str,
    ) -> Settled | None:
        """Settle the payment from the reads so far, or plan the next look; past the last one,
        it waits for a person."""
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if payment.status != PaymentStatus.IN_DOUBT:
                return None
            readings = [Reading.from_json(r) for r in payment.readings or []]
            if reading is not None:
                readings.append(reading)
                payment.readings = [r.to_json() for r in readings[-10:]]
            sent = Sent(payment.amount, payment.due_before, payment.sent_at or payment.created_at)
            others = await _explained_otherwise(s, payment)
            needs_person = False
            if proven_by_reads(sent, readings, explained_otherwise=others):
                await mark_recorded(
                    s, link, case, payment, now, recorded_id=None, how="reads", actor=actor
                )
                status = "recorded"
                message = Phrase(
                    N_("The accounting platform now shows the payment: it is recorded.")
                )
            else:
                payment.checks = (payment.checks or 0) + 1
                sent_at = payment.sent_at or payment.created_at
                payment.next_check_at = next_check(sent_at, payment.checks, self.window)
                if payment.next_check_at is None:
                    payment.needs_person = needs_person = True
                    audit(
                        s,
                        link,
                        "system",
                        "payment_needs_person",
                        bill_id,
                        now=now,
                        payment_id=payment.id,
                        checks=payment.checks,
                    )
                status = "in_doubt"
                message = Phrase(N_("Not settled yet."))
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        outcome = PaymentOutcome(view, status, message, view.last_payment)
        return Settled(link, bill_id, payer, view_id, outcome, needs_person=needs_person)


async def _explained_otherwise(s: AsyncSession, payment: Payment) -> bool:
    """Could another payment of the bill explain a fall of its amount due: one in flight or in
    doubt, or one recorded since this one was reserved?"""
    other = await s.scalar(
        select(Payment.id).where(
            Payment.case_id == payment.case_id,
            Payment.id != payment.id,
            or_(
                Payment.status.in_((PaymentStatus.REQUESTED, PaymentStatus.IN_DOUBT)),
                (Payment.status == PaymentStatus.RECORDED)
                & (Payment.updated_at >= payment.created_at),
            ),
        )
    )
    return other is not None
