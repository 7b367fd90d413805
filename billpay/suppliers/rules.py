"""Reading and checking what a person typed in the supplier, new bill and bank account forms.

Pure: raw form values in, either a typed request or one message per field out (words already
in the reader's language). Nothing here talks to Slack or the payables API; the service checks
the ids again against fresh data before anything is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from babel.numbers import list_currencies

from billpay.core.bounds import shown, text_problem
from billpay.core.i18n import words
from billpay.core.money import (
    Unreadable,
    format_money,
    has_valid_precision,
    minor_units,
    quantize,
    read_amount,
)
from billpay.payables.models import BillMappingOptions

MAX_LINES = 10
MAX_NAME = 100
MAX_TEXT = 255
MAX_DESCRIPTION = 500
MAX_NUMBER_TEXT = 64
MAX_QUANTITY = Decimal(1_000_000)
MAX_TOTAL = Decimal(10) ** 12
GENERAL_REFERENCE_MAX = 255
# A bill's reference, by platform name: Codat's update-bill page (QuickBooks Online 21,
# NetSuite 45, Zoho Books 50, Sage Intacct 100, FreeAgent and Xero 255).
REFERENCE_MAX = {
    "QuickBooks Online": 21,
    "Oracle NetSuite": 45,
    "NetSuite": 45,
    "Zoho Books": 50,
    "Sage Intacct": 100,
}
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^[0-9+()./ \-]{3,40}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
_SORT_CODE = re.compile(r"^[0-9]{2}-?[0-9]{2}-?[0-9]{2}$")
_ACCOUNT_NUMBER = re.compile(r"^[0-9 ]{6,20}$")


@cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes a form accepts: read from Babel's data by the first form checked,
    not by every start."""
    return frozenset(c for c in list_currencies() if re.fullmatch(r"[A-Z]{3}", c))


def reference_max(platform_name: str | None) -> int:
    return REFERENCE_MAX.get(platform_name or "", GENERAL_REFERENCE_MAX)


# ---------------------------------------------------------------- suppliers


@dataclass(frozen=True)
class SupplierForm:
    name: str
    contact_name: str | None
    email: str | None
    phone: str | None
    address: str | None
    currency: str | None


def _optional_text(
    value: str | None, field: str, errors: dict[str, str], locale: str, *, limit: int = MAX_TEXT
) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    _ = words(locale)
    if text_problem(text, limit=limit, multiline=field == "address"):
        errors[field] = _(
            "Keep this to {limit} characters, without special characters.", limit=limit
        )
    return text


def read_supplier_form(
    *,
    name: str | None,
    contact_name: str | None,
    email: str | None,
    phone: str | None,
    address: str | None,
    currency: str | None,
    locale: str,
) -> SupplierForm | dict[str, str]:
    _ = words(locale)
    errors: dict[str, str] = {}
    supplier_name = (name or "").strip()
    if not supplier_name:
        errors["name"] = _("Enter the supplier’s name.")
    else:
        _optional_text(supplier_name, "name", errors, locale, limit=MAX_NAME)
    contact = _optional_text(contact_name, "contact_name", errors, locale)
    mail = _optional_text(email, "email", errors, locale)
    if mail and "email" not in errors and not _EMAIL.match(mail):
        errors["email"] = _("“{text}” is not an email address.", text=shown(mail))
    phone_text = _optional_text(phone, "phone", errors, locale)
    if phone_text and "phone" not in errors and not _PHONE.match(phone_text):
        errors["phone"] = _("Write the phone number with digits, spaces, + and - only.")
    address_text = _optional_text(address, "address", errors, locale, limit=MAX_DESCRIPTION)
    code = (currency or "").strip().upper() or None
    if code is not None and code not in currencies():
        errors["currency"] = _("Choose a currency from the list.")
    if errors:
        return errors
    return SupplierForm(supplier_name, contact, mail, phone_text, address_text, code)


# ---------------------------------------------------------------- new bills


