"""Money arithmetic: currency minor units and quantising `Decimal` amounts to them."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_group_symbol,
    parse_decimal,
)


def minor_units(currency: str) -> int:
    """Digits after the decimal point for `currency` (GBP 2, JPY 0, BHD 3), per CLDR."""
    return int(get_currency_precision(currency.upper()))


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` half-up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    """True when `amount` has no more decimals than the currency allows."""
    try:
        return amount == amount.quantize(quantum(currency))
    except InvalidOperation:
        return False


def parse_amount(text: str, locale: str = "en_GB") -> Decimal | None:
    """Read an amount a person typed, the way their locale writes numbers, or None.

    `1,250.50` in en_GB and `1 250,50` in fr_FR are both 1250.50; an ambiguous `12,50` in en_GB
    is refused rather than read as 1250. Currency symbols and codes around the number are
    ignored; exponents, NaN and infinities are refused.
    """
    cleaned = _AROUND_NUMBER.sub("", text)
    if not any(ch.isdigit() for ch in cleaned) or any(ch.isalpha() for ch in cleaned):
        return None
    group = get_group_symbol(locale)
    if group.isspace():
        cleaned = re.sub(r"\s", group, cleaned)
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        return None
    return value if value.is_finite() else None


# A currency symbol or code before or after the number; anything inside it is kept, so that
# `1e5` or `12abc` fail to parse instead of losing characters.
_AROUND_NUMBER = re.compile(r"^[^\d.,-]+|[^\d.,]+$")


def format_money(amount: Decimal, currency: str, locale: str = "en_GB") -> str:
    """`£1,250.00` in en_GB, `1 250,00 €` in fr_FR: Babel's CLDR formatting for the locale."""
    return format_currency(quantize(amount, currency), currency.upper(), locale=locale)
