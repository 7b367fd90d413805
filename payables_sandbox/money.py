"""Money as the sandbox reckons it: each currency's minor units, amounts rounded to them, and the
check the payables API applies to an amount sent with more decimals than its currency has.

The sandbox does this arithmetic itself rather than sharing a client's: a client that rounds
wrongly then disagrees with the sandbox, as it would with Codat, instead of agreeing with its own
mistake.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision


@cache
def minor_units(currency: str) -> int:
    """How many decimals `currency` has, per ISO 4217 as CLDR records it: GBP 2, JPY 0, BHD 3
    (a code CLDR does not know has 2)."""
    return int(get_currency_precision(currency.upper()))


def _smallest_unit(currency: str) -> Decimal:
    """One minor unit of `currency` as a Decimal exponent: 0.01 for GBP, 1 for JPY."""
    return Decimal((0, (1,), -minor_units(currency)))


def round_to_currency(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded to whole minor units of `currency`, halves away from zero
    (10.005 GBP is 10.01, -10.005 GBP is -10.01)."""
    return amount.quantize(_smallest_unit(currency), rounding=ROUND_HALF_UP)


def fits_currency(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no more decimals than `currency` has: 10.10 and 10.100 fit GBP,
    10.001 does not. An amount too large to be written in minor units does not fit either."""
    try:
        return amount.quantize(_smallest_unit(currency)) == amount
    except InvalidOperation:
        return False