@dataclass(frozen=True)
class Choice:
    """An expense account or a tax rate of the bill mapping options."""

    id: str
    name: str
    rate: Decimal = Decimal(0)  # a tax rate's percentage; 0 for accounts


@dataclass(frozen=True)
class BillOptions:
    """The bill mapping options a new bill's lines choose from, and the platform's limits."""

    accounts: list[Choice]
    tax_rates: list[Choice]
    reference_max: int
    platform: str

    def context(self, locale: str, idempotency_key: str) -> BillContext:
        return BillContext(
            {a.id: a for a in self.accounts},
            {t.id: t for t in self.tax_rates},
            self.reference_max,
            locale,
            idempotency_key,
        )


def bill_options_from(mapping: BillMappingOptions, platform_name: str | None) -> BillOptions:
    """The active expense accounts and tax rates of the bill mapping options."""
    accounts = [
        Choice(a.id, f"{a.nominal_code} · {a.name or a.id}" if a.nominal_code else a.name or a.id)
        for a in mapping.accounts
        if (a.status or "Active") == "Active"
    ]
    rates = [
        Choice(
            t.id, t.name or t.code or t.id, t.effective_tax_rate or t.total_tax_rate or Decimal(0)
        )
        for t in mapping.tax_rates
        if (t.status or "Active") == "Active"
    ]
    platform = platform_name or ""
    return BillOptions(accounts, rates, reference_max(platform), platform)


@dataclass(frozen=True)
class RawLine:
    description: str | None
    amount: str | None
    quantity: str | None
    account_id: str | None
    tax_rate_id: str | None

    @property
    def empty(self) -> bool:
        """A line left as Add line drew it (quantity 1, perhaps a tax rate, nothing else) is
        left out, not refused: a line is what has a description, an amount or an account."""
        return not any(
            (v or "").strip() for v in (self.description, self.amount, self.account_id)
        ) and (self.quantity or "").strip() in ("", "1")


@dataclass(frozen=True)
class BillLine:
    description: str | None
    unit_amount: Decimal
    quantity: Decimal
    account: Choice
    tax_rate: Choice | None
    tax_amount: Decimal
    net: Decimal  # quantity times unit amount, to the currency's minor unit

    @property
    def total(self) -> Decimal:
        return self.net + self.tax_amount


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True)
class BillForm:
    supplier_id: str
    reference: str | None
    issue_date: date
    due_date: date
    currency: str
    lines: tuple[BillLine, ...]
    idempotency_key: str
    # The person the bill is created for, named on the form: like its creator, never its approver.
    requested_by: str | None = None

    @property
    def totals(self) -> Totals:
        return Totals(
            sum((line.net for line in self.lines), Decimal(0)),
            sum((line.tax_amount for line in self.lines), Decimal(0)),
        )


@dataclass(frozen=True)
class BillContext:
    accounts: dict[str, Choice]
    tax_rates: dict[str, Choice]
    reference_max: int
    locale: str
    idempotency_key: str


def tax_on(net: Decimal, rate: Choice | None, currency: str) -> Decimal:
    if rate is None or not rate.rate:
        return Decimal(0)
    return quantize(net * rate.rate / 100, currency)


def _number(text: str | None, currency: str, locale: str) -> Decimal | Unreadable:
    text = (text or "").strip()
    if not text or len(text) > MAX_NUMBER_TEXT:
        return Unreadable()
    return read_amount(text, currency, locale)


def estimate(lines: list[RawLine], currency: str, context: BillContext) -> Totals:
    """What the lines typed so far come to, for the totals shown while the form is filled:
    lines that can't be read yet count as nothing."""
    net = tax = Decimal(0)
    for raw in lines:
        amount = _number(raw.amount, currency, context.locale)
        quantity = _number(raw.quantity or "1", currency, context.locale)
        if not isinstance(amount, Decimal) or not isinstance(quantity, Decimal):
            continue
        if abs(amount * quantity) >= MAX_TOTAL:
            continue  # refused when the form is sent; too large to count (or to round)
        line_net = quantize(amount * quantity, currency)
        net += line_net
        tax += tax_on(line_net, context.tax_rates.get(raw.tax_rate_id or ""), currency)
    return Totals(net, tax)


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
Field = str  # "supplier", "reference", "issue_date", "due_date", "currency", "lines", "amount:0"


