"""A payment's rows, in the caller's transaction: reserving it with its idempotency key, marking
it recorded, the refusals checked against the bill as just re-read, the payment a key names, and
who cancelled one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import (
    audit,
    last_payment,
    not_pending_text,
    payment_view,
    payment_with_key,
    stamp,
    status_words,
    views_of,
)
from billpay.core.domain import CaseState, PaymentOutcome, PaymentStatus
from billpay.core.i18n import N_, Money, Phrase
from billpay.payables.models import Bill
from billpay.payments.form import PaymentRequest
from billpay.store.models import AuditEvent, BillCase, CompanyLink, Payment, Question


async def reserve_payment(
    s: AsyncSession,
    link: CompanyLink,
    case: BillCase,
    bill: Bill,
    request: PaymentRequest,
    user_id: str,
    *,
    scheduled: bool,
    now: datetime,
    send_after: datetime | None = None,
    view_id: str | None = None,
    confirmed: Sequence[str] = (),
) -> int:
    """Store the payment and its idempotency key, and move the case on, in the caller's
    transaction: once this commits, no other request can start a payment of this case. A
    scheduled payment (a later date, or held for `send_after`) is sent by the scheduler."""
    payment = Payment(
        case_id=case.id,
        idempotency_key=request.idempotency_key,
        status=PaymentStatus.SCHEDULED if scheduled else PaymentStatus.REQUESTED,
        amount=request.amount,
        currency=bill.currency,
        account_id=request.account.id,
        account_name=request.account.name,
        account_currency=request.account.currency,
        exchange_rate=request.exchange_rate,
        base_currency=link.base_currency,
        payment_date=request.payment_date,
        reference=request.reference,
        requested_by=user_id,
        due_before=bill.outstanding_amount,
        status_before=bill.status,
        sent_at=None if scheduled else now,
        send_after=send_after,
        view_id=view_id,
        created_at=now,
        updated_at=now,
    )
    s.add(payment)
    case.state = CaseState.SCHEDULED if scheduled else CaseState.PAYING
    stamp(case, now)
    await s.flush()
    audit(
        s,
        link,
        user_id,
        "payment_held"
        if send_after is not None
        else ("payment_scheduled" if scheduled else "payment_requested"),
        bill.id,
        now=now,
        payment_id=payment.id,
        amount=request.amount,
        currency=bill.currency,
        account=request.account.name,
        date=request.payment_date.isoformat(),
        exchange_rate=request.exchange_rate,
        idempotency_key=request.idempotency_key,
        confirmed=list(confirmed) or None,
    )
    return payment.id


async def settled_state(s: AsyncSession, case: BillCase) -> CaseState:
    """The case's state from its payments, once one of them has settled: in doubt while any is,
    paying while one is in flight, else paid, scheduled or approved. Never forced by one
    payment's own outcome, so a payment never hides another's."""
    statuses = set(await s.scalars(select(Payment.status).where(Payment.case_id == case.id)))
    if PaymentStatus.IN_DOUBT in statuses:
        return CaseState.IN_DOUBT
    if PaymentStatus.REQUESTED in statuses:
        return CaseState.PAYING
    if case.amount_due <= 0:
        return CaseState.PAID
    if PaymentStatus.SCHEDULED in statuses:
        return CaseState.SCHEDULED
    return CaseState.APPROVED


async def mark_recorded(
    s: AsyncSession,
    link: CompanyLink,
    case: BillCase,
    payment: Payment,
    now: datetime,
    *,
    recorded_id: str | None,
    how: str | None = None,
    actor: str | None = None,
) -> None:
    """The payment is in the accounting platform: record it and move the case on. The amount
    still due is the bot's arithmetic (marked as estimated) until a read of the bill shows the
    platform's own figures, which may differ (a platform that converts or rounds)."""
    payment.status = PaymentStatus.RECORDED
    payment.payables_payment_id = recorded_id
    payment.error = None
    payment.needs_person = False
    payment.next_check_at = None
    payment.reconciled = how
    # A read between reserving and now may already show this payment: take the lower.
    case.amount_due = max(min(case.amount_due, payment.due_before - payment.amount), Decimal(0))
    case.bill_status = "Paid" if case.amount_due == 0 else "PartiallyPaid"
    case.figures_estimated = True
    await s.flush()
    case.state = await settled_state(s, case)
    audit(
        s,
        link,
        actor or payment.requested_by,
        "payment_recorded",
        case.bill_id,
        now=now,
        payment_id=payment.id,
        payables_payment_id=recorded_id,
        amount=payment.amount,
        currency=payment.currency,
        account=payment.account_name,
        settled_by=how,
    )


async def in_play(s: AsyncSession, case_id: int, *, besides: int | None = None) -> bool:
    """Is a payment of this case in flight or in doubt (other than `besides`)?"""
    found = await s.scalar(
        select(Payment.id).where(
            Payment.case_id == case_id,
            Payment.status.in_((PaymentStatus.REQUESTED, PaymentStatus.IN_DOUBT)),
            Payment.id != (besides or -1),
        )
    )
    return found is not None


