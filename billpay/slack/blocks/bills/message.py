"""The `/bills` message: a summary line, then one card per bill (`card`), then paging; a new
bill's own message; the message retired as out of date.

A message never has more than 50 blocks: 2 for the summary, at most 4 per card for 10 cards,
1 for paging."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from billpay.bills.listing import FilterError, Summary, parse_filter
from billpay.core.domain import CaseView, ConnectionPause
from billpay.core.i18n import N_, words
from billpay.slack.blocks.bills.buttons import button
from billpay.slack.blocks.bills.card import card_blocks
from billpay.slack.blocks.ids import (
    Action,
    Block,
)
from billpay.slack.blocks.metadata import PageAction
from billpay.slack.blocks.text import (
    escape,
    mention,
    moment,
    money,
)

MAX_MESSAGE_BLOCKS = 50


# What the bot calls a connection's platform when it does not know its name.
ACCOUNTING_PLATFORM = N_("the accounting platform")


def bills_message(
    *,
    company_name: str,
    headline: str,
    filter_text: str = "",
    summary: Summary,
    cases: list[CaseView],
    page: int,
    pages: int,
    locale: str,
    today: date,
    as_of: datetime,
    time_zone: str,
    pause: ConnectionPause | None = None,
    figures_from: str | None = None,
    new_bill_by: str | None = None,
) -> dict[str, Any]:
    """`text` (the notification fallback) and `blocks` of one page of bills; `as_of` is when
    its figures were read, shown in `time_zone` (the reader's). `figures_from` (the
    accounting platform's name) says the figures are the mirror's, read a while ago. While the
    company's connection is not Linked (`pause`), its figures are as of when it stopped being,
    and each card says so and offers Reconnect instead of Pay. A message posted for one new
    bill (`new_bill_by`, who added it) is headed as that bill: a count of one would read as
    the company's whole position."""
    _ = words(locale)
    when = moment(pause.since if pause else as_of, time_zone, locale)
    if new_bill_by is not None and cases:
        return _new_bill_message(
            company_name, cases[0], new_bill_by, when, locale, today, pause, time_zone
        )
    headline = summary_line(summary, headline, locale, overdue_said=_lists_overdue(filter_text))
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": Block.SUMMARY,
            "text": {"type": "mrkdwn", "text": f"*{escape(company_name)}*: {headline}"},
        }
    ]
    if not cases:
        blocks.append(
            {
                "type": "context",
                "block_id": Block.EMPTY,
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _("Nothing to pay here. :tada: · as of {moment}", moment=when)
                        if figures_from is None
                        else _(
                            "Nothing to pay here. :tada: · figures from {platform} as of {moment}",
                            platform=figures_from,
                            moment=when,
                        ),
                    }
                ],
            }
        )
        return {"text": f"{company_name}: {headline}", "blocks": blocks}
    blocks.append(
        {
            "type": "context",
            "block_id": Block.PAGE,
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _(
                        "Page {page} of {pages} · overdue first · as of {moment}",
                        page=page + 1,
                        pages=pages,
                        moment=when,
                    )
                    if figures_from is None
                    else _(
                        "Page {page} of {pages} · overdue first · figures from {platform} as "
                        "of {moment}",
                        page=page + 1,
                        pages=pages,
                        platform=figures_from,
                        moment=when,
                    ),
                }
            ],
        }
    )
    for case in cases:
        blocks.append({"type": "divider"})
        blocks.extend(
            card_blocks(case, locale=locale, today=today, pause=pause, time_zone=time_zone)
        )
    if pages > 1:
        blocks.append(navigation(page, pages, filter_text, locale=locale))
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is more than a message may have")
    return {"text": f"{company_name}: {headline}", "blocks": blocks}


def _lists_overdue(filter_text: str) -> bool:
    """Does the listing hold only overdue bills (its headline counts them as overdue)?"""
    try:
        return parse_filter(filter_text).kind == "overdue"
    except FilterError:
        return False


def summary_line(
    summary: Summary, headline: str, locale: str, *, overdue_said: bool = False
) -> str:
    """`16 bills due within 7 days · 7 overdue · £1,250.00 due`; `headline` counts the bills
    as the listing's filter words them (`BillFilter.headline`), and `overdue_said` when it
    counts them as overdue already (`7 overdue bills`, not `7 overdue bills · 7 overdue`).
    Rejected bills the listing leaves out are counted last, with the command that lists them."""
    _ = words(locale)
    hidden = (
        _.ngettext(
            "{n} rejected bill not shown: `/bills rejected`",
            "{n} rejected bills not shown: `/bills rejected`",
            summary.rejected_hidden,
        )
        if summary.rejected_hidden
        else ""
    )
    if summary.count == 0:
        return f"{headline}. {hidden}".strip()
    parts = [headline]
    if summary.overdue and not overdue_said:
        parts.append(_.ngettext("{n} overdue", "{n} overdue", summary.overdue))
    parts.extend(
        _("{amount} due", amount=money(amount, currency, locale))
        for currency, amount in summary.totals.items()
    )
    if hidden:
        parts.append(hidden)
    return " · ".join(parts)


def out_of_date_message(*, company_name: str, locale: str) -> dict[str, Any]:
    """A `/bills` message retired because newer messages show its bills: no buttons left."""
    _ = words(locale)
    text = _("Out of date: run `/bills`.")
    return {
        "text": f"{company_name}: {text}",
        "blocks": [
            {
                "type": "section",
                "block_id": Block.OUT_OF_DATE,
                "text": {"type": "mrkdwn", "text": f"*{escape(company_name)}*: {text}"},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            "Newer messages show these bills; this one is no longer updated "
                            "and its buttons do nothing."
                        ),
                    }
                ],
            },
        ],
    }


def _new_bill_message(
    company_name: str,
    case: CaseView,
    added_by: str,
    when: str,
    locale: str,
    today: date,
    pause: ConnectionPause | None,
    time_zone: str,
) -> dict[str, Any]:
    """A new bill's own message: headed as that bill, its card, and when it was read."""
    _ = words(locale)
    company = escape(company_name)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": Block.SUMMARY,
            "text": {
                "type": "mrkdwn",
                "text": f"*{company}*: "
                + _("new bill added by {person}", person=mention(added_by)),
            },
        },
        {
            "type": "context",
            "block_id": Block.PAGE,
            "elements": [{"type": "mrkdwn", "text": _("As of {moment}", moment=when)}],
        },
        {"type": "divider"},
        *card_blocks(case, locale=locale, today=today, pause=pause, time_zone=time_zone),
    ]
    text = f"{company}: " + _("new bill from {supplier}", supplier=escape(case.supplier_name))
    return {"text": text, "blocks": blocks}


def page_value(page: int, filter_text: str) -> str:
    """A paging button's value: the page and the listing's filter, so paging needs no lookup."""
    return PageAction(page=page, filter_text=filter_text).dump()


def navigation(page: int, pages: int, filter_text: str = "", *, locale: str) -> dict[str, Any]:
    _ = words(locale)
    elements = []
    if page > 0:
        elements.append(
            button(Action.PAGE_PREVIOUS, _("← Previous"), page_value(page - 1, filter_text))
        )
    if page < pages - 1:
        elements.append(button(Action.PAGE_NEXT, _("Next →"), page_value(page + 1, filter_text)))
    return {"type": "actions", "block_id": Block.NAVIGATION, "elements": elements}
