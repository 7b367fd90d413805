"""Money arithmetic: currency minor units and quantising `Decimal` amounts to them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision


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


def parse_amount(text: str) -> Decimal | None:
    """Parse a user-typed amount (`1,250.50`, ` 12 `) into a finite Decimal, or None."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_money(amount: Decimal, currency: str, locale: str = "en_GB") -> str:
    """`£1,250.00` in en_GB, `1 250,00 €` in fr_FR: Babel's CLDR formatting for the locale."""
    from babel.numbers import format_currency

    return format_currency(quantize(amount, currency), currency.upper(), locale=locale)
