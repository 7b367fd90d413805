"""Money helpers: minor units, rounding, reading what people type, formatting for a locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.core.i18n import words
from billpay.core.money import (
    Unreadable,
    format_money,
    has_valid_precision,
    minor_units,
    parse_amount,
    quantize,
    read_amount,
)


def test_minor_units_follow_the_currency() -> None:
    assert (minor_units("GBP"), minor_units("JPY"), minor_units("BHD")) == (2, 0, 3)
    assert quantize(Decimal("1.005"), "GBP") == Decimal("1.01")
    assert quantize(Decimal("1250.5"), "JPY") == Decimal("1251")
    assert has_valid_precision(Decimal("12.30"), "GBP")
    assert not has_valid_precision(Decimal("12.345"), "GBP")
    assert not has_valid_precision(Decimal("12.5"), "JPY")


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1,250.50", "en_GB", Decimal("1250.50")),
        ("£1,250.50", "en_GB", Decimal("1250.50")),
        (" 75 ", "en_GB", Decimal("75")),
        ("12,50", "fr_FR", Decimal("12.50")),
        ("1 250,50", "fr_FR", Decimal("1250.50")),
        ("1 250,50 €", "fr_FR", Decimal("1250.50")),
        ("1.250,50", "de_DE", Decimal("1250.50")),
        ("-5", "en_GB", Decimal("-5")),
    ],
)
def test_amounts_are_read_as_the_locale_writes_them(
    text: str, locale: str, expected: Decimal
) -> None:
    assert parse_amount(text, locale) == expected


@pytest.mark.parametrize("text", ["12,50", "1,25", "", "abc", "NaN", "Infinity", "£", "1e5"])
def test_ambiguous_or_non_numbers_are_refused_in_en_gb(text: str) -> None:
    assert parse_amount(text, "en_GB") is None


def test_money_is_formatted_for_the_locale() -> None:
    assert format_money(Decimal("1250"), "GBP") == "£1,250.00"
    assert format_money(Decimal("1250"), "EUR", "fr_FR") == "1\u202f250,00\u00a0€"
    assert format_money(Decimal("1250.5"), "JPY", "en_GB") == "JP¥1,251"


@pytest.mark.parametrize(
    ("text", "currency", "locale", "expected"),
    [
        ("£1,250.50", "GBP", "en_GB", Decimal("1250.50")),
        ("1250.5 GBP", "GBP", "en_GB", Decimal("1250.5")),
        ("1 250,50 €", "EUR", "fr_FR", Decimal("1250.50")),
        ("3 000,00 £GB", "GBP", "fr_FR", Decimal("3000.00")),
        ("2,10", "EUR", "fr_FR", Decimal("2.10")),
        ("2100", "EUR", "fr_FR", Decimal("2100")),
        ("1.250,50", "EUR", "de_DE", Decimal("1250.50")),
    ],
)
def test_the_locales_own_way_and_the_bills_symbol_are_read(
    text: str, currency: str, locale: str, expected: Decimal
) -> None:
    assert read_amount(text, currency, locale) == expected


@pytest.mark.parametrize(
    ("text", "currency", "locale", "problem"),
    [
        ("€10", "GBP", "en_GB", "That amount is in EUR; this bill is in GBP."),
        ("10 $", "GBP", "en_GB", "That amount is in USD; this bill is in GBP."),
        # Both readings in the reader's words and number format.
        ("2.100", "EUR", "fr_FR", "2\u202f100,00\xa0€ ou 2,10\xa0€\u202f? Écrivez 2100 ou 2,10."),
        ("1,000", "EUR", "fr_FR", "1\u202f000,00\xa0€ ou 1,00\xa0€\u202f? Écrivez 1000 ou 1,00."),
        ("1.000", "GBP", "en_GB", "£1,000.00 or £1.00? Write 1000 or 1.00."),
        ("2.10", "EUR", "fr_FR", "2,10\xa0€\u202f? Écrivez 2,10."),
    ],
)
def test_another_currency_or_an_ambiguous_separator_is_never_guessed(
    text: str, currency: str, locale: str, problem: str
) -> None:
    read = read_amount(text, currency, locale)
    assert isinstance(read, Unreadable) and read.problem is not None
    assert words(locale)(read.problem).endswith(problem)


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999"), places=2),
    currency=st.sampled_from(["GBP", "EUR", "USD"]),
    locale=st.sampled_from(["en_GB", "fr_FR", "de_DE", "en_US"]),
)
def test_what_the_bot_writes_is_read_back_exactly(
    amount: Decimal, currency: str, locale: str
) -> None:
    """The Pay form's own default, and anything formatted the locale's way, reads back."""
    assert read_amount(format_money(amount, currency, locale), currency, locale) == amount
