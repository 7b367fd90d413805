"""Money helpers: minor units, rounding, reading what people type, formatting for a locale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.money import format_money, has_valid_precision, minor_units, parse_amount, quantize


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
