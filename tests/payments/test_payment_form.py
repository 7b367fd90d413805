"""What a payer types in the Pay modal: each mistake is named on its field, nothing else passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.core.i18n import Phrase, words
from billpay.core.money import has_valid_precision
from billpay.payments.form import (
    AccountChoice,
    FormContext,
    PaymentRequest,
    preview_payment,
    read_amount_field,
    read_payment_form,
)
from billpay.slack.blocks.modals import preview_text
from tests.core.test_money import TYPED

GBP = AccountChoice("gbp", "Business Current", "GBP")
EUR = AccountChoice("eur", "Euro Account", "EUR")
USD = AccountChoice("usd", "Dollar Account", "USD")
CONTEXT = FormContext(
    bill_currency="GBP",
    base_currency="GBP",
    amount_due=Decimal("1250.00"),
    accounts={a.id: a for a in (GBP, EUR, USD)},
    locale="en_GB",
    idempotency_key="billpay-key",
    today=date(2026, 11, 22),
)


def _read(context: FormContext = CONTEXT, **values: str | None):
    fields = {
        "account_id": "gbp",
        "amount": "1,250.00",
        "payment_date": "2026-11-22",
        "reference": "INV-1001",
        "rate": None,
    }
    fields.update(values)
    return read_payment_form(context, **fields)


def test_a_correct_form_becomes_a_payment_request() -> None:
    request = _read(amount="500.5")
    assert isinstance(request, PaymentRequest)
    assert request.amount == Decimal("500.5") and request.exchange_rate is None
    assert request.idempotency_key == "billpay-key" and request.reference == "INV-1001"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("1250.01", "more than the £1,250.00 still due"),
        ("10.005", "at most 2 decimal places"),
        ("ten pounds", "is not an amount"),
        ("1e3", "is not an amount"),
        ("", "Enter the amount"),
        ("NaN", "is not an amount"),
    ],
)
def test_bad_amounts_are_named_on_the_amount_field(amount: str, message: str) -> None:
    errors = _read(amount=amount)
    assert isinstance(errors, dict) and set(errors) == {"amount"}
    assert message in errors["amount"]


def test_amounts_are_read_in_the_payers_locale() -> None:
    french = replace(CONTEXT, locale="fr_FR")
    request = _read(french, amount="1 000,50")
    assert isinstance(request, PaymentRequest) and request.amount == Decimal("1000.50")


def test_the_exchange_rate_is_required_exactly_when_the_bill_is_not_in_the_base_currency() -> None:
    euro_bill = replace(CONTEXT, bill_currency="EUR")
    # A EUR bill paid from the EUR account still converts into the company's pounds.
    missing = _read(euro_bill, account_id="eur")
    assert isinstance(missing, dict) and "enter how many GBP one EUR is worth" in missing["rate"]
    with_rate = _read(euro_bill, account_id="eur", rate="0.8612")
    assert isinstance(with_rate, PaymentRequest) and with_rate.exchange_rate == Decimal("0.8612")
    needless = _read(rate="1.2")
    assert isinstance(needless, dict) and "Leave this empty" in needless["rate"]
    nonsense = _read(euro_bill, account_id="eur", rate="-1")
    assert isinstance(nonsense, dict) and "is not an exchange rate" in nonsense["rate"]
    # A bill in the base currency is paid from an account in the base currency.
    from_euros = _read(account_id="eur", rate="1.1634")
    assert isinstance(from_euros, dict) and "paid from an account in GBP" in from_euros["account"]


def test_rates_are_in_the_base_currency_per_foreign_unit() -> None:
    euro_bill = replace(CONTEXT, bill_currency="EUR")
    missing = _read(euro_bill, account_id="gbp")
    assert isinstance(missing, dict) and "how many GBP one EUR is worth" in missing["rate"]
    too_precise = _read(euro_bill, account_id="gbp", rate="0.8612345678")
    assert isinstance(too_precise, dict) and "9 decimal places" in too_precise["rate"]
    neither_base = _read(euro_bill, account_id="usd", rate="1.08")
    assert isinstance(neither_base, dict)
    assert "from an account in EUR or GBP only" in neither_base["account"]


def test_a_date_in_the_past_is_refused() -> None:
    errors = _read(payment_date="2026-11-21")
    assert isinstance(errors, dict) and "today, or a later date" in errors["date"]


def test_an_unknown_account_and_a_missing_date_are_named() -> None:
    errors = _read(account_id="old-savings", payment_date=None)
    assert isinstance(errors, dict) and set(errors) == {"account", "date"}


EURO_BILL = replace(CONTEXT, bill_currency="EUR", amount_due=Decimal("3150.00"), locale="fr_FR")


def test_the_preview_converts_with_base_amount_equal_to_amount_times_rate() -> None:
    preview = preview_payment(EURO_BILL, account_id="gbp", amount="1 000,00", rate="0,8612")
    assert preview.amount == Decimal("1000.00") and preview.rate == Decimal("0.8612")
    assert preview.base_amount == Decimal("861.20")
    text = preview_text(preview, "fr_FR")
    assert text.startswith(
        "1 EUR = 0,8612 GBP\u00a0: ≈ 861,20\u00a0GBP sortent de Business Current"
    )
    english = preview_payment(
        replace(EURO_BILL, locale="en_GB"), account_id="eur", amount="1000", rate="0.8612"
    )
    assert preview_text(english, "en_GB") == (
        "1 EUR = 0.8612 GBP: €1,000.00 leaves Euro Account, ≈ £861.20 in your books."
    )


@pytest.mark.parametrize(
    ("amount", "rate", "hint"),
    [
        ("deux", "0,86", "⚠️ «\xa0deux\xa0» n’est pas un montant"),
        ("2.100", "0,86", "2\u202f100,00\xa0€ ou 2,10\xa0€"),  # both readings, never a guess
        ("100", "", "Saisissez le taux de change"),
        ("100", "0.86.1", "⚠️ «\xa00.86.1\xa0» n’est pas un taux de change"),
    ],
)
def test_bad_text_in_the_preview_is_a_hint_not_a_failure(amount: str, rate: str, hint: str) -> None:
    preview = preview_payment(EURO_BILL, account_id="eur", amount=amount, rate=rate)
    assert preview.base_amount is None
    assert hint in preview_text(preview, "fr_FR")


@given(
    typed=TYPED | st.text(max_size=80),
    locale=st.sampled_from(["en_GB", "en_US", "fr_FR", "fr_CA", "fr_CH", "de_DE"]),
    currency=st.sampled_from(["GBP", "EUR", "JPY", "BHD"]),
)
def test_the_amount_field_gives_an_amount_the_currency_allows_or_a_reason(
    typed: str, locale: str, currency: str
) -> None:
    context = replace(CONTEXT, bill_currency=currency, base_currency=currency, locale=locale)
    read = read_amount_field(context, typed)
    if isinstance(read, Decimal):
        assert 0 < read <= context.amount_due and has_valid_precision(read, currency)
    else:
        assert isinstance(read, Phrase) and words(locale)(read).strip()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1.2,3", "«\xa01.2,3\xa0» n’est pas un montant. Écrivez-le comme 1\u202f000,00\xa0GBP."),
        ("1,234.56", "«\xa01,234.56\xa0»\xa0: 1\u202f234,56\xa0GBP\u202f? Écrivez 1234,56."),
        ("1.234,56", "C’est plus que le reste dû de 1\u202f000,00\xa0GBP sur cette facture."),
    ],
)
def test_a_french_payer_reads_why_an_amount_is_refused(typed: str, reason: str) -> None:
    context = replace(CONTEXT, locale="fr_FR", amount_due=Decimal("1000.00"))
    read = read_amount_field(context, typed)
    assert isinstance(read, Phrase) and words("fr_FR")(read) == reason
    assert read_amount_field(replace(context, amount_due=Decimal("2000")), "1.234,56") == Decimal(
        "1234.56"
    )
