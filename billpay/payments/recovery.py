"""Payments that went wrong, put right: Retry payment (the same key again while the API still
replays it, then a read of the bill, and a new attempt only for a payment that clearly did not
land) and the payer's word on a payment the bill's figures could not settle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from billpay.bills.book import CaseBook
from billpay.bills.cases import (
    audit,
    case_for_update,
    last_payment,
    not_pending_text,
    stamp,
    sync_case,
    views_of,
)
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseRef, CaseState, PaymentOutcome
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.payments.form import AccountChoice, PaymentRequest
from billpay.payments.payers import Payers
from billpay.payments.reconcile import Verdict
from billpay.payments.records import mark_recorded, payment_refusal, reserve_payment
from billpay.payments.rules import answered, new_payment_key, retryable
from billpay.payments.sending import Sender
from billpay.payments.settling import Settler
from billpay.store.db import Database
from billpay.store.models import CompanyLink, Payment

# Keys are sent again only well inside the API's replay window.
REPLAY_MARGIN = timedelta(minutes=10)


class Recovery:
    def __init__(
        self,
        db: Database,
        links: Links,
        cases: CaseBook,
        payers: Payers,
        sender: Sender,
        settler: Settler,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.cases = cases
        self.payers = payers
        self.sender = sender
        self.settler = settler
        self.settings = settings
        self.clock = clock

    async def retry_payment(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """Retry a payment that failed without a clear answer, or that was found not to have
        landed. Within the API's replay window, the same key is sent first: it either records
        the payment or replays how the first request ended. Then the bill is read, and only a
        payment that clearly did not land is sent again, as a new attempt with a new key."""
        bill_id = ref.bill_id
        link, _policy = await self.payers.as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            payment = await last_payment(s, case.id) if case else None
            if case is None or payment is None or not retryable(case, payment):
                view = (await views_of(s, [case]))[0] if case else None
                if view is None:
                    raise Denied(N_("There is no failed payment to retry on this bill."))
                return PaymentOutcome(view, "refused", not_pending_text(view))
            audit(s, link, user_id, "payment_retried", bill_id, now=now, payment_id=payment.id)
            payment_id, unknown = payment.id, payment.outcome_unknown
            probe = unknown and self.may_replay(payment, now)
        if not unknown:
            return await self.next_attempt(link, bill_id, payment_id, user_id)
        if probe:
            async with self.db.read() as s:
                sent = await s.get(Payment, payment_id)
                assert sent is not None
            recorded_id, error = await self.sender.post(link, bill_id, sent)
            if error is None:
                return await self.sender.record_answer(link, bill_id, payment_id, recorded_id, None)
            if not answered(error):  # still running under that key, or still no answer
                view = await self.cases.case_view(link, bill_id)
                assert view is not None
                return PaymentOutcome(
                    view,
                    "failed",
                    Phrase(
                        N_(
                            "The accounting platform hasn't finished with this payment yet. "
                            "Nothing else was sent; check again in a minute."
                        )
                    ),
                    view.last_payment,
                )
        settled = await self.settler.settle(link, bill_id, payment_id, actor=user_id)
        if settled.verdict == Verdict.NOT_LANDED:
            return await self.next_attempt(link, bill_id, payment_id, user_id)
        return settled.outcome

    async def confirm_payment(self, ref: CaseRef, user_id: str, *, landed: bool) -> PaymentOutcome:
        """The payer's word on a payment the bill's figures couldn't settle: it was recorded
        (the bot records it too) or it wasn't (the bill can be paid again). Audited."""
        bill_id = ref.bill_id
        link, _policy = await self.payers.as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            payment = await last_payment(s, case.id) if case else None
            if case is None or payment is None or payment.reconciled != Verdict.MOVED:
                view = (await views_of(s, [case]))[0] if case else None
                if view is None:
                    raise Denied(N_("There is no payment to confirm on this bill."))
                return PaymentOutcome(view, "refused", not_pending_text(view))
            if not (case.state == CaseState.FAILED and payment.outcome_unknown):
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(view, "refused", not_pending_text(view))
            audit(
                s,
                link,
                user_id,
                "payment_confirmed" if landed else "payment_disowned",
                bill_id,
                now=now,
                payment_id=payment.id,
            )
            if landed:
                await mark_recorded(s, link, case, payment, now, recorded_id=None)
                message = Phrase(N_("Noted: the payment is recorded."))
            else:
                payment.outcome_unknown = False
                payment.reconciled = "disowned"
                case.state = CaseState.APPROVED if case.amount_due > 0 else CaseState.CLOSED
                message = Phrase(N_("Noted: that payment wasn't made. Nothing else was sent."))
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return PaymentOutcome(
            view, "recorded" if landed else "disowned", message, view.last_payment
        )

    def may_replay(self, payment: Payment, now: datetime) -> bool:
        """Is the payment's key still inside the window in which the API replays its answer?
        Past it, the same key would be a new write: only a read may settle the payment."""
        if payment.sent_at is None:
            return False
        window = timedelta(minutes=self.settings.payables_idempotency_window_minutes)
        return now - payment.sent_at < window - REPLAY_MARGIN

    async def next_attempt(
        self, link: CompanyLink, bill_id: str, payment_id: int, actor: str
    ) -> PaymentOutcome:
        """Send a payment that did not land again, as a new attempt with a new key, checked
        against the bill as it is now."""
        bill = await self.cases.read_bill(link, bill_id)
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            previous = await s.get(Payment, payment_id, with_for_update=True)
            assert previous is not None
            case = await sync_case(s, link, bill, policy, now=now)
            request = PaymentRequest(
                account=AccountChoice(
                    previous.account_id, previous.account_name, previous.account_currency
                ),
                currency=previous.currency,
                amount=previous.amount,
                payment_date=max(previous.payment_date, now.date()),
                reference=previous.reference,
                exchange_rate=previous.exchange_rate,
                idempotency_key=new_payment_key(),
            )
            refusal = await payment_refusal(s, case, bill, request)
            if refusal is not None:
                await s.flush()
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(view, "refused", refusal, view.last_payment)
            attempt_id = await reserve_payment(
                s, link, case, bill, request, previous.requested_by, scheduled=False, now=now
            )
            attempt = await s.get(Payment, attempt_id)
            assert attempt is not None
            attempt.attempt = previous.attempt + 1
            attempt.retry_of = previous.id
            audit(
                s,
                link,
                actor,
                "payment_attempt",
                bill_id,
                now=now,
                payment_id=attempt_id,
                attempt=attempt.attempt,
                retry_of=previous.id,
            )
        return await self.sender.send(link, bill_id, attempt_id)