async def payment_refusal(
    s: AsyncSession, case: BillCase, bill: Bill, request: PaymentRequest
) -> Phrase | None:
    """Why this payment cannot be made now (mrkdwn), checked against the bill as just re-read."""
    view = (await views_of(s, [case]))[0]
    if await in_play(s, case.id):
        return Phrase(
            N_(
                "Another payment of this bill isn't settled yet: nothing more is sent until "
                "Bill Pay knows whether it reached the accounting platform."
            )
        )
    rest_payable = case.state == CaseState.SCHEDULED and view.scheduled and view.payable_amount > 0
    if case.state not in (CaseState.APPROVED, CaseState.FAILED) and not rest_payable:
        return (
            not_pending_text(view)
            if case.state != CaseState.PENDING
            else Phrase(
                N_("This bill needs approval first ({given} of {needed})."),
                given=len(view.approvals),
                needed=case.approvals_required,
            )
        )
    if not bill.is_outstanding:
        return Phrase(
            N_("This bill is {status} now; nothing was paid."), status=status_words(bill.status)
        )
    if bill.currency != request.currency:
        return Phrase(
            N_(
                "The bill is now in {currency}, not {form} as when you opened the form; nothing "
                "was paid. Press Pay… again."
            ),
            currency=bill.currency,
            form=request.currency,
        )
    held = view.scheduled.amount if view.scheduled is not None else Decimal(0)
    if request.amount > bill.outstanding_amount - held:
        due = Money(bill.outstanding_amount, bill.currency)
        if held:
            return Phrase(
                N_(
                    "Only {due} is still due on this bill now, less {scheduled} scheduled (it "
                    "changed since you opened the form); nothing was paid."
                ),
                due=due,
                scheduled=Money(held, bill.currency),
            )
        return Phrase(
            N_(
                "Only {due} is still due on this bill now (it changed since you opened the "
                "form); nothing was paid."
            ),
            due=due,
        )
    return None


async def unconfirmed(s: AsyncSession, case: BillCase, confirmed: frozenset[str]) -> Phrase | None:
    """Why a flagged bill can't be paid without the payer's explicit word, or None."""
    if case.duplicate_of and "duplicate" not in confirmed:
        return Phrase(
            N_(
                "This bill may be a duplicate: tick the confirmation in the Pay form to pay it "
                "anyway. Nothing was paid."
            )
        )
    if "question" not in confirmed and await s.scalar(
        select(Question.id).where(Question.case_id == case.id, Question.resolved_at.is_(None))
    ):
        return Phrase(
            N_(
                "A question is open on this bill: tick the override in the Pay form to pay it "
                "anyway. Nothing was paid."
            )
        )
    return None


async def scheduled_payment(s: AsyncSession, case_id: int) -> Payment | None:
    """The case's payment still to go out (dated later or held), if any; else its last."""
    found = await s.scalar(
        select(Payment)
        .where(Payment.case_id == case_id, Payment.status == PaymentStatus.SCHEDULED)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    return found if found is not None else await last_payment(s, case_id)


async def cancellation(
    s: AsyncSession, link: CompanyLink, bill_id: str, payment_id: int
) -> tuple[str | None, datetime | None]:
    """Who cancelled (or undid) this payment and when, from the audit trail."""
    events = await s.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.team_id == link.team_id,
            AuditEvent.channel_id == link.channel_id,
            AuditEvent.bill_id == bill_id,
            AuditEvent.action.in_(("payment_cancelled", "payment_undone")),
        )
        .order_by(AuditEvent.id.desc())
    )
    for event in events:
        if (event.details or {}).get("payment_id") == payment_id:
            return event.actor, event.at
    return None, None


async def outcome_of_key(
    s: AsyncSession, link: CompanyLink, bill_id: str, key: str
) -> PaymentOutcome | None:
    """What became of the payment this key already names. A key is only ever looked up for its
    own bill and channel: one of another bill (a tampered form) is None."""
    payment = await payment_with_key(s, key)
    case = await s.get(BillCase, payment.case_id) if payment is not None else None
    if payment is None or case is None or (case.link_id, case.bill_id) != (link.id, bill_id):
        return None
    view = (await views_of(s, [case]))[0]
    words = {
        PaymentStatus.REQUESTED: N_("This payment is already being recorded."),
        PaymentStatus.RECORDED: N_("This payment was already recorded."),
        PaymentStatus.SCHEDULED: N_("This payment is already scheduled."),
        PaymentStatus.REFUSED: N_("This payment was refused; press Pay… again to pay."),
        PaymentStatus.IN_DOUBT: N_(
            "This payment isn't settled yet: Bill Pay is checking whether it reached the "
            "accounting platform."
        ),
        PaymentStatus.CANCELLED: N_("This payment was cancelled; press Pay… again to pay."),
    }
    said = words[PaymentStatus(payment.status)]
    if payment.status == PaymentStatus.SCHEDULED and payment.send_after is not None:
        # Held for the undo window: it goes out now, not on a later date.
        said = N_("This payment goes out in a few seconds; *Undo* on the card stops it.")
    return PaymentOutcome(view, "duplicate", Phrase(said), payment_view(payment))