def read_bill_form(
    context: BillContext,
    *,
    supplier_id: str | None,
    reference: str | None,
    issue_date: str | None,
    due_date: str | None,
    currency: str | None,
    lines: list[RawLine],
    requested_by: str | None = None,
    creator: str | None = None,
) -> BillForm | dict[Field, str]:
    """The form as typed, or each mistake by field. `requested_by` is the Slack user named as
    asking for the bill; naming oneself (`creator`) is the same as naming nobody."""
    _ = words(context.locale)
    errors: dict[Field, str] = {}
    requester = (requested_by or "").strip() or None
    if requester is not None and not _USER_ID.fullmatch(requester):
        errors["requested_by"] = _("Choose a person from this workspace.")
    if requester == creator:
        requester = None
    supplier = (supplier_id or "").strip()
    if not supplier:
        errors["supplier"] = _("Choose the supplier.")

    ref = (reference or "").strip() or None
    if ref is not None:
        if len(ref) > context.reference_max:
            errors["reference"] = _(
                "The accounting platform takes references of up to {limit} characters "
                "(this one has {count}).",
                limit=context.reference_max,
                count=len(ref),
            )
        elif text_problem(ref, limit=context.reference_max):
            errors["reference"] = _("Remove the special characters from the reference.")

    issued = due = None
    try:
        issued = date.fromisoformat(issue_date or "")
    except ValueError:
        errors["issue_date"] = _("Choose the date the bill was issued.")
    try:
        due = date.fromisoformat(due_date or "")
    except ValueError:
        errors["due_date"] = _("Choose the date the bill is due.")
    if issued and due and due < issued:
        errors["due_date"] = _("The due date can’t be before the issue date.")

    code = (currency or "").strip().upper()
    if code not in currencies():
        errors["currency"] = _("Choose the bill’s currency.")
        code = code if len(code) == 3 else "GBP"

    read: list[BillLine] = []
    for index, raw in enumerate(lines[:MAX_LINES]):
        if raw.empty:
            continue
        line = _read_line(index, raw, code, context, errors)
        if line is not None:
            read.append(line)
    if not read and not any(key.startswith(("amount:", "account:", "quantity:")) for key in errors):
        errors["amount:0"] = _("A bill needs at least one line with an amount.")
    total = sum((line.total for line in read), Decimal(0))
    if read and total >= MAX_TOTAL:
        errors["amount:0"] = _("The bill’s total is too large.")
    if errors:
        return errors
    assert issued is not None and due is not None
    return BillForm(
        supplier, ref, issued, due, code, tuple(read), context.idempotency_key, requester
    )


