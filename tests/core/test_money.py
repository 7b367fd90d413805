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
    ("currency", "locale", "written"),
    [
        ("GBP", "fr_FR", "1\u202f250,50\xa0GBP"),  # CLDR alone writes £GB
        ("USD", "fr_FR", "1\u202f250,50\xa0USD"),  # and $US
        ("EUR", "fr_FR", "1\u202f250,50\xa0€"),
        ("CAD", "fr_CA", "1\xa0250,50\xa0$"),  # the country's own currency keeps its sign
        ("GBP", "fr_CH", "1'250,50\xa0GBP"),
        ("USD", "en_GB", "US$1,250.50"),  # English keeps CLDR's symbols
    ],
)
def test_french_readers_see_iso_codes_for_other_currencies(
    currency: str, locale: str, written: str
) -> None:
    assert format_money(Decimal("1250.5"), currency, locale) == written
    assert read_amount(written, currency, locale) == Decimal("1250.50")


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


# The locales people read the bot in: the languages with a catalog, as Slack's regions spell
# them, and a locale that groups thousands with dots.
LOCALES = ("en_GB", "en_US", "fr_FR", "fr_BE", "fr_CA", "fr_CH", "de_DE")


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("1 234,56", "fr_FR"),
        ("1234,56", "fr_FR"),
        ("1.234,56", "fr_FR"),
        ("1\u202f234,56", "fr_FR"),
        ("1\u00a0234,56", "fr_FR"),
        ("1 234,56 £", "fr_FR"),
        ("1.234,56 GBP", "fr_FR"),
        ("1'234,56", "fr_CH"),
        ("1,234.56", "en_GB"),
        ("1234.56", "en_GB"),
        ("£1,234.56", "en_GB"),
        ("$1,234.56", "en_US"),
        ("1 234.56", "en_US"),
    ],
)
def test_the_common_ways_of_writing_an_amount_are_read(text: str, locale: str) -> None:
    assert read_amount(text, "GBP" if "$" not in text else "USD", locale) == Decimal("1234.56")


@pytest.mark.parametrize(
    ("text", "locale", "problem"),
    [
        # A decimal sign the reader's locale doesn't use: what it would be, written their way.
        (
            "1,234.56",
            "fr_FR",
            "«\xa01,234.56\xa0»\xa0: 1\u202f234,56\xa0GBP\u202f? Écrivez 1234,56.",
        ),
        ("1.234,56", "en_GB", "“1.234,56”: £1,234.56? Write 1234.56."),
        ("12,50", "en_GB", "“12,50”: £12.50? Write 12.50."),
        (
            "1.234.567",
            "fr_FR",
            "«\xa01.234.567\xa0»\xa0: 1\u202f234\u202f567,00\xa0GBP\u202f? Écrivez 1234567.",
        ),
    ],
)
def test_a_separator_the_locale_does_not_use_is_offered_back_not_guessed(
    text: str, locale: str, problem: str
) -> None:
    read = read_amount(text, "GBP", locale)
    assert isinstance(read, Unreadable) and read.problem is not None
    assert words(locale)(read.problem) == problem


@pytest.mark.parametrize("text", ["1.2,3", "1,2.3", "1 23,45", "1..5", "1,5,0.5", "1,234.5.6"])
def test_what_is_no_amount_in_any_locale_is_refused(text: str) -> None:
    for locale in LOCALES:
        assert read_amount(text, "GBP", locale) == Unreadable(), locale


# What people type into an amount field: digits, the separators of any locale, spaces of every
# kind, signs and currency marks, in any order.
TYPED = st.lists(
    st.sampled_from(
        [
            *"0123456789" * 2,
            *".,'\u2019",
            *" \u00a0\u202f\u2009\t",
            *"-+\u2212",
            *"£€$¥",
            *("GBP", "EUR", "USD", "£GB", "$US", "CHF", "e", "NaN"),
        ]
    ),
    max_size=24,
).map("".join)


@given(text=TYPED, locale=st.sampled_from(LOCALES), currency=st.sampled_from(["GBP", "JPY", "BHD"]))
def test_anything_typed_is_an_amount_or_a_reason_never_a_failure(
    text: str, locale: str, currency: str
) -> None:
    read = read_amount(text, currency, locale)
    if isinstance(read, Decimal):
        assert read.is_finite()
    else:
        assert isinstance(read, Unreadable)
        if read.problem is not None:
            assert words(locale)(read.problem)
    rate = parse_amount(text, locale)
    assert rate is None or rate.is_finite()


@given(text=TYPED, currency=st.sampled_from(["GBP", "EUR", "USD", "JPY"]))
def test_an_amount_read_in_english_and_in_french_is_the_same_amount(
    text: str, currency: str
) -> None:
    """Nothing is read one way by an English reader and another way by a French one: a text
    means one amount or is refused (the form refuses decimals the currency doesn't have)."""
    english, french = read_amount(text, currency, "en_GB"), read_amount(text, currency, "fr_FR")
    if isinstance(english, Decimal) and isinstance(french, Decimal):
        both = [english, french]
        assert english == french or not all(has_valid_precision(a, currency) for a in both)
