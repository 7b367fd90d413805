"""Sending a reserved payment to the payables API under its idempotency key, and recording the
answer in one transaction: recorded, refused (an answer that proves nothing was written), or in
doubt. A payment in doubt whose request has finished is settled at once by reading the bill
("landed, then 500"); any fault of ours after the payment was reserved is `PaymentInDoubt`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from billpay.bills.cases import audit, stamp, views_of
from billpay.core.domain import CaseState, PaymentOutcome, PaymentStatus
from billpay.core.errors import PaymentInDoubt
from billpay.core.i18n import N_, Phrase
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesError, PayablesUnprocessable
from billpay.payables.models import BillPaymentPrototype
from billpay.payments.records import mark_recorded
from billpay.payments.rules import answered, failure_cause, failure_message, outcome_unknown
from billpay.payments.settling import Settler
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment

log = logging.getLogger(__name__)


class Sender:
    def __init__(
        self,
        db: Database,
        api: PayablesClient,
        settler: Settler,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.api = api
        self.settler = settler
        self.clock = clock

    async def send(self, link: CompanyLink, bill_id: str, payment_id: int) -> PaymentOutcome:
        """Send a reserved payment. A fault from here on leaves it `requested`: it may have
        reached the platform, and becomes retryable with its key once abandoned."""
        try:
            return await self._send(link, bill_id, payment_id)
        except Exception as exc:
            raise PaymentInDoubt() from exc

    async def _send(self, link: CompanyLink, bill_id: str, payment_id: int) -> PaymentOutcome:
        async with self.db.read() as s:
            payment = await s.get(Payment, payment_id)
            assert payment is not None
        recorded_id, error = await self.post(link, bill_id, payment)
        outcome = await self.record_answer(link, bill_id, payment_id, recorded_id, error)
        if error is not None and outcome_unknown(error) and answered(error):
            # The request under this key has finished (with an error), so a re-read of the bill
            # tells whether it landed all the same ("landed, then 500").
            settled = await self.settler.settle(link, bill_id, payment_id, actor="system")
            return settled.outcome
        return outcome

    async def post(
        self, link: CompanyLink, bill_id: str, payment: Payment
    ) -> tuple[str | None, PayablesError | None]:
        """Send the payment under its key: the payables payment id, or the error."""
        prototype = BillPaymentPrototype(
            amount=payment.amount,
            date=payment.payment_date.isoformat() + "T00:00:00",
            account_ref={"id": payment.account_id},  # type: ignore[arg-type]
            reference=payment.reference,
            currency_rate=payment.exchange_rate,
        )
        try:
            result = await self.api.create_bill_payment(
                link.company_id,
                link.connection_id,
                bill_id,
                prototype,
                idempotency_key=payment.idempotency_key,
            )
        except PayablesUnprocessable as exc:
            # The same key with another body: the bot changed a payment after sending it. A bug
            # to look at; the payment's outcome is treated as unknown, and settled by reading.
            log.error("payment %s: the payables API refused its key as reused: %r", payment.id, exc)
            exc.maybe_applied = True
            return None, exc
        except PayablesError as exc:
            return None, exc
        return result.id, None

    async def record_answer(
        self,
        link: CompanyLink,
        bill_id: str,
        payment_id: int,
        recorded_id: str | None,
        error: PayablesError | None,
    ) -> PaymentOutcome:
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if error is None:
                await mark_recorded(s, link, case, payment, now, recorded_id=recorded_id)
                status, message = "recorded", Phrase(N_("Payment recorded."))
            else:
                unknown = outcome_unknown(error)
                log.warning(
                    "payment %s failed (outcome unknown: %s): %r", payment.id, unknown, error
                )
                payment.status = PaymentStatus.FAILED
                cause = failure_cause(error)
                payment.error = cause.dump()
                payment.outcome_unknown = unknown
                case.state = CaseState.FAILED
                audit(
                    s,
                    link,
                    payment.requested_by,
                    "payment_failed",
                    bill_id,
                    now=now,
                    payment_id=payment.id,
                    error=str(cause),
                    outcome_unknown=unknown,
                )
                status, message = "failed", failure_message(cause, unknown=unknown)
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return PaymentOutcome(view, status, message, view.last_payment)
