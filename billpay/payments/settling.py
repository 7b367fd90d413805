"""Settling a payment whose answer was lost, by reading the bill, never by resending: the bill's
figures now against the figures when the payment was reserved (`reconcile.verdict`) say whether
it landed, did not land, or moved in a way only the payer can explain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billpay.bills.cases import audit, not_pending_text, stamp, views_of
from billpay.core.domain import CaseState, PaymentOutcome
from billpay.core.i18n import N_, Escaped, Phrase
from billpay.payables.client import PayablesClient
from billpay.payables.errors import BillNotOutstanding
from billpay.payments.reconcile import Reading, Reserved, Verdict, verdict
from billpay.payments.records import mark_recorded
from billpay.payments.rules import failure_message, moved_facts
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment


@dataclass(frozen=True)
class Settled:
    outcome: PaymentOutcome
    verdict: Verdict | None  # None: nothing was left to settle


class Settler:
    def __init__(self, db: Database, reads: PayablesClient, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.reads = reads
        self.clock = clock

    async def settle(
        self, link: CompanyLink, bill_id: str, payment_id: int, *, actor: str
    ) -> Settled:
        """Settle a payment whose outcome is unknown by reading the bill (see
        `billpay.payments.reconcile`): recorded when it landed, failed when it did not (the
        caller may then send a new attempt), or the facts for the payer when the bill moved."""
        reading = await self.reading(link, bill_id)
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if case.state != CaseState.FAILED or not payment.outcome_unknown:
                view = (await views_of(s, [case]))[0]
                return Settled(
                    PaymentOutcome(view, "refused", not_pending_text(view), view.last_payment), None
                )
            found = verdict(
                Reserved(payment.amount, payment.due_before, payment.status_before), reading
            )
            payment.reconciled = found
            audit(
                s,
                link,
                actor,
                "payment_reconciled",
                bill_id,
                now=now,
                payment_id=payment.id,
                verdict=found,
                amount_due=reading.amount_due,
                bill_status=reading.status,
            )
            if found == Verdict.LANDED:
                await mark_recorded(s, link, case, payment, now, recorded_id=None)
                status, message = (
                    "recorded",
                    Phrase(
                        N_(
                            "The payment had reached the accounting platform after all: it is "
                            "recorded."
                        )
                    ),
                )
            elif found == Verdict.NOT_LANDED:
                payment.outcome_unknown = False
                cause = Phrase.load(payment.error or "")
                status, message = "failed", failure_message(cause, unknown=False)
            else:
                facts = moved_facts(payment, reading)
                payment.error = facts.dump()
                status, message = "failed", Phrase("{x}", x=Escaped(facts))
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        return Settled(PaymentOutcome(view, status, message, view.last_payment), found)

    async def reading(self, link: CompanyLink, bill_id: str) -> Reading:
        try:
            bill = await self.reads.get_bill(link.company_id, link.connection_id, bill_id)
        except BillNotOutstanding:
            return Reading(amount_due=None, status=None)
        due = bill.outstanding_amount if bill.is_outstanding else bill.amount_due
        return Reading(amount_due=due, status=bill.status)
