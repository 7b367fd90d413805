"""Text for Block Kit: escaping untrusted text for mrkdwn, money and dates in the reader's
locale, and the short phrases ("overdue by 3 days") the cards use."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel.dates import format_date

from bot.domain import PaymentView
from bot.i18n import words
from bot.money import format_money
from bot.mrkdwn import escape, flatten

__all__ = ["escape"]


def plain(text: str | None, limit: int) -> str:
    """Text for a plain_text field, cut to `limit` characters with an ellipsis."""
    text = flatten(text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def money(amount: Decimal, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


def day(value: date, locale: str) -> str:
    """`22 Nov 2026` (en_GB), `22 nov. 2026` (fr_FR)."""
    return format_date(value, format="medium", locale=locale)


def due_phrase(due: date, today: date, locale: str) -> str:
    _ = words(locale)
    days = (due - today).days
    if days < 0:
        return _.ngettext("overdue by {n} day", "overdue by {n} days", -days)
    if days == 0:
        return _("due today")
    if days == 1:
        return _("due tomorrow")
    return _.ngettext("due in {n} day", "due in {n} days", days)


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


def rate_words(payment: PaymentView, locale: str) -> str:
    """` at 1 EUR = 0.8612 GBP (≈ £861.20)`: the rate as nobody can invert it, and what the
    payment comes to in the company's currency; empty without a rate."""
    base = payment.base_amount
    if base is None or not payment.base_currency:
        return ""
    return f" at {payment.rate_text} (≈ {money(base, payment.base_currency, locale)})"
