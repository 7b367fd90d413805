"""Payments that go out later: held for the undo window, or dated later and sent on their date at
the local time set for them. Each is claimed (scheduled → requested) in one transaction, so one
replica sends it; before it goes, the bill is read and the policy checked again, and a payment
that can no longer be made is not sent and says why. Until then it can be called off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billpay.bills.cases import (
    approval_people,
    audit,
    case_for_update,
    not_pending_text,
    payment_view,
    stamp,
    status_words,
    views_of,
)
from billpay.bills.duties import origin_of, payment_refusal
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseRef, CaseState, PaymentOutcome, PaymentStatus
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Escaped, Money, Phrase
from billpay.mirror.service import Mirror
from billpay.payables.errors import BillNotOutstanding, PayablesError
from billpay.payments.payers import Payers
from billpay.payments.records import cancellation, in_play, scheduled_payment, settled_state
from billpay.payments.sending import Sender
from billpay.store.db import Database
from billpay.store.models import (
    BillCase,
    CompanyLink,
    DigestSubscription,
    Payment,
    connection_paused,
)

# Why a scheduled payment due while the app was uninstalled from its workspace was not sent.
AWAY = Phrase(
    N_(
        "it came due while Bill Pay was uninstalled from this workspace, so nobody could see "
        "it go or undo it."
    )
)


@dataclass(frozen=True)
class SentByScheduler:
    """A payment the scheduler dealt with, and where to show it."""

    link: CompanyLink
    bill_id: str
    payer: str
    view_id: str | None
    outcome: PaymentOutcome


class ScheduledPayments:
    def __init__(
        self,
        db: Database,
        links: Links,
        payers: Payers,
        mirror: Mirror,
        sender: Sender,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.payers = payers
        self.mirror = mirror
        self.sender = sender
        self.settings = settings
        self.clock = clock

    async def cancel_scheduled(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """Call off a scheduled payment before its date; the bill can then be paid again."""
        bill_id = ref.bill_id
        link, _policy = await self.payers.as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            payment = await scheduled_payment(s, case.id) if case else None
            if case is None:
                raise Denied(N_("There is no scheduled payment on this bill."))
            if payment is not None and payment.status == PaymentStatus.CANCELLED:
                by, at = await cancellation(s, link, bill_id, payment.id)
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(
                    view,
                    "already_cancelled",
                    Phrase(N_("This payment was already cancelled.")),
                    payment_view(payment),
                    cancelled_by=by,
                    cancelled_at=at,
                )
            if payment is None or payment.status != PaymentStatus.SCHEDULED:
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(view, "refused", not_pending_text(view))
            held = payment.send_after is not None
            payment.status = PaymentStatus.CANCELLED
            stamp(payment, now)
            await s.flush()
            case.state = await settled_state(s, case)
            stamp(case, now)
            action = "payment_undone" if held else "payment_cancelled"
            audit(s, link, user_id, action, bill_id, now=now, payment_id=payment.id)
            await s.flush()
            view = (await views_of(s, [case]))[0]
            cancelled = payment_view(payment)
        message = Phrase(
            N_("Undone: the payment of {amount} to {supplier} was not sent.")
            if held
            else N_("The scheduled payment of {amount} to {supplier} is cancelled."),
            amount=Money(cancelled.amount, cancelled.currency),
            supplier=Escaped(view.supplier_name),
        )
        return PaymentOutcome(view, "cancelled", message, cancelled)

    async def due_payments(self, now: datetime, teams: set[str] | None = None) -> list[int]:
        """Payments whose time has come: held ones past their undo window, and scheduled ones
        on their date, from the local time set for them in the channel's time zone (its
        digest's, else the default). With `teams` (the workspaces the app is installed in),
        only theirs: a workspace that uninstalled the app could neither see a payment go nor
        undo it, so its payments wait, scheduled still, and go if still due once it is back."""
        async with self.db.read() as s:
            query = (
                select(
                    Payment.id,
                    Payment.send_after,
                    Payment.payment_date,
                    DigestSubscription.time_zone,
                )
                .join(BillCase, BillCase.id == Payment.case_id)
                .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                .outerjoin(DigestSubscription, DigestSubscription.link_id == BillCase.link_id)
                # While the company's connection is not Linked they wait, then go if still due.
                .where(
                    Payment.status == PaymentStatus.SCHEDULED,
                    ~connection_paused(),
                    # A disconnected channel's payments were cancelled with it; never sent.
                    CompanyLink.archived.is_(False),
                )
            )
            if teams is not None:
                query = query.where(CompanyLink.team_id.in_(sorted(teams)))
            rows = await s.execute(query)
            return [
                payment_id
                for payment_id, send_after, payment_date, zone in rows
                if (send_after is not None and send_after <= now)
                or (send_after is None and self._day_has_come(payment_date, now, zone))
            ]

    async def wait_for_team(self, team_id: str, reason: str) -> int:
        """The workspace's scheduled payments wait (`due_payments` leaves them out while it is
        not installed): each says so in the audit trail, by the system; how many."""
        async with self.db.write() as s:
            rows = (
                await s.execute(
                    select(Payment, BillCase.bill_id, CompanyLink)
                    .join(BillCase, BillCase.id == Payment.case_id)
                    .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                    .where(
                        Payment.status == PaymentStatus.SCHEDULED, CompanyLink.team_id == team_id
                    )
                )
            ).all()
            now = self.clock()
            for payment, bill_id, link in rows:
                audit(
                    s,
                    link,
                    "system",
                    "payment_waiting",
                    bill_id,
                    now=now,
                    payment_id=payment.id,
                    reason=reason,
                )
        return len(rows)

    async def call_off_missed(self, team_id: str) -> list[SentByScheduler]:
        """The workspace installs the app again: its scheduled payments that came due while
        it was uninstalled (they waited, `due_payments`) are not sent late without a person:
        each is refused as not sent, says why, and its bill can be paid again. Those dated
        later go on their date. Each is claimed under its row lock, so a scheduler's tick
        cannot send it meanwhile."""
        called_off = []
        for payment_id in await self.due_payments(self.clock(), teams={team_id}):
            async with self.db.write() as s:
                now = self.clock()
                payment = await s.get(Payment, payment_id, with_for_update=True)
                if payment is None or payment.status != PaymentStatus.SCHEDULED:
                    continue
                case = await s.get(BillCase, payment.case_id, with_for_update=True)
                link = await s.get(CompanyLink, case.link_id) if case else None
                assert case is not None and link is not None
                payment.status = PaymentStatus.REFUSED
                payment.error = Phrase(N_("Not sent: {reason}"), reason=AWAY).dump()
                stamp(payment, now)
                await s.flush()
                case.state = await settled_state(s, case)
                stamp(case, now)
                audit(
                    s,
                    link,
                    "scheduler",
                    "payment_not_sent",
                    case.bill_id,
                    now=now,
                    payment_id=payment_id,
                    reason=str(AWAY),
                )
                await s.flush()
                view = (await views_of(s, [case]))[0]
                outcome = PaymentOutcome(
                    view, "not_sent", Phrase("{x}", x=Escaped(AWAY)), view.last_payment
                )
                called_off.append(
                    SentByScheduler(link, case.bill_id, payment.requested_by, None, outcome)
                )
        return called_off

    def _day_has_come(self, payment_date: date, now: datetime, zone: str | None) -> bool:
        try:
            local = now.astimezone(ZoneInfo(zone or self.settings.default_time_zone))
        except (ValueError, KeyError):
            local = now.astimezone(ZoneInfo(self.settings.default_time_zone))
        return payment_date < local.date() or (
            payment_date == local.date() and local.time() >= self.settings.scheduled_payment_time
        )

    async def send_scheduled(self, payment_id: int) -> SentByScheduler | None:
        """Send one due payment, once: claimed (scheduled → requested) in one transaction, so
        only one replica sends it. Before sending, the bill is read again and the policy checked
        again; a payment that can no longer be made is not sent, and says why. One refused
        because the company's connection is no longer Linked waits (None), scheduled still."""
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            if payment is None or payment.status != PaymentStatus.SCHEDULED:
                return None  # sent, undone or cancelled meanwhile, or claimed by a replica
            if payment.send_after is not None and payment.send_after > now:
                return None
            case = await s.get(BillCase, payment.case_id, with_for_update=True)
            link = await s.get(CompanyLink, case.link_id) if case else None
            assert case is not None and link is not None
            if await in_play(s, case.id, besides=payment.id):
                return None  # waits until the bill's other payment is settled (the card says so)
            payment.status = PaymentStatus.REQUESTED
            payment.sent_at = now
            stamp(payment, now)
            case.state = CaseState.PAYING
            stamp(case, now)
            audit(
                s,
                link,
                "scheduler",
                "payment_claimed",
                case.bill_id,
                now=now,
                payment_id=payment_id,
            )
            bill_id, payer, view_id = case.bill_id, payment.requested_by, payment.view_id
        sent = SentByScheduler(link, bill_id, payer, view_id, None)  # type: ignore[arg-type]
        try:
            refusal = await self._refusal(link, bill_id, payment_id, payer)
        except PayablesError:
            await self._unclaim(link, bill_id, payment_id)  # the next tick tries again
            raise
        if refusal is not None:
            return replace(sent, outcome=await self._not_sent(link, bill_id, payment_id, refusal))
        outcome = await self.sender.send_unless_unlinked(link, bill_id, payment_id)
        if outcome is None:
            # The connection is no longer Linked: nothing was written; it waits to be linked.
            await self._unclaim(link, bill_id, payment_id)
            return None
        return replace(sent, outcome=outcome)

    async def _refusal(
        self, link: CompanyLink, bill_id: str, payment_id: int, payer: str
    ) -> Phrase | None:
        """Why a claimed payment must not go out now (plain text); or None, after noting the
        bill's figures as they are now (what a lost answer will be compared with)."""
        policy = await self.links.policy_for(link)
        if not policy.may_pay(payer):
            return Phrase(
                N_("only {who} may pay bills in this channel now."), who=policy.who_may_pay()
            )
        try:
            bill = await self.mirror.live_bill(link, bill_id)
        except BillNotOutstanding:
            return Phrase(N_("the bill is no longer outstanding (paid or voided elsewhere)."))
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id) if payment else None
            assert payment is not None and case is not None
            approvals = await approval_people(s, case.id)
            origin = await origin_of(s, link.company_id, bill_id)
            if payment_refusal(policy, origin, approvals, payer):
                if not policy.approver_may_pay and payer in approvals:
                    why = N_(
                        "you approved this bill, and the policy now asks someone else to pay it."
                    )
                else:
                    why = N_(
                        "nobody else approved this bill you brought in; someone else must pay it."
                    )
                return Phrase(why)
            if not bill.is_outstanding:
                return Phrase(N_("the bill is {status} now."), status=status_words(bill.status))
            if bill.currency != payment.currency:
                return Phrase(
                    N_("the bill is now in {currency}, not {scheduled}."),
                    currency=bill.currency,
                    scheduled=payment.currency,
                )
            if payment.amount > bill.outstanding_amount:
                return Phrase(
                    N_("only {due} is still due now, less than the {amount} scheduled."),
                    due=Money(bill.outstanding_amount, bill.currency),
                    amount=Money(payment.amount, payment.currency),
                )
            payment.due_before = bill.outstanding_amount
            payment.status_before = bill.status
            stamp(payment, now)
        return None

    async def _not_sent(
        self, link: CompanyLink, bill_id: str, payment_id: int, reason: Phrase
    ) -> PaymentOutcome:
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            payment.status = PaymentStatus.REFUSED
            payment.error = Phrase(N_("Not sent: {reason}"), reason=reason).dump()
            await s.flush()
            case.state = await settled_state(s, case)
            stamp(payment, now)
            stamp(case, now)
            audit(s, link, "scheduler", "payment_not_sent", bill_id, now=now, reason=str(reason))
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return PaymentOutcome(view, "not_sent", Phrase("{x}", x=Escaped(reason)), view.last_payment)

    async def _unclaim(self, link: CompanyLink, bill_id: str, payment_id: int) -> None:
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            if payment is None or case is None or payment.status != PaymentStatus.REQUESTED:
                return
            payment.status = PaymentStatus.SCHEDULED
            payment.sent_at = None
            await s.flush()
            case.state = await settled_state(s, case)
            stamp(payment, now)
            stamp(case, now)
            audit(
                s, link, "scheduler", "payment_unclaimed", bill_id, now=now, payment_id=payment_id
            )
