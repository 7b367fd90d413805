"""Paying a bill from the Pay form: who may pay it now (answered before any modal opens), the form's
fresh bill and accounts, and the submission: reserved with its idempotency key in one
transaction, then sent now, held for the undo window, or scheduled for its date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from billpay.bills.book import CaseBook
from billpay.bills.cases import payment_with_key, sync_case, views_of
from billpay.config import Settings
from billpay.core.domain import CaseRef, PaymentOutcome, PaymentStatus
from billpay.core.errors import FORM_OUT_OF_DATE, Denied, OutOfDate
from billpay.core.i18n import N_, Money, Phrase
from billpay.core.mrkdwn import escape
from billpay.payments.accounts import BankAccounts
from billpay.payments.form import AccountChoice, PaymentForm, PaymentRequest
from billpay.payments.payers import Payers
from billpay.payments.records import outcome_of_key, payment_refusal, reserve_payment, unconfirmed
from billpay.payments.rules import check_payable, new_payment_key
from billpay.payments.sending import Sender
from billpay.store.db import Database
from billpay.store.models import CompanyLink, Payment


class Payments:
    def __init__(
        self,
        db: Database,
        cases: CaseBook,
        payers: Payers,
        accounts: BankAccounts,
        sender: Sender,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.cases = cases
        self.payers = payers
        self.accounts = accounts
        self.sender = sender
        self.settings = settings
        self.clock = clock

    async def check_may_pay(self, ref: CaseRef, user_id: str) -> None:
        """Refuse a Pay… click at once, from the bot's own records, when this person can't pay
        this bill now: not a payer, the approver the policy keeps from paying, approvals still
        missing, or a bill already paid, rejected or being paid (a click on an older copy of
        its card). Nothing is read from the payables API, so the answer comes before any modal
        opens; `prepare_payment` checks again against the bill as it is."""
        link, _policy = await self.payers.as_payer(ref, user_id)
        view = await self.cases.case_view(link, ref.bill_id)
        if view is None:
            return  # not seen yet: `prepare_payment` reads it
        try:
            check_payable(view)
        except Denied:
            await self.cases.denied(link, user_id, "pay", ref.bill_id, reason=str(view.state))
            raise

    async def prepare_payment(self, ref: CaseRef, user_id: str) -> PaymentForm:
        """Check the payer may pay this bill now, re-read it and fetch the accounts."""
        bill_id = ref.bill_id
        link, policy = await self.payers.as_payer(ref, user_id)
        bill = await self.cases.read_bill(link, bill_id)
        async with self.db.write() as s:
            case = await sync_case(s, link, bill, policy, now=self.clock())
            view = (await views_of(s, [case]))[0]
        check_payable(view)
        accounts = await self.accounts_for(link, bill.currency)
        if not accounts:
            raise Denied(
                N_(
                    "{company} has no active bank account to pay from. Add one in the "
                    "accounting platform, then try again."
                ),
                company=escape(link.company_name),
            )
        return PaymentForm(
            view, accounts, idempotency_key=new_payment_key(), base_currency=link.base_currency
        )

    async def accounts_for(self, link: CompanyLink, bill_currency: str) -> list[AccountChoice]:
        return await self.accounts.choices(link, bill_currency)

    async def submit_payment(
        self,
        ref: CaseRef,
        user_id: str,
        request: PaymentRequest,
        today: date,
        *,
        view_id: str | None = None,
        confirmed: frozenset[str] = frozenset(),
    ) -> PaymentOutcome:
        """Record a payment: sent now, held for the undo window (then sent by the scheduler),
        or scheduled for a later date. A bill flagged as a possible duplicate, or with a
        question open, is paid only when the payer `confirmed` it (`duplicate`, `question`)."""
        bill_id = ref.bill_id
        link, policy = await self.payers.as_payer(ref, user_id)
        duplicate = await self._outcome_of_key(link, bill_id, request.idempotency_key)
        if duplicate is not None:
            return duplicate
        bill = await self.cases.read_bill(link, bill_id)
        usable = {a.id: a for a in await self.accounts_for(link, bill.currency)}
        account = usable.get(request.account.id)
        if account is None or account.currency != request.account.currency:
            view = await self.cases.view_of_bill(link, bill, policy)
            return PaymentOutcome(
                view,
                "refused",
                Phrase(
                    N_(
                        "That bank account can't be paid from any more (archived, removed or "
                        "changed); nothing was paid. Press Pay… again."
                    )
                ),
            )
        if request.payment_date < today:
            view = await self.cases.view_of_bill(link, bill, policy)
            return PaymentOutcome(
                view,
                "refused",
                Phrase(N_("The payment date has passed; nothing was paid. Press Pay… again.")),
            )
        request = replace(request, account=account)
        scheduled = request.payment_date > today
        hold = timedelta(seconds=self.settings.payment_hold_seconds)
        held = not scheduled and hold > timedelta(0)
        payment_id: int | None = None
        try:
            async with self.db.write() as s:
                now = self.clock()
                case = await sync_case(s, link, bill, policy, now=now)
                if await payment_with_key(s, request.idempotency_key) is None:  # anywhere
                    refusal = await payment_refusal(s, case, bill, request)
                    refusal = refusal or await unconfirmed(s, case, confirmed)
                    if refusal is not None:
                        await s.flush()
                        view = (await views_of(s, [case]))[0]
                        return PaymentOutcome(view, "refused", refusal)
                    payment_id = await reserve_payment(
                        s,
                        link,
                        case,
                        bill,
                        request,
                        user_id,
                        scheduled=scheduled or held,
                        now=now,
                        send_after=now + hold if held else None,
                        view_id=view_id,
                        confirmed=sorted(confirmed),
                    )
        except IntegrityError:
            payment_id = None  # another request committed the same key first
        if payment_id is None:
            duplicate = await self._outcome_of_key(link, bill_id, request.idempotency_key)
            if duplicate is None:  # the key belongs to another bill or channel: a tampered form
                raise OutOfDate(FORM_OUT_OF_DATE)
            return duplicate
        if not (held or scheduled):
            return await self.sender.send(link, bill_id, payment_id)
        reserved = await self.cases.case_view(link, bill_id)
        assert reserved is not None
        amount = Money(request.amount, bill.currency)
        if held:
            status = "held"
            message = Phrase(
                N_("Paying {amount} in {seconds} s: *Undo* stops it."),
                amount=amount,
                seconds=self.settings.payment_hold_seconds,
            )
        else:
            status = "scheduled"
            message = Phrase(
                N_("Payment of {amount} scheduled for {date}."),
                amount=amount,
                date=request.payment_date,
            )
        return PaymentOutcome(reserved, status, message, reserved.last_payment)

    async def sent_meanwhile(self, payment_id: int) -> bool:
        """Has the scheduler taken this held payment since (sending, sent or settled)? Its
        result then reaches the payer from there."""
        async with self.db.read() as s:
            payment = await s.get(Payment, payment_id)
            return payment is not None and payment.status not in (
                PaymentStatus.SCHEDULED,
                PaymentStatus.CANCELLED,
            )

    async def _outcome_of_key(
        self, link: CompanyLink, bill_id: str, key: str
    ) -> PaymentOutcome | None:
        async with self.db.read() as s:
            return await outcome_of_key(s, link, bill_id, key)
