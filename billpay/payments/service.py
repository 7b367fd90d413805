"""Paying a bill: reserving the payment and its idempotency key, sending it to the payables
API, settling the outcome, and retrying a payment whose answer was lost. `Payments` is one of
the workflow's services; the workflow gives it the link, policy and bill reads it needs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import (
    Denied,
    PaymentForm,
    PaymentOutcome,
    approvals_of,
    audit,
    case_for_update,
    last_payment,
    not_pending_text,
    payment_view,
    payment_with_key,
    stamp,
    status_words,
    sync_case,
    views_of,
)
from billpay.bills.policy import EffectivePolicy
from billpay.config import Settings
from billpay.core.domain import CaseRef, CaseState, CaseView, PaymentStatus
from billpay.core.errors import FORM_OUT_OF_DATE, OutOfDate, PaymentInDoubt
from billpay.core.i18n import N_, Escaped, Money, Phrase
from billpay.core.mrkdwn import escape
from billpay.core.ttl_cache import TtlCache
from billpay.payables.client import PayablesClient
from billpay.payables.errors import (
    BillNotOutstanding,
    PayablesConflict,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesUnprocessable,
)
from billpay.payables.models import BankAccountMappingOption, Bill, BillPaymentPrototype
from billpay.payments.form import AccountChoice, PaymentRequest
from billpay.payments.reconcile import Reading, Reserved, Verdict, verdict
from billpay.slack.explain import payables_words
from billpay.store.db import Database
from billpay.store.models import AuditEvent, BillCase, CompanyLink, Payment, Question

log = logging.getLogger(__name__)
OPTIONS_TTL_SECONDS = 60.0
# Keys are sent again only well inside the API's replay window.
REPLAY_MARGIN = timedelta(minutes=10)


# Payment mapping options rarely change; one read serves a minute of Pay clicks.
OptionsCache = TtlCache[tuple[str, str], list[BankAccountMappingOption]]


def account_choices(
    accounts: Iterable[BankAccountMappingOption], bill_currency: str, base_currency: str
) -> list[AccountChoice]:
    """The active accounts that can pay the bill: in its currency or, for a bill in another
    currency, the company's base currency. The bill's currency first, then by name."""
    payable = {bill_currency, base_currency} if bill_currency != base_currency else {bill_currency}
    usable = [
        a
        for a in accounts
        if (a.status or "Active") == "Active" and a.currency and a.currency in payable
    ]
    usable.sort(key=lambda a: (a.currency != bill_currency, (a.name or "").casefold(), a.id))
    return [AccountChoice(id=a.id, name=a.name or a.id, currency=a.currency or "") for a in usable]


class BillCore(Protocol):
    """What the payments need of the rest of the workflow: its clock, the channel's link and
    policy, the bill read again (its case brought up to date), and refusals audited."""

    clock: Callable[[], datetime]

    async def link_for(self, team_id: str, channel_id: str) -> CompanyLink: ...

    async def policy_for(self, link: CompanyLink) -> EffectivePolicy: ...

    async def read_bill(self, link: CompanyLink, bill_id: str) -> Bill: ...

    async def view_of_bill(
        self, link: CompanyLink, bill: Bill, policy: EffectivePolicy
    ) -> CaseView: ...

    async def case_view(self, link: CompanyLink, bill_id: str) -> CaseView | None: ...

    async def denied(
        self, link: CompanyLink, user_id: str, action: str, bill_id: str | None, **details: Any
    ) -> None: ...


class Payments:
    """Paying bills: the Pay form, payments sent now, held or scheduled, sending what is due
    (`send_scheduled`, for the scheduler), retrying and settling payments in doubt."""

    def __init__(
        self,
        core: BillCore,
        db: Database,
        settings: Settings,
        *,
        reads: PayablesClient,
        api: PayablesClient,
        options: OptionsCache,
    ) -> None:
        self.core = core
        self.db = db
        self.settings = settings
        self.reads = reads
        self.api = api
        self.options = options

    def clock(self) -> datetime:
        """The workflow's clock: one time for everything a transaction records."""
        return self.core.clock()

    # ------------------------------------------------------------ payments

    async def check_may_pay(self, ref: CaseRef, user_id: str) -> None:
        """Refuse a Pay… click at once, from the bot's own records, when this person can't pay
        this bill now: not a payer, the approver the policy keeps from paying, approvals still
        missing, or a bill already paid, rejected or being paid (a click on an older copy of
        its card). Nothing is read from the payables API, so the answer comes before any modal
        opens; `prepare_payment` checks again against the bill as it is."""
        link, _policy = await self._as_payer(ref, user_id)
        view = await self.core.case_view(link, ref.bill_id)
        if view is None:
            return  # not seen yet: `prepare_payment` reads it
        try:
            check_payable(view)
        except Denied:
            await self.core.denied(link, user_id, "pay", ref.bill_id, reason=str(view.state))
            raise

    async def prepare_payment(self, ref: CaseRef, user_id: str) -> PaymentForm:
        """Check the payer may pay this bill now, re-read it and fetch the accounts."""
        bill_id = ref.bill_id
        link, policy = await self._as_payer(ref, user_id)
        bill = await self.core.read_bill(link, bill_id)
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
        return account_choices(await self._bank_accounts(link), bill_currency, link.base_currency)

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
        link, policy = await self._as_payer(ref, user_id)
        duplicate = await self._payment_by_key(link, bill_id, request.idempotency_key)
        if duplicate is not None:
            return duplicate
        bill = await self.core.read_bill(link, bill_id)
        usable = {a.id: a for a in await self.accounts_for(link, bill.currency)}
        account = usable.get(request.account.id)
        if account is None or account.currency != request.account.currency:
            view = await self.core.view_of_bill(link, bill, policy)
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
            view = await self.core.view_of_bill(link, bill, policy)
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
            duplicate = await self._payment_by_key(link, bill_id, request.idempotency_key)
            if duplicate is None:  # the key belongs to another bill or channel: a tampered form
                raise OutOfDate(FORM_OUT_OF_DATE)
            return duplicate
        if not (held or scheduled):
            return await self._send_reserved(link, bill_id, payment_id)
        reserved = await self.core.case_view(link, bill_id)
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

    async def retry_payment(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """Retry a payment that failed without a clear answer, or that was found not to have
        landed. Within the API's replay window, the same key is sent first: it either records
        the payment or replays how the first request ended. Then the bill is read, and only a
        payment that clearly did not land is sent again, as a new attempt with a new key."""
        bill_id = ref.bill_id
        link, _policy = await self._as_payer(ref, user_id)
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
            probe = unknown and self._may_replay(payment, now)
        if not unknown:
            return await self._next_attempt(link, bill_id, payment_id, user_id)
        if probe:
            async with self.db.read() as s:
                sent = await s.get(Payment, payment_id)
                assert sent is not None
            recorded_id, error = await self._post(link, bill_id, sent)
            if error is None:
                return await self._record_answer(link, bill_id, payment_id, recorded_id, None)
            if not answered(error):  # still running under that key, or still no answer
                view = await self.core.case_view(link, bill_id)
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
        return await self._settle(link, bill_id, payment_id, actor=user_id, resend=True)

    async def confirm_payment(self, ref: CaseRef, user_id: str, *, landed: bool) -> PaymentOutcome:
        """The payer's word on a payment the bill's figures couldn't settle: it was recorded
        (the bot records it too) or it wasn't (the bill can be paid again). Audited."""
        bill_id = ref.bill_id
        link, _policy = await self._as_payer(ref, user_id)
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

    def _may_replay(self, payment: Payment, now: datetime) -> bool:
        """Is the payment's key still inside the window in which the API replays its answer?
        Past it, the same key would be a new write: only a read may settle the payment."""
        if payment.sent_at is None:
            return False
        window = timedelta(minutes=self.settings.payables_idempotency_window_minutes)
        return now - payment.sent_at < window - REPLAY_MARGIN

    async def cancel_scheduled(self, ref: CaseRef, user_id: str) -> PaymentOutcome:
        """Call off a scheduled payment before its date; the bill can then be paid again."""
        bill_id = ref.bill_id
        link, _policy = await self._as_payer(ref, user_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            payment = await scheduled_payment(s, case.id) if case else None
            if case is None:
                raise Denied(N_("There is no scheduled payment on this bill."))
            if payment is not None and payment.status == PaymentStatus.CANCELLED:
                by, at = await _cancellation(s, link, bill_id, payment.id)
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(
                    view,
                    "already_cancelled",
                    Phrase(N_("This payment was already cancelled.")),
                    payment_view(payment),
                    cancelled_by=by,
                    cancelled_at=at,
                )
            if (
                payment is None
                or case.state != CaseState.SCHEDULED
                or payment.status != PaymentStatus.SCHEDULED
            ):
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(view, "refused", not_pending_text(view))
            held = payment.send_after is not None
            payment.status = PaymentStatus.CANCELLED
            stamp(payment, now)
            case.state = CaseState.APPROVED
            stamp(case, now)
            action = "payment_undone" if held else "payment_cancelled"
            audit(s, link, user_id, action, bill_id, now=now, payment_id=payment.id)
            await s.flush()
            view = (await views_of(s, [case]))[0]
            cancelled = payment_view(payment)
        message = Phrase(
            N_("Undone: nothing was sent.") if held else N_("The scheduled payment is cancelled.")
        )
        return PaymentOutcome(view, "cancelled", message, cancelled)

    # ------------------------------------------------------------ sent by the scheduler

    async def due_payments(self, now: datetime) -> list[int]:
        """Payments whose time has come: held ones past their undo window, and scheduled ones
        on their date, from the local time set for them (in the channel's time zone)."""
        zone = ZoneInfo(self.settings.default_time_zone)
        local = now.astimezone(zone)
        send_today = local.time() >= self.settings.scheduled_payment_time
        async with self.db.read() as s:
            rows = await s.execute(
                select(Payment.id, Payment.send_after, Payment.payment_date).where(
                    Payment.status == PaymentStatus.SCHEDULED
                )
            )
            return [
                payment_id
                for payment_id, send_after, payment_date in rows
                if (send_after is not None and send_after <= now)
                or (
                    send_after is None
                    and (
                        payment_date < local.date() or (payment_date == local.date() and send_today)
                    )
                )
            ]

    async def send_scheduled(self, payment_id: int) -> SentByScheduler | None:
        """Send one due payment, once: claimed (scheduled → requested) in one transaction, so
        only one replica sends it. Before sending, the bill is read again and the policy checked
        again; a payment that can no longer be made is not sent, and says why."""
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
            refusal = await self._scheduled_refusal(link, bill_id, payment_id, payer)
        except PayablesError:
            await self._unclaim(link, bill_id, payment_id)  # the next tick tries again
            raise
        if refusal is not None:
            return replace(sent, outcome=await self._not_sent(link, bill_id, payment_id, refusal))
        return replace(sent, outcome=await self._send_reserved(link, bill_id, payment_id))

    async def _scheduled_refusal(
        self, link: CompanyLink, bill_id: str, payment_id: int, payer: str
    ) -> Phrase | None:
        """Why a claimed payment must not go out now (plain text); or None, after noting the
        bill's figures as they are now (what a lost answer will be compared with)."""
        policy = await self.core.policy_for(link)
        if not policy.may_pay(payer):
            return Phrase(
                N_("only {who} may pay bills in this channel now."), who=policy.who_may_pay()
            )
        try:
            bill = await self.reads.get_bill(link.company_id, link.connection_id, bill_id)
        except BillNotOutstanding:
            return Phrase(N_("the bill is no longer outstanding (paid or voided elsewhere)."))
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id) if payment else None
            assert payment is not None and case is not None
            if not policy.approver_may_pay and payer in await approvals_of(s, case.id):
                return Phrase(
                    N_("you approved this bill, and the policy now asks someone else to pay it.")
                )
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
            payment.status = PaymentStatus.FAILED
            payment.error = Phrase(N_("Not sent: {reason}"), reason=reason).dump()
            payment.outcome_unknown = False
            case.state = CaseState.APPROVED
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
            case.state = CaseState.SCHEDULED
            stamp(payment, now)
            stamp(case, now)
            audit(
                s, link, "scheduler", "payment_unclaimed", bill_id, now=now, payment_id=payment_id
            )

    async def _send_reserved(
        self, link: CompanyLink, bill_id: str, payment_id: int
    ) -> PaymentOutcome:
        """Send a reserved payment. A fault from here on leaves it `requested`: it may have
        reached the platform, and becomes retryable with its key once abandoned."""
        try:
            return await self._send_payment(link, bill_id, payment_id)
        except Exception as exc:
            raise PaymentInDoubt() from exc

    async def _send_payment(
        self, link: CompanyLink, bill_id: str, payment_id: int
    ) -> PaymentOutcome:
        async with self.db.read() as s:
            payment = await s.get(Payment, payment_id)
            assert payment is not None
        recorded_id, error = await self._post(link, bill_id, payment)
        outcome = await self._record_answer(link, bill_id, payment_id, recorded_id, error)
        if error is not None and outcome_unknown(error) and answered(error):
            # The request under this key has finished (with an error), so a re-read of the bill
            # tells whether it landed all the same ("landed, then 500").
            return await self._settle(link, bill_id, payment_id, actor="system", resend=False)
        return outcome

    async def _post(
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

    async def _record_answer(
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

    async def _settle(
        self, link: CompanyLink, bill_id: str, payment_id: int, *, actor: str, resend: bool
    ) -> PaymentOutcome:
        """Settle a payment whose outcome is unknown by reading the bill (see
        `billpay.payments.reconcile`).
        With `resend`, a payment found not to have landed is sent again as a new attempt."""
        reading = await self._reading(link, bill_id)
        async with self.db.write() as s:
            now = self.clock()
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if case.state != CaseState.FAILED or not payment.outcome_unknown:
                view = (await views_of(s, [case]))[0]
                return PaymentOutcome(view, "refused", not_pending_text(view), view.last_payment)
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
        if found == Verdict.NOT_LANDED and resend:
            return await self._next_attempt(link, bill_id, payment_id, actor)
        return PaymentOutcome(view, status, message, view.last_payment)

    async def _reading(self, link: CompanyLink, bill_id: str) -> Reading:
        try:
            bill = await self.reads.get_bill(link.company_id, link.connection_id, bill_id)
        except BillNotOutstanding:
            return Reading(amount_due=None, status=None)
        due = bill.outstanding_amount if bill.is_outstanding else bill.amount_due
        return Reading(amount_due=due, status=bill.status)

    async def _next_attempt(
        self, link: CompanyLink, bill_id: str, payment_id: int, actor: str
    ) -> PaymentOutcome:
        """Send a payment that did not land again, as a new attempt with a new key, checked
        against the bill as it is now."""
        bill = await self.core.read_bill(link, bill_id)
        policy = await self.core.policy_for(link)
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
        return await self._send_reserved(link, bill_id, attempt_id)

    async def _payment_by_key(
        self, link: CompanyLink, bill_id: str, key: str
    ) -> PaymentOutcome | None:
        async with self.db.read() as s:
            payment = await payment_with_key(s, key)
            case = await s.get(BillCase, payment.case_id) if payment is not None else None
            if (
                payment is None
                or case is None
                or (case.link_id, case.bill_id) != (link.id, bill_id)
            ):
                return None  # a key is only ever looked up for its own bill and channel
            view = (await views_of(s, [case]))[0]
        words = {
            PaymentStatus.REQUESTED: N_("This payment is already being recorded."),
            PaymentStatus.RECORDED: N_("This payment was already recorded."),
            PaymentStatus.SCHEDULED: N_("This payment is already scheduled."),
            PaymentStatus.FAILED: N_("This payment already failed; use Retry payment on the card."),
            PaymentStatus.CANCELLED: N_("This payment was cancelled; press Pay… again to pay."),
        }
        return PaymentOutcome(
            view, "duplicate", Phrase(words[PaymentStatus(payment.status)]), payment_view(payment)
        )

    async def _as_payer(self, ref: CaseRef, user_id: str) -> tuple[CompanyLink, EffectivePolicy]:
        """The channel's link and policy, once the person is known to be allowed to pay."""
        link = await self.core.link_for(ref.team_id, ref.channel_id)
        policy = await self.core.policy_for(link)
        await self._check_payer(link, policy, ref.bill_id, user_id)
        return link, policy

    async def _check_payer(
        self, link: CompanyLink, policy: EffectivePolicy, bill_id: str, user_id: str
    ) -> None:
        if not policy.may_pay(user_id):
            await self.core.denied(link, user_id, "pay", bill_id)
            raise Denied(
                N_("Only {who} can pay bills in this channel. Nothing was changed."),
                who=policy.who_may_pay(),
            )
        if policy.approver_may_pay:
            return
        async with self.db.read() as s:
            case = await s.scalar(
                select(BillCase).where(BillCase.link_id == link.id, BillCase.bill_id == bill_id)
            )
            approved = case is not None and user_id in await approvals_of(s, case.id)
        if approved:
            await self.core.denied(link, user_id, "pay", bill_id, reason="approver may not pay")
            raise Denied(
                N_(
                    "You approved this bill, and this channel's policy asks someone else to pay "
                    "it. Nothing was changed."
                )
            )

    async def _bank_accounts(self, link: CompanyLink) -> list[BankAccountMappingOption]:
        key = (link.company_id, link.connection_id)
        cached = self.options.get(key)
        if cached is None:
            options = await self.reads.get_payment_mapping_options(*key)
            cached = options.bank_accounts
            self.options.put(key, cached)
        return cached


async def _cancellation(
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


async def scheduled_payment(s: AsyncSession, case_id: int) -> Payment | None:
    """The case's payment still to go out (dated later or held), if any; else its last."""
    found = await s.scalar(
        select(Payment)
        .where(Payment.case_id == case_id, Payment.status == PaymentStatus.SCHEDULED)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    return found if found is not None else await last_payment(s, case_id)


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
        outcome_unknown=False,
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


@dataclass(frozen=True)
class SentByScheduler:
    """A payment the scheduler dealt with, and where to show it."""

    link: CompanyLink
    bill_id: str
    payer: str
    view_id: str | None
    outcome: PaymentOutcome


async def mark_recorded(
    s: AsyncSession,
    link: CompanyLink,
    case: BillCase,
    payment: Payment,
    now: datetime,
    *,
    recorded_id: str | None,
) -> None:
    """The payment is in the accounting platform: record it and move the case on."""
    payment.status = PaymentStatus.RECORDED
    payment.payables_payment_id = recorded_id
    payment.outcome_unknown = False
    payment.error = None
    # A read between reserving and now may already show this payment: take the lower.
    case.amount_due = max(min(case.amount_due, payment.due_before - payment.amount), Decimal(0))
    case.bill_status = "Paid" if case.amount_due == 0 else "PartiallyPaid"
    # Reads of the bill from before this payment must not undo these figures.
    case.bill_modified = now
    still_scheduled = await s.scalar(
        select(Payment.id).where(
            Payment.case_id == case.id,
            Payment.status == PaymentStatus.SCHEDULED,
            Payment.id != payment.id,
        )
    )
    if case.amount_due == 0:
        case.state = CaseState.PAID
    else:
        case.state = CaseState.SCHEDULED if still_scheduled else CaseState.APPROVED
    audit(
        s,
        link,
        payment.requested_by,
        "payment_recorded",
        case.bill_id,
        now=now,
        payment_id=payment.id,
        payables_payment_id=recorded_id,
        amount=payment.amount,
        currency=payment.currency,
        account=payment.account_name,
    )


def retryable(case: BillCase, payment: Payment) -> bool:
    """A payment whose outcome is unknown, or that a re-read showed did not land."""
    return case.state == CaseState.FAILED and (
        payment.outcome_unknown or payment.reconciled == Verdict.NOT_LANDED
    )


def answered(error: PayablesError) -> bool:
    """Did the request under this key finish (an answer other than "still in progress")?"""
    if isinstance(error, PayablesDeadlineExceeded):
        return answered(error.last_error)
    return error.status_code is not None and not isinstance(error, PayablesConflict)


def moved_facts(payment: Payment, reading: Reading) -> Phrase:
    """What the payer is told when the bill's figures can't settle a payment (plain text)."""
    sent = Money(payment.amount, payment.currency)
    before = Money(payment.due_before or Decimal(0), payment.currency)
    if reading.status is None:
        return Phrase(
            N_(
                "The bill had {before} due when {sent} was sent, and is no longer outstanding "
                "(paid or voided elsewhere). Bill Pay can't tell whether this payment was "
                "recorded: check the accounting platform, then say which."
            ),
            before=before,
            sent=sent,
        )
    return Phrase(
        N_(
            "The bill had {before} due when {sent} was sent, and now shows {due} due ({status}). "
            "Bill Pay can't tell whether this payment was recorded: check the accounting "
            "platform, then say which."
        ),
        before=before,
        sent=sent,
        due=Money(reading.amount_due or Decimal(0), payment.currency),
        status=status_words(reading.status),
    )


UNKNOWN = N_(
    "{cause} It may or may not have been recorded: *Retry payment* on the card resends the same "
    "payment and cannot pay twice."
)


def failure_message(cause: Phrase, *, unknown: bool) -> Phrase:
    """The mrkdwn sentence for a payment that didn't go through, from its plain-text cause."""
    cause = cause or Phrase(N_("The payment wasn't recorded."))
    return Phrase(UNKNOWN if unknown else N_("{cause} Nothing was paid."), cause=Escaped(cause))


def new_payment_key() -> str:
    """A payment's Idempotency-Key: a GUID, the only form Codat accepts."""
    return str(uuid.uuid4())


async def payment_refusal(
    s: AsyncSession, case: BillCase, bill: Bill, request: PaymentRequest
) -> Phrase | None:
    """Why this payment cannot be made now (mrkdwn), checked against the bill as just re-read."""
    view = (await views_of(s, [case]))[0]
    if case.state == CaseState.FAILED and view.last_payment and view.last_payment.outcome_unknown:
        return Phrase(
            N_(
                "The last payment's outcome is unknown; use *Retry payment* on the card first, "
                "so it cannot be paid twice."
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


def check_payable(view: CaseView) -> None:
    if view.state == CaseState.PENDING:
        raise Denied(
            N_("This bill needs approval before it can be paid ({given} of {needed} approvals)."),
            given=len(view.approvals),
            needed=view.approvals_required,
        )
    if view.state == CaseState.FAILED and view.last_payment and view.last_payment.outcome_unknown:
        raise Denied(
            N_(
                "The last payment's outcome is unknown. Use *Retry payment* on the card: it sends "
                "the same payment again and cannot pay twice."
            )
        )
    if view.state == CaseState.SCHEDULED and view.scheduled and view.payable_amount > 0:
        return  # the rest of a bill with a partial payment scheduled may be paid
    if view.state not in (CaseState.APPROVED, CaseState.FAILED):
        raise Denied(not_pending_text(view))


def failure_cause(error: PayablesError) -> Phrase:
    """Why a payment failed, in plain words kept with it (the raw error goes to the log)."""
    if isinstance(error, PayablesConflict):
        return Phrase(
            N_("The accounting platform was still processing an earlier attempt of this payment.")
        )
    return payables_words(error)


def outcome_unknown(error: PayablesError) -> bool:
    """Did the payment perhaps reach the platform? Then only the same key may try again. A 409
    here means a request with this key is still being processed."""
    return error.maybe_applied or isinstance(error, PayablesConflict)
