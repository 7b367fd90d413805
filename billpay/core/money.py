"""Money: currency minor units, quantising `Decimal` amounts to them, writing them for a locale
and reading what a person typed without guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

from billpay.core.i18n import N_, Money, Phrase, Value


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


@dataclass(frozen=True)
class Unreadable:
    """An amount that can't be read for sure, and what to tell the person (None: it is simply
    not an amount)."""

    problem: Phrase | None = None


# Currencies whose symbols a person might type by mistake, to name them back.
_COMMON = ("GBP", "EUR", "USD", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN")
_SYMBOL_LOCALES = ("en", "en_GB", "en_US", "fr_FR", "de_DE")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(
    r"^(?P<before>[^\d\-]*?)\s*(?P<number>-?\d[\d.,\s\u00a0\u202f']*?)\s*(?P<after>\D*)$"
)


def _symbols(currency: str, locale: str) -> set[str]:
    found = {currency.upper()}
    for where in (locale, *_SYMBOL_LOCALES):
        try:
            found.add(get_currency_symbol(currency, locale=where))
        except (UnknownLocaleError, ValueError):
            continue
    return {s.casefold() for s in found}


def _currency_named(token: str, locale: str) -> str | None:
    wanted = token.casefold()
    return next((c for c in _COMMON if wanted in _symbols(c, locale)), None)


def read_amount(text: str, currency: str, locale: str) -> Decimal | Unreadable:
    """An amount in `currency` as a person in `locale` typed it, or why it can't be read.

    Plain digits, the locale's decimal separator and its own grouping are read; the bill's
    currency symbol or code may stand around the number. Another currency's symbol is refused
    and named; a separator the locale doesn't use, or a decimal part that looks like a group of
    thousands (`1,000` in French), is never guessed: both readings are offered instead.
    """
    match = _NUMBER.match(text.strip())
    if match is None:
        return Unreadable()
    for token in (match["before"].strip(), match["after"].strip()):
        if token and token.casefold() not in _symbols(currency, locale):
            other = _currency_named(token, locale)
            if other and other != currency.upper():
                return Unreadable(
                    Phrase(
                        N_("That amount is in {other}; this bill is in {currency}."),
                        other=other,
                        currency=currency.upper(),
                    )
                )
            return Unreadable()
    number = match["number"]
    decimal_sign, group = get_decimal_symbol(locale), get_group_symbol(locale)
    spaced = group.isspace() or group in "\u00a0\u202f'"
    number = _SPACES.sub(group if spaced else " ", number)
    if " " in number:
        return Unreadable()
    foreign = {c for c in number if c in ".," and c not in (decimal_sign, group)}
    places = minor_units(currency)
    if foreign:
        (sign,) = foreign if len(foreign) == 1 else (None,)
        if sign is None:
            return Unreadable()
        return _two_readings(number, sign, group, decimal_sign, currency, locale)
    fraction = number.partition(decimal_sign)[2]
    # `1,000` in French: one euro, or a thousand written the English way? Only where both are
    # amounts (`10.005` can only be refused for its decimals).
    if (
        fraction
        and len(fraction) == 3
        and places < 3
        and fraction.endswith("0" * (3 - places))
        and group not in number
    ):
        return _two_readings(number, decimal_sign, group, decimal_sign, currency, locale)
    try:
        value = parse_decimal(number, locale=locale, strict=True)
    except NumberFormatError:
        return Unreadable()
    return value if value.is_finite() else Unreadable()


def _two_readings(
    number: str, sign: str, group: str, decimal_sign: str, currency: str, locale: str
) -> Unreadable:
    """`sign` could be a decimal point or a thousands separator: name both, ask which."""
    digits = number.replace(group, "")
    # (value, how to write it plainly): a thousands reading as whole digits, a decimal reading
    # with the currency's minor units in the locale's own decimal sign.
    readings: list[tuple[Decimal, str]] = []
    parts = digits.split(sign)
    head = parts[0].lstrip("-")
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and 1 <= len(head) <= 3:
        whole = Decimal("".join(parts))
        readings.append((whole, str(whole)))
    point = Decimal(digits.replace(sign, ".")) if digits.count(sign) == 1 else None
    if point is not None and has_valid_precision(point, currency):  # never round what was typed
        point = quantize(point, currency)
        readings.append((point, format(point, "f").replace(".", decimal_sign)))
    if not readings:
        return Unreadable()
    amounts: list[Value] = [Money(value, currency) for value, _ in readings]
    written: list[Value] = [text for _, text in readings]
    return Unreadable(
        Phrase(
            N_("“{typed}”: {readings}? Write {plain}."),
            typed=number,
            readings=either(amounts),
            plain=either(written),
        )
    )


def either(choices: list[Value]) -> Value:
    """`a or b` in the reader's language (one choice: itself)."""
    if len(choices) == 1:
        return choices[0]
    return Phrase(N_("{some} or {last}"), some=choices[0], last=choices[1])
