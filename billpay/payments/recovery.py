"""A payment in doubt, from its card: Check now (one more look, as the settler makes them: the
same key replayed while the API keeps its answer, then a read of the bill), and the person's
word once the looks proved nothing: **It's in the platform** (recorded by their word) or **Send
it again** (a new attempt with a new key, audited; the card's confirm dialog names the risk).
No new key is ever sent without that word.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.book import CaseBook
from billpay.bills.cases import audit, case_for_update, not_pending_text, stamp, sync_case, views_of
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseRef, PaymentOutcome, PaymentStatus
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Escaped, Phrase
from billpay.payments.form import AccountChoice, PaymentRequest
from billpay.payments.payers import Payers
from billpay.payments.records import mark_recorded, payment_refusal, reserve_payment, settled_state
from billpay.payments.rules import new_payment_key, platform_words
from billpay.payments.sending import Sender
from billpay.payments.settling import Settler
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment

NOTHING_IN_DOUBT = N_("There is no payment in doubt on this bill.")


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

    async def check_now(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """One more look at the bill's payment in doubt, now, for a payer who asked."""
        link, _policy = await self.payers.as_payer(ref, user_id)
        payment_id = await self._in_doubt(link, ref.bill_id)
        if payment_id is None:
            return await self._nothing_to_do(link, ref.bill_id)
        if not await self.settler.claim(payment_id):
            view = await self.cases.case_view(link, ref.bill_id)
            assert view is not None
            message = Phrase(N_("Bill Pay is checking this payment right now; look again soon."))
            return PaymentOutcome(view, "in_doubt", message, view.last_payment)
        async with self.db.write() as s:
            audit(
                s,
                link,
                user_id,
                "payment_checked",
                ref.bill_id,
                now=self.clock(),
                payment_id=payment_id,
            )
        settled = await self.settler.look(payment_id, actor=user_id)
        if settled is None:
            return await self._nothing_to_do(link, ref.bill_id)
        return settled.outcome

    async def confirm_in_platform(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """The payer checked the accounting platform and says the payment is there."""
        link, _policy = await self.payers.as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, ref.bill_id)
            payment = await _payment_in_doubt(s, case.id) if case else None
            if case is None or payment is None:
                view = (await views_of(s, [case]))[0] if case else None
                if view is None:
                    raise Denied(NOTHING_IN_DOUBT)
                return PaymentOutcome(view, "refused", not_pending_text(view))
            audit(
                s, link, user_id, "payment_confirmed", ref.bill_id, now=now, payment_id=payment.id
            )
            await mark_recorded(
                s, link, case, payment, now, recorded_id=None, how="confirmed", actor=user_id
            )
            stamp(payment, now)
            stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        message = Phrase(N_("Noted: the payment is recorded."))
        return PaymentOutcome(view, "recorded", message, view.last_payment)

    async def send_again(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """The payer checked the accounting platform, doesn't find the payment, and confirmed it
        should be sent again: a new attempt with a new key. Only once the looks are over: until
        then, a replay of the first key may still tell."""
        link, _policy = await self.payers.as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, ref.bill_id)
            payment = await _payment_in_doubt(s, case.id) if case else None
            if case is None or payment is None or not payment.needs_person:
                view = (await views_of(s, [case]))[0] if case else None
                if view is None:
                    raise Denied(NOTHING_IN_DOUBT)
                if payment is not None:
                    message = Phrase(
                        N_(
                            "Bill Pay is still checking this payment with {platform}; it can "
                            "be sent again only once the checks are over."
                        ),
                        platform=platform_words(link),
                    )
                    return PaymentOutcome(view, "refused", message, view.last_payment)
                return PaymentOutcome(view, "refused", not_pending_text(view))
            payment.status = PaymentStatus.REFUSED
            payment.reconciled = "sent_again"
            payment.needs_person = False
            payment.next_check_at = None
            payment.error = Phrase(
                N_("Not in {platform}, <@{user}> said; sent again."),
                platform=platform_words(link),
                user=Escaped(user_id),
            ).dump()
            case.state = await settled_state(s, case)
            stamp(payment, now)
            stamp(case, now)
            audit(
                s, link, user_id, "payment_sent_again", ref.bill_id, now=now, payment_id=payment.id
            )
            payment_id = payment.id
        return await self.next_attempt(link, ref.bill_id, payment_id, user_id)

    async def next_attempt(
        self, link: CompanyLink, bill_id: str, payment_id: int, actor: str
    ) -> PaymentOutcome:
        """Send a payment a person said did not land again, as a new attempt with a new key,
        checked against the bill as it is now."""
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

    async def _in_doubt(self, link: CompanyLink, bill_id: str) -> int | None:
        async with self.db.read() as s:
            case_id = await s.scalar(
                select(BillCase.id).where(BillCase.link_id == link.id, BillCase.bill_id == bill_id)
            )
            payment = await _payment_in_doubt(s, case_id) if case_id is not None else None
            return payment.id if payment else None

    async def _nothing_to_do(self, link: CompanyLink, bill_id: str) -> PaymentOutcome:
        view = await self.cases.case_view(link, bill_id)
        if view is None:
            raise Denied(NOTHING_IN_DOUBT)
        return PaymentOutcome(view, "refused", not_pending_text(view), view.last_payment)


async def _payment_in_doubt(s: AsyncSession, case_id: int) -> Payment | None:
    return await s.scalar(
        select(Payment)
        .where(Payment.case_id == case_id, Payment.status == PaymentStatus.IN_DOUBT)
        .order_by(Payment.id)
        .limit(1)
        .with_for_update()
    )
