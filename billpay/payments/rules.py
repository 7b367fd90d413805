"""The rules of paying a bill, as pure functions: which accounts can pay it, whether its case can
be paid now, and the words for a payment that was refused or is in doubt. No I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from billpay.bills.cases import not_pending_text
from billpay.core.domain import CaseState, CaseView
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Escaped, Phrase
from billpay.payables.errors import PayablesConflict, PayablesError
from billpay.payables.models import BankAccountMappingOption
from billpay.payables.words import payables_words
from billpay.payments.form import AccountChoice
from billpay.payments.words import platform_name, unsettled
from billpay.store.models import CompanyLink, Payment


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
    if view.state in (CaseState.IN_DOUBT, CaseState.PAYING):
        raise Denied(
            N_(
                "A payment of this bill isn't settled yet: nothing more is sent until Bill Pay "
                "knows whether it reached the accounting platform."
            )
        )
    if view.state == CaseState.SCHEDULED and view.scheduled and view.payable_amount > 0:
        return  # the rest of a bill with a partial payment scheduled may be paid
    if view.state not in (CaseState.APPROVED, CaseState.FAILED):
        raise Denied(not_pending_text(view))


def refusal_cause(error: PayablesError) -> Phrase:
    """Why a payment did not go through, or what went wrong with its answer, in plain words
    kept with it (the raw error goes to the log)."""
    if isinstance(error, PayablesConflict):
        return Phrase(
            N_("The accounting platform was still processing an earlier attempt of this payment.")
        )
    return payables_words(error)


def platform_words(link: CompanyLink) -> Phrase | Escaped:
    """The link's accounting platform by its name when the bot knows it ("Xero")."""
    return platform_name(link.platform_name)


def in_doubt_message(payment: Payment, link: CompanyLink) -> Phrase:
    """What the payer is told of a payment in doubt, on the modal, the card and the thread."""
    return unsettled(payment.amount, payment.currency, link.platform_name)


def new_payment_key() -> str:
    """A payment's Idempotency-Key: a GUID, the only form Codat accepts."""
    return str(uuid.uuid4())
