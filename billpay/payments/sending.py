"""Sending a reserved payment to the payables API under its idempotency key, and recording what
the answer proves, in one transaction: recorded (a 2xx), refused (an answer proving nothing was
written: "Nothing was paid") or in doubt (anything else), which the settler then settles in the
background (`settling`). Any fault of ours after the payment was reserved leaves it `requested`,
which the settler takes up as in doubt too (`PaymentInDoubt` tells the payer so).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from billpay.bills.cases import audit, stamp, views_of
from billpay.config import Settings
from billpay.core.domain import CaseState, PaymentOutcome, PaymentStatus
from billpay.core.errors import PaymentInDoubt
from billpay.core.i18n import N_, Phrase
from billpay.payables.client import PayablesClient
from billpay.payables.errors import (
    PayablesConnectionNotLinked,
    PayablesError,
    PayablesUnprocessable,
)
from billpay.payables.models import BillPaymentPrototype
from billpay.payments.evidence import CHECKS_AFTER, Fate, fate_of
from billpay.payments.records import mark_recorded, settled_state
from billpay.payments.rules import in_doubt_message, refusal_cause
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment

log = logging.getLogger(__name__)
# Told when a write was refused because the company's connection is no longer Linked
# (`billpay.mirror.connection.ConnectionHealth.write_refused`, set by the composition).
ConnectionLost = Callable[[CompanyLink, PayablesConnectionNotLinked], Awaitable[None]]


class Sender:
    def __init__(
        self,
        db: Database,
        api: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.api = api
        self.settings = settings
        self.clock = clock
        self.connection_lost: ConnectionLost | None = None

    async def send(self, link: CompanyLink, bill_id: str, payment_id: int) -> PaymentOutcome:
        """Send a reserved payment and record what its answer proves. A fault from here on
        leaves it `requested`: it may have reached the platform, and the settler takes it up."""
        outcome = await self._send(link, bill_id, payment_id, wait_if_unlinked=False)
        assert outcome is not None
        return outcome

    async def send_unless_unlinked(
        self, link: CompanyLink, bill_id: str, payment_id: int
    ) -> PaymentOutcome | None:
        """`send`, except that a payment refused because the connection is no longer Linked
        is not recorded as refused: None, and it stays `requested` for the caller to put back
        (a scheduled payment waits for the connection rather than failing)."""
        return await self._send(link, bill_id, payment_id, wait_if_unlinked=True)

    async def _send(
        self, link: CompanyLink, bill_id: str, payment_id: int, *, wait_if_unlinked: bool
    ) -> PaymentOutcome | None:
        try:
            async with self.db.read() as s:
                payment = await s.get(Payment, payment_id)
                assert payment is not None
            recorded_id, error, fate = await self.post(link, bill_id, payment)
            if isinstance(error, PayablesConnectionNotLinked) and fate == Fate.REFUSED:
                await self._connection_lost(link, error)
                if wait_if_unlinked:
                    return None
            return await self.record_answer(link, bill_id, payment_id, recorded_id, error, fate)
        except Exception as exc:
            raise PaymentInDoubt() from exc

    async def _connection_lost(self, link: CompanyLink, error: PayablesConnectionNotLinked) -> None:
        if self.connection_lost is None:
            return
        try:
            await self.connection_lost(link, error)
        except Exception:
            log.exception("could not note that connection %s is not linked", link.connection_id)

    async def post(
        self, link: CompanyLink, bill_id: str, payment: Payment, *, replay: bool = False
    ) -> tuple[str | None, PayablesError | None, Fate]:
        """Send the payment under its key, always with the same body: the payables payment id
        (when the answer gave one), the error, and what the answer proves. A `replay` is tried
        once: the API answers a key as it did the first time, so trying again tells nothing."""
        prototype = BillPaymentPrototype(
            amount=payment.amount,
            date=payment.payment_date.isoformat() + "T00:00:00",
            account_ref={"id": payment.account_id},  # type: ignore[arg-type]
            reference=payment.reference,
            currency_rate=payment.exchange_rate,
        )
        api = self.api.with_retry(replace(self.api.retry, max_attempts=1)) if replay else self.api
        try:
            result = await api.create_bill_payment(
                link.company_id,
                link.connection_id,
                bill_id,
                prototype,
                idempotency_key=payment.idempotency_key,
            )
        except PayablesUnprocessable as exc:
            # The same key with another body: the bot changed a payment after sending it. A
            # defect to look at; what the first request did is unknown.
            log.error("payment %s: the payables API refused its key as reused: %r", payment.id, exc)
            exc.maybe_applied = True
            return None, exc, Fate.IN_DOUBT
        except PayablesError as exc:
            fate = fate_of(exc)
            log.warning("payment %s: %s after %r", payment.id, fate, exc)
            return None, exc, fate
        return result.id, None, Fate.RECORDED

    async def record_answer(
        self,
        link: CompanyLink,
        bill_id: str,
        payment_id: int,
        recorded_id: str | None,
        error: PayablesError | None,
        fate: Fate,
    ) -> PaymentOutcome:
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if fate == Fate.RECORDED:
                await mark_recorded(s, link, case, payment, now, recorded_id=recorded_id)
                status, message = "recorded", Phrase(N_("Payment recorded."))
            elif fate == Fate.REFUSED:
                assert error is not None
                cause = refusal_cause(error)
                payment.status = PaymentStatus.REFUSED
                payment.error = cause.dump()
                case.state = await settled_state(s, case)
                if case.state == CaseState.APPROVED:
                    case.state = CaseState.FAILED
                audit(
                    s,
                    link,
                    payment.requested_by,
                    "payment_refused",
                    bill_id,
                    now=now,
                    payment_id=payment.id,
                    error=str(cause),
                )
                status, message = "failed", Phrase(N_("{cause} Nothing was paid."), cause=cause)
            else:
                sent_at = payment.sent_at or now
                payment.status = PaymentStatus.IN_DOUBT
                payment.doubt_since = now
                payment.next_check_at = sent_at + CHECKS_AFTER[0]
                payment.error = refusal_cause(error).dump() if error is not None else None
                case.state = await settled_state(s, case)
                audit(
                    s,
                    link,
                    payment.requested_by,
                    "payment_in_doubt",
                    bill_id,
                    now=now,
                    payment_id=payment.id,
                    error=str(error) if error else None,
                )
                status, message = "in_doubt", in_doubt_message(payment, link)
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return PaymentOutcome(view, status, message, view.last_payment)
