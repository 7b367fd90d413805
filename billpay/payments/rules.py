"""The rules of paying a bill, as pure functions: which accounts can pay it, whether its case can
be paid now, and what a failed payment means (did it perhaps reach the platform, may its key be
sent again, which words explain it). No I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from billpay.bills.cases import not_pending_text, status_words
from billpay.core.domain import CaseState, CaseView
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Escaped, Money, Phrase
from billpay.payables.errors import PayablesConflict, PayablesDeadlineExceeded, PayablesError
from billpay.payables.models import BankAccountMappingOption
from billpay.payables.words import payables_words
from billpay.payments.form import AccountChoice
from billpay.payments.reconcile import Reading, Verdict
from billpay.store.models import BillCase, Payment


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


def outcome_unknown(error: PayablesError) -> bool:
    """Did the payment perhaps reach the platform? Then only the same key may try again. A 409
    here means a request with this key is still being processed."""
    return error.maybe_applied or isinstance(error, PayablesConflict)


def failure_cause(error: PayablesError) -> Phrase:
    """Why a payment failed, in plain words kept with it (the raw error goes to the log)."""
    if isinstance(error, PayablesConflict):
        return Phrase(
            N_("The accounting platform was still processing an earlier attempt of this payment.")
        )
    return payables_words(error)


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
