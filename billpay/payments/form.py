"""Reading and checking what a payer typed in the Pay modal, before anything is recorded.

Pure: the modal's raw values in, either a `PaymentRequest` or one message per field out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from billpay.core.bounds import shown, text_problem
from billpay.core.domain import CaseView
from billpay.core.i18n import N_, Money, Phrase
from billpay.core.money import (
    Unreadable,
    has_valid_precision,
    minor_units,
    parse_amount,
    quantize,
    read_amount,
)

Field = Literal["account", "amount", "date", "reference", "rate"]
MAX_REFERENCE_LENGTH = 100
MAX_NUMBER_TEXT = 64  # characters of an amount or rate worth reading
MAX_RATE = Decimal(1_000_000)
RATE_PLACES = 9  # what Codat keeps of a currency rate


@dataclass(frozen=True)
class AccountChoice:
    id: str
    name: str
    currency: str


@dataclass(frozen=True)
class PaymentRequest:
    account: AccountChoice
    currency: str  # the bill's, as the form was checked against
    amount: Decimal
    payment_date: date
    reference: str | None
    exchange_rate: Decimal | None
    idempotency_key: str


@dataclass(frozen=True)
class PaymentForm:
    """What the Pay modal needs: the fresh bill and the accounts it may be paid from."""

    case: CaseView
    accounts: list[AccountChoice]
    idempotency_key: str
    base_currency: str


@dataclass(frozen=True)
class FormContext:
    bill_currency: str
    base_currency: str  # the company's: exchange rates are this currency per foreign unit
    amount_due: Decimal
    accounts: dict[str, AccountChoice]  # the accounts that may be paid from, by id
    locale: str
    idempotency_key: str
    today: date


def read_payment_form(
    context: FormContext,
    *,
    account_id: str | None,
    amount: str | None,
    payment_date: str | None,
    reference: str | None,
    rate: str | None,
) -> PaymentRequest | dict[Field, Phrase]:
    """The request, or one message per field (translated for the payer when shown)."""
    errors: dict[Field, Phrase] = {}
    currency = context.bill_currency

    account = context.accounts.get(account_id or "")
    if account is None:
        errors["account"] = Phrase(N_("Choose the bank account to pay from."))

    read = read_amount_field(context, amount)
    value = read if isinstance(read, Decimal) else None
    if isinstance(read, Phrase):
        errors["amount"] = read

    paid_on: date | None = None
    try:
        paid_on = date.fromisoformat(payment_date or "")
    except ValueError:
        errors["date"] = Phrase(N_("Choose the payment date."))
    else:
        if paid_on < context.today:
            errors["date"] = Phrase(N_("Choose today, or a later date to schedule the payment."))

    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > MAX_REFERENCE_LENGTH:
        errors["reference"] = Phrase(
            N_("Keep the reference to {limit} characters."), limit=MAX_REFERENCE_LENGTH
        )
    elif reference is not None and (problem := text_problem(reference, limit=MAX_REFERENCE_LENGTH)):
        errors["reference"] = problem

    exchange_rate: Decimal | None = None
    base = context.base_currency
    if account is not None and account.currency not in (currency, base):
        errors["account"] = Phrase(
            N_("A {currency} bill can be paid from an account in {currency} or {base} only."),
            currency=currency,
            base=base,
        )
    elif account is not None and currency == base and account.currency != base:
        errors["account"] = Phrase(
            N_("A {base} bill is paid from an account in {base}."), base=base
        )
    else:
        rate_read = read_rate_field(context, rate)
        if isinstance(rate_read, Phrase):
            errors["rate"] = rate_read
        else:
            exchange_rate = rate_read

    if errors:
        return errors
    assert account is not None and value is not None and paid_on is not None
    return PaymentRequest(
        account=account,
        currency=currency,
        amount=value,
        payment_date=paid_on,
        reference=reference,
        exchange_rate=exchange_rate,
        idempotency_key=context.idempotency_key,
    )


def read_amount_field(context: FormContext, text: str | None) -> Decimal | Phrase:
    """The amount typed, or what is wrong with it, in words for its field."""
    currency = context.bill_currency
    amount = (text or "")[: MAX_NUMBER_TEXT + 1]  # longer is no amount; don't parse it all
    read = (
        read_amount(amount, currency, context.locale)
        if amount.strip() and len(amount) <= MAX_NUMBER_TEXT
        else Unreadable()
    )
    value = read if isinstance(read, Decimal) else None
    due = Money(context.amount_due, currency)
    if not amount.strip():
        return Phrase(N_("Enter the amount to pay, up to {due}."), due=due)
    if isinstance(read, Unreadable) and read.problem:
        return read.problem
    if value is None:
        return Phrase(
            N_("“{typed}” is not an amount. Write it like {due}."), typed=shown(amount), due=due
        )
    if value <= 0:
        return Phrase(N_("The amount must be more than zero."))
    if not has_valid_precision(value, currency):
        places = minor_units(currency)
        return (
            Phrase.ngettext(
                "{currency} amounts have at most {n} decimal place.",
                "{currency} amounts have at most {n} decimal places.",
                places,
                currency=currency,
            )
            if places
            else Phrase(N_("{currency} amounts have no decimal places."), currency=currency)
        )
    if value > context.amount_due:
        return Phrase(N_("That is more than the {due} still due on this bill."), due=due)
    return value


def read_rate_field(context: FormContext, text: str | None) -> Decimal | Phrase | None:
    """The exchange rate typed (None where the bill needs none), or what is wrong with it."""
    currency, base = context.bill_currency, context.base_currency
    rate_text = (text or "").strip()[: MAX_NUMBER_TEXT + 1]
    if currency == base:
        if rate_text:
            return Phrase(
                N_(
                    "Leave this empty: the bill is in {base}, the company's own currency, so no "
                    "exchange rate applies."
                ),
                base=base,
            )
        return None
    # The rate converts the payment into the company's base currency, whichever account
    # pays it: a EUR bill paid from a EUR account still needs GBP per EUR.
    parsed = (
        parse_amount(rate_text, context.locale)
        if rate_text and len(rate_text) <= MAX_NUMBER_TEXT
        else None
    )
    if not rate_text:
        return Phrase(
            N_(
                "The bill is in {currency} and the company keeps its books in {base}: "
                "enter how many {base} one {currency} is worth."
            ),
            currency=currency,
            base=base,
        )
    if parsed is None or parsed <= 0 or parsed > MAX_RATE:
        return Phrase(
            N_("“{typed}” is not an exchange rate. Write it like {example}."),
            typed=shown(rate_text),
            example=Decimal("0.8612"),
        )
    if parsed != parsed.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        return Phrase(
            N_("An exchange rate has at most {places} decimal places."), places=RATE_PLACES
        )
    return parsed


@dataclass(frozen=True)
class PayPreview:
    """What the Pay modal shows before it is submitted: the amount and rate as read, what the
    payment comes to in the company's base currency, or what is wrong with what was typed.
    The submission is checked again in full."""

    bill_currency: str
    base_currency: str
    account: AccountChoice | None
    amount: Decimal | None
    rate: Decimal | None
    amount_problem: Phrase | None = None
    rate_problem: Phrase | None = None
    rate_missing: bool = False

    @property
    def rate_needed(self) -> bool:
        return self.bill_currency != self.base_currency

    @property
    def base_amount(self) -> Decimal | None:
        """base amount = amount (bill's currency) times the rate, in base currency units."""
        if self.amount is None or self.rate is None:
            return None
        return quantize(self.amount * self.rate, self.base_currency)


def preview_payment(
    context: FormContext, *, account_id: str | None, amount: str | None, rate: str | None
) -> PayPreview:
    """Read the account, amount and rate as the modal holds them now, for its preview."""
    account = context.accounts.get(account_id or "")
    amount_read = read_amount_field(context, amount)
    rate_read = read_rate_field(context, rate)
    return PayPreview(
        bill_currency=context.bill_currency,
        base_currency=context.base_currency,
        account=account,
        amount=amount_read if isinstance(amount_read, Decimal) else None,
        rate=rate_read if isinstance(rate_read, Decimal) else None,
        amount_problem=amount_read if isinstance(amount_read, Phrase) else None,
        rate_problem=rate_read if isinstance(rate_read, Phrase) and (rate or "").strip() else None,
        rate_missing=context.bill_currency != context.base_currency and not (rate or "").strip(),
    )
