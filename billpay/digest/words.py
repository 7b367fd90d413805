"""The digest's words and charts as plain text, shared by the Slack message
(`billpay.slack.blocks.digest`) and the terminal (`billpay.digest.terminal`): group titles, totals
per currency, and the cash going out drawn as text bars. Only dates and amounts go into these
strings, never names from the accounting platform, so they need no escaping. Pure.

The Slack message reads them in its reader's language; the terminal stays English (`plural`,
and `group_title` without a locale).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date

from billpay.core.i18n import SOURCE_LANGUAGE, words
from billpay.core.money import format_money
from billpay.digest.compute import CashOut, Digest, GroupKind

BAR_WIDTH = 10
FULL, EMPTY = "█", "░"


def plural(count: int, noun: str) -> str:
    """English only, for the terminal: `1 bill`, `3 bills`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def group_title(kind: GroupKind, look_ahead_days: int, locale: str = SOURCE_LANGUAGE) -> str:
    _ = words(locale)
    match kind:
        case "overdue":
            return _("Overdue")
        case "today":
            return _("Due today")
        case _:
            return _.ngettext("Due within {n} day", "Due within {n} days", look_ahead_days)


def totals_text(totals: Mapping[str, Decimal], locale: str, separator: str = " · ") -> str:
    """`£1,200.00 · €990.00`, in the order given (base currency first)."""
    return separator.join(format_money(amount, code, locale) for code, amount in totals.items())


def short_day(value: date, locale: str) -> str:
    """`Mon 23` (en_GB)."""
    return format_date(value, format="EEE d", locale=locale)


def heading_day(value: date, locale: str) -> str:
    """`Mon 23 Nov` (en_GB)."""
    return format_date(value, format="EEE d MMM", locale=locale)


def month_day(value: date, locale: str) -> str:
    """`23 Nov` (en_GB)."""
    return format_date(value, format="d MMM", locale=locale)


def bar(amount: Decimal, maximum: Decimal, width: int = BAR_WIDTH) -> str:
    """`████████░░`: `amount` as a share of `maximum`; anything above zero shows one block."""
    if maximum <= 0 or amount <= 0:
        filled = 0
    else:
        share = (amount / maximum * width).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        filled = min(width, max(1, int(share)))
    return FULL * filled + EMPTY * (width - filled)


def cash_chart(cash: CashOut, currency: str, locale: str) -> list[str]:
    """The cash going out in one currency: a line per day of the look-ahead, a blank line, then
    a line per ISO week, each bar scaled to that currency's largest day (or week)."""
    day_rows = [(short_day(d.day, locale), d.totals.get(currency, Decimal(0))) for d in cash.days]
    week_rows = [
        (
            f"{month_day(w.start, locale)}-{month_day(w.end, locale)}",
            w.totals.get(currency, Decimal(0)),
        )
        for w in cash.weeks
    ]
    width = max(len(label) for label, _ in [*day_rows, *week_rows])
    lines = _chart(day_rows, width, currency, locale)
    if week_rows:
        lines.append("")
        lines.extend(_chart(week_rows, width, currency, locale))
    return lines


def _chart(rows: list[tuple[str, Decimal]], width: int, currency: str, locale: str) -> list[str]:
    top = max((amount for _, amount in rows), default=Decimal(0))
    return [
        f"{label:<{width}}  {bar(amount, top)}  "
        + (format_money(amount, currency, locale) if amount else "-")
        for label, amount in rows
    ]


def headline(digest: Digest, locale: str) -> str:
    """`7 overdue (£4,200.00), 4 due today, 5 due within 7 days`: the notification's line."""
    _ = words(locale)
    parts = []
    for group in digest.groups:
        if not group.count:
            continue
        totals = totals_text(group.totals, locale, ", ")
        match group.kind:
            case "overdue":
                part = _.ngettext(
                    "{n} overdue ({totals})", "{n} overdue ({totals})", group.count, totals=totals
                )
            case "today":
                part = _.ngettext(
                    "{n} due today ({totals})",
                    "{n} due today ({totals})",
                    group.count,
                    totals=totals,
                )
            case _:
                part = _.ngettext(
                    "{n} due within {days} ({totals})",
                    "{n} due within {days} ({totals})",
                    group.count,
                    days=_.ngettext("{n} day", "{n} days", digest.look_ahead_days),
                    totals=totals,
                )
        parts.append(part)
    if digest.scheduled:
        parts.append(
            _.ngettext("{n} payment scheduled", "{n} payments scheduled", len(digest.scheduled))
        )
    return "; ".join(parts) if parts else _("nothing needs attention")