def _read_line(
    index: int, raw: RawLine, currency: str, context: BillContext, errors: dict[Field, str]
) -> BillLine | None:
    _ = words(context.locale)
    problems = len(errors)
    description = (raw.description or "").strip() or None
    if description and text_problem(description, limit=MAX_DESCRIPTION, multiline=True):
        errors[f"description:{index}"] = _("Remove the special characters from the description.")
    example = format_money(Decimal("1250"), currency, context.locale)
    amount = _number(raw.amount, currency, context.locale)
    if not (raw.amount or "").strip():
        errors[f"amount:{index}"] = _("Enter the line’s amount.")
    elif isinstance(amount, Unreadable):
        errors[f"amount:{index}"] = amount.problem or _(
            "“{text}” is not an amount. Write it like {example}.",
            text=shown(raw.amount or ""),
            example=example,
        )
    elif amount <= 0:
        errors[f"amount:{index}"] = _("The amount must be more than zero.")
    elif amount >= MAX_TOTAL:
        errors[f"amount:{index}"] = _("The bill’s total is too large.")
    elif not has_valid_precision(amount, currency):
        errors[f"amount:{index}"] = _.ngettext(
            "{currency} amounts have at most {n} decimal place.",
            "{currency} amounts have at most {n} decimal places.",
            minor_units(currency),
            currency=currency,
        )
    quantity: Decimal | Unreadable = Decimal(1)
    if (raw.quantity or "").strip():
        quantity = _number(raw.quantity, "XXX", context.locale)
        if isinstance(quantity, Unreadable) or quantity <= 0 or quantity > MAX_QUANTITY:
            errors[f"quantity:{index}"] = _("The quantity must be a number above zero.")
    account = context.accounts.get(raw.account_id or "")
    if account is None:
        errors[f"account:{index}"] = _("Choose an expense account from the list.")
    tax_rate = None
    if raw.tax_rate_id:
        tax_rate = context.tax_rates.get(raw.tax_rate_id)
        if tax_rate is None:
            errors[f"tax:{index}"] = _("Choose a tax rate from the list.")
    if len(errors) > problems:
        return None
    assert isinstance(amount, Decimal) and isinstance(quantity, Decimal) and account
    if amount * quantity >= MAX_TOTAL:
        errors[f"amount:{index}"] = _("The bill’s total is too large.")
        return None
    net = quantize(amount * quantity, currency)
    return BillLine(
        description, amount, quantity, account, tax_rate, tax_on(net, tax_rate, currency), net
    )


# ---------------------------------------------------------------- bank accounts


@dataclass(frozen=True)
class BankAccountForm:
    name: str
    currency: str
    account_number: str
    sort_code: str | None
    nominal_code: str | None


def read_bank_account_form(
    *,
    name: str | None,
    currency: str | None,
    account_number: str | None,
    sort_code: str | None,
    nominal_code: str | None,
    locale: str,
) -> BankAccountForm | dict[str, str]:
    """An account number (6 to 20 digits) or an IBAN; a UK sort code only with a GBP account
    number (the spec's `sortCode` is "relevant to UK bank accounts")."""
    _ = words(locale)
    errors: dict[str, str] = {}
    account_name = (name or "").strip()
    if not account_name:
        errors["name"] = _("Enter the account’s name.")
    elif text_problem(account_name, limit=MAX_NAME):
        errors["name"] = _(
            "Keep the name to {limit} characters, without special characters.", limit=MAX_NAME
        )
    code = (currency or "").strip().upper()
    if code not in currencies():
        errors["currency"] = _("Choose the account’s currency.")
    number = re.sub(r"\s+", "", account_number or "").upper()
    is_iban = bool(_IBAN.match(number))
    if not number:
        errors["account_number"] = _("Enter the account number or IBAN.")
    elif not is_iban and not _ACCOUNT_NUMBER.match(number):
        errors["account_number"] = _(
            "Write the account number with 6 to 20 digits, or an IBAN (such as "
            "GB29NWBK60161331926819)."
        )
    elif is_iban and not _iban_ok(number):
        errors["account_number"] = _("This IBAN’s check digits are wrong; check it for typos.")
    sort = (sort_code or "").strip() or None
    if sort is not None:
        if not _SORT_CODE.match(sort):
            errors["sort_code"] = _("Write the sort code as 6 digits, like 12-34-56.")
        elif is_iban:
            errors["sort_code"] = _("Leave the sort code empty with an IBAN.")
        elif code and code != "GBP":
            errors["sort_code"] = _("Sort codes are for GBP accounts only.")
        else:
            digits = re.sub(r"\D", "", sort)
            sort = f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"
    nominal = (nominal_code or "").strip() or None
    if nominal and text_problem(nominal, limit=20):
        errors["nominal_code"] = _("Keep the nominal code to 20 characters.")
    if errors:
        return errors
    return BankAccountForm(account_name, code, number, sort, nominal)


def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
