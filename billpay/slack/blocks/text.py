"""Text for Block Kit: escaping untrusted text for mrkdwn, money and dates in the reader's
locale, and the short phrases ("overdue by 3 days") the cards use."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal

from billpay.core.domain import PaymentView
from billpay.core.i18n import words
from billpay.core.money import format_money
from billpay.core.mrkdwn import escape, flatten

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


def weekday(number: int, locale: str) -> str:
    """ISO weekday `number` (Monday 1) as the locale abbreviates it: `Mon`, `lun.`."""
    return str(get_day_names("abbreviated", locale=locale)[number - 1])


def moment(value: datetime, time_zone: str, locale: str) -> str:
    """`1 Dec 2026, 10:00` (en_GB), `1 déc. 2026 10:00` (fr_FR): a date and time in the
    reader's time zone, joined as the locale joins them."""
    local = value.astimezone(ZoneInfo(time_zone))
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", day(local.date(), locale)).replace(
        "{0}", format_time(local, format="short", locale=locale)
    )


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


def bill_name(supplier_name: str, reference: str | None) -> str:
    """A bill as a thread line names it, for threads that serve several: `Supplier (REF-1)`."""
    return escape(supplier_name) + (f" ({escape(reference)})" if reference else "")


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(user_id)


def one_of(user_ids: frozenset[str], locale: str) -> str:
    """`<@U1>, <@U2> or <@U3>` (`… ou <@U3>` in French); empty for nobody in particular."""
    mentions = [mention(user_id) for user_id in sorted(user_ids)]
    return format_list(mentions, style="or", locale=locale) if mentions else ""


def rate_words(payment: PaymentView, locale: str) -> str:
    """` at 1 EUR = 0.8612 GBP (≈ £861.20)`: the rate as nobody can invert it, and what the
    payment comes to in the company's currency; empty without a rate."""
    base = payment.base_amount
    if base is None or payment.exchange_rate is None or not payment.base_currency:
        return ""
    _ = words(locale)
    rate = format_decimal(payment.exchange_rate, format="0.##########", locale=locale)
    return _(
        " at 1 {currency} = {rate} {base_currency} (≈ {amount})",
        currency=payment.currency,
        rate=rate,
        base_currency=payment.base_currency,
        amount=money(base, payment.base_currency, locale),
    )
