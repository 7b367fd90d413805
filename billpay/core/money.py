"""Money: currency minor units, quantising `Decimal` amounts to them, writing them for a locale
and reading what a person typed without guessing."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from billpay.core.i18n import N_, Money, Phrase, Value, write_money


def minor_units(currency: str) -> int:
    """Digits after the decimal point for `currency` (GBP 2, JPY 0, BHD 3), per CLDR."""
    return int(get_currency_precision(currency.upper()))


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` half-up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    """True when `amount` has no more decimals than the currency allows (`12.300` is a GBP
    amount), however many digits it has before the point."""
    if not amount.is_finite():
        return False
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    extra = -exponent - minor_units(currency)
    return extra <= 0 or not any(digits[-extra:])


def format_money(amount: Decimal, currency: str, locale: str = "en_GB") -> str:
    """`£1,250.00` in en_GB, `1 250,00 €` and `1 250,00 GBP` in fr_FR: CLDR's number for the
    locale, with the code where its finance teams write the code."""
    return write_money(amount, currency, locale)


@dataclass(frozen=True)
class Unreadable:
    """An amount that can't be read for sure, and what to tell the person (None: it is simply
    not an amount)."""

    problem: Phrase | None = None


# Currencies whose symbols a person might type by mistake, to name them back.
_COMMON = ("GBP", "EUR", "USD", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN")
_SYMBOL_LOCALES = ("en", "en_GB", "en_US", "fr_FR", "de_DE")
# A sign, a currency mark, a sign again (`-£5`, `£-5`), the number, a currency mark.
_TYPED = re.compile(
    r"(?P<sign>[-+\u2212]?)\s*(?P<before>[^0-9\-+\u2212]*?)\s*(?P<inner>[-+\u2212]?)\s*"
    r"(?P<number>[0-9](?:[0-9.,'\u2019\s]*[0-9])?)\s*(?P<after>[^0-9]*)"
)
_RUNS = re.compile(r"[0-9]+|[^0-9]+")
# Digits beyond which an amount is offered back to nobody: no bill is that large, and
# formatting it would need more precision than money is kept to.
_MAX_OFFERED_DIGITS = 20


@dataclass(frozen=True)
class _Signs:
    """How a locale writes numbers, as a person types them: its decimal sign (`.` or `,`),
    its thousands separator (`' '` for any space, `'` for apostrophes) and group sizes
    (3 and 3; 3 and 2 in India)."""

    decimal: str
    group: str
    primary: int
    secondary: int


@functools.cache
def _signs(locale: str) -> _Signs:
    decimal = get_decimal_symbol(locale)
    group = get_group_symbol(locale)
    if group.isspace() or group in "\u00a0\u202f":
        group = " "
    elif group in "'\u2019":
        group = "'"
    primary, secondary = Locale.parse(locale).decimal_formats[None].grouping
    return _Signs(
        decimal=decimal if decimal in ".," else ".",
        group=group if group in " '.," else " ",
        primary=primary if 0 < primary < 10 else 3,
        secondary=secondary if 0 < secondary < 10 else 3,
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


def parse_amount(text: str, locale: str = "en_GB") -> Decimal | None:
    """A number a person typed (an exchange rate, say), the way their locale writes numbers,
    or None where it isn't one or could be read two ways.

    `1,250.50` in en_GB and `1 250,50` or `1.250,50` in fr_FR are all 1250.50; `12,50` in
    en_GB is refused rather than read as 1250. Currency marks around the number are ignored;
    exponents, NaN and infinities are refused.
    """
    match = _TYPED.fullmatch(text.strip())
    if match is None or (match["sign"] and match["inner"]):
        return None
    read = _read_number(match["number"], match["sign"] or match["inner"], locale, places=None)
    return read if isinstance(read, Decimal) else None


def read_amount(text: str, currency: str, locale: str) -> Decimal | Unreadable:
    """An amount in `currency` as a person in `locale` typed it, or why it can't be read.

    Read: the locale's own way (`1 234,56` in French, `1,234.56` in English), thousands
    separated by any space, an apostrophe or the other mark when a decimal part follows in the
    locale's sign (`1.234,56` in French), and the bill's currency symbol or code around the
    number. Never guessed: another currency's symbol (refused and named); a decimal sign the
    locale doesn't use (`1,234.56` in French); a decimal part that looks like a group of
    thousands (`1,000` in French). What it could mean is offered back instead. Never raises.
    """
    match = _TYPED.fullmatch(text.strip())
    if match is None or (match["sign"] and match["inner"]):
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
    places = minor_units(currency)
    read = _read_number(match["number"], match["sign"] or match["inner"], locale, places)
    if isinstance(read, list):
        return _offer(match["number"], read, currency, locale)
    return read


def _read_number(
    number: str, sign: str, locale: str, places: int | None
) -> Decimal | Unreadable | list[Decimal]:
    """`number` (digits and separators, starting and ending with a digit) read in `locale`:
    the value, nothing, or the values it could mean where the locale's way can't tell.
    `places` (the currency's minor units, None for a plain number) tells a decimal part from
    a group of thousands in `1,000`."""
    signs = _signs(locale)
    runs = _RUNS.findall(re.sub(r"\s", " ", number).replace("\u2019", "'"))
    digits, seps = runs[0::2], runs[1::2]
    if any(len(s) != 1 for s in seps):
        return Unreadable()
    negative = sign in ("-", "\u2212")
    marks = [s for s in seps if s in ".,"]
    last = seps[-1] if seps else ""

    def value(whole: list[str], fraction: str = "") -> Decimal:
        return Decimal(
            f"{'-' if negative else ''}{''.join(whole)}{'.' if fraction else ''}{fraction}"
        )

    def grouped(whole: list[str], between: list[str]) -> bool:
        return _grouped(whole, between, signs)

    if not marks:
        return value(digits) if grouped(digits, seps) else Unreadable()
    if len(set(marks)) == 2:
        # Both marks: the last one, once, parts the decimals; the other groups thousands.
        if marks.count(last) != 1 or not grouped(digits[:-1], seps[:-1]):
            return Unreadable()
        read = value(digits[:-1], digits[-1])
        return read if last == signs.decimal else [read]
    mark = marks[0]
    if mark == signs.decimal and len(marks) == 1 and last == mark:
        if not grouped(digits[:-1], seps[:-1]):
            return Unreadable()
        read = value(digits[:-1], digits[-1])
        fraction = digits[-1]
        # `1,000` in French: one euro, or a thousand written the English way? Only where both
        # are amounts (`10.005` can only be refused for its decimals).
        if (
            places is not None
            and len(seps) == 1
            and len(fraction) == 3
            and places < 3
            and fraction.endswith("0" * (3 - places))
            and len(digits[0]) <= 3
        ):
            return [value(digits), read]
        return read
    if mark == signs.group and grouped(digits, seps):
        return value(digits)
    # The mark groups thousands or parts decimals the way another locale does: offer what it
    # could mean, never pick one.
    readings: list[Decimal] = []
    if grouped(digits, seps):
        readings.append(value(digits))
    if len(marks) == 1 and last == mark and grouped(digits[:-1], seps[:-1]):
        readings.append(value(digits[:-1], digits[-1]))
    return readings or Unreadable()


def _grouped(whole: list[str], between: list[str], signs: _Signs) -> bool:
    """True when `between` separates `whole` into thousands with one sign, as the locale (or
    anyone) groups them: `1 234 567`, `12,34,567` in India."""
    if not between:
        return True
    if len(set(between)) != 1 or between[0] not in " '.,":
        return False
    head, *middle, tail = whole
    for primary, secondary in {(signs.primary, signs.secondary), (3, 3)}:
        widest = secondary if middle else primary
        if (
            len(tail) == primary
            and all(len(g) == secondary for g in middle)
            and 1 <= len(head) <= widest
        ):
            return True
    return False


def _offer(typed: str, readings: list[Decimal], currency: str, locale: str) -> Unreadable:
    """Name what `typed` could mean (those amounts the currency allows, never rounded) and
    how to write each so that it is read."""
    decimal_sign = _signs(locale).decimal
    offered = [
        r
        for r in readings
        if len(r.as_tuple().digits) <= _MAX_OFFERED_DIGITS and has_valid_precision(r, currency)
    ]
    if not offered:
        return Unreadable()
    amounts: list[Value] = [Money(r, currency) for r in offered]
    written: list[Value] = [_plain(r, currency, decimal_sign) for r in offered]
    return Unreadable(
        Phrase(
            N_("“{typed}”: {readings}? Write {plain}."),
            typed=typed,
            readings=either(amounts),
            plain=either(written),
        )
    )


def _plain(amount: Decimal, currency: str, decimal_sign: str) -> str:
    """`1000` for a reading of whole digits, `2,10` (in French) for one with decimals, in the
    currency's minor units: what the reader takes as is."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return format(amount, "f")
    return format(quantize(amount, currency), "f").replace(".", decimal_sign)


def either(choices: list[Value]) -> Value:
    """`a or b` in the reader's language (one choice: itself)."""
    if len(choices) == 1:
        return choices[0]
    return Phrase(N_("{some} or {last}"), some=choices[0], last=choices[1])
