"""One bill's card: what it is, where it stands (`status`) and what can be done now (`buttons`);
its Details, and the answer to Refresh."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from billpay.core.domain import CaseState, CaseView, ConnectionPause
from billpay.core.i18n import words
from billpay.payments.words import platform_text
from billpay.slack.blocks.bills.buttons import card_buttons, moves_money
from billpay.slack.blocks.bills.status import payments_line, status_line, status_name
from billpay.slack.blocks.card_extras import card_flags
from billpay.slack.blocks.connection import pause_text
from billpay.slack.blocks.ids import (
    card_actions_block,
    card_block,
    card_status_block,
)
from billpay.slack.blocks.text import (
    day,
    due_phrase,
    escape,
    moment,
    money,
)


def card_blocks(
    case: CaseView,
    *,
    locale: str,
    today: date,
    pause: ConnectionPause | None = None,
    time_zone: str = "UTC",
) -> list[dict[str, Any]]:
    """The card of one bill: what it is, where it stands, and what can be done now (while the
    connection is not Linked, why it can't be paid)."""
    text = bill_text(case, locale=locale, today=today)
    paused = (
        [{"type": "mrkdwn", "text": pause_text(pause, locale=locale, time_zone=time_zone)}]
        if pause is not None and moves_money(case)
        else []
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": card_block(case.bill_id),
            "text": {"type": "mrkdwn", "text": text},
        },
        {
            "type": "context",
            "block_id": card_status_block(case.bill_id),
            "elements": [
                *(
                    {"type": "mrkdwn", "text": line}
                    for line in (status_line(case, locale), payments_line(case, locale))
                    if line
                ),
                *card_flags(case, locale=locale, today=today),
                *paused,
            ],
        },
    ]
    buttons = card_buttons(case, locale, pause)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": card_actions_block(case.bill_id), "elements": buttons}
        )
    return blocks


def bill_text(case: CaseView, *, locale: str, today: date) -> str:
    """Supplier and reference, then what is due and when: the first lines of a card."""
    _ = words(locale)
    reference = f" · {escape(case.reference)}" if case.reference else ""
    due = money(case.amount_due, case.currency, locale)
    total = money(case.total_amount, case.currency, locale)
    if case.amount_due == 0:
        amount = _("*{total}* paid in full", total=total)
    elif case.amount_due == case.total_amount:
        amount = _("*{amount}* due", amount=due)
    else:
        amount = _("*{amount}* due of {total}", amount=due, total=total)
    when = _("Due {day}", day=day(case.due_date, locale))
    if case.estimated:
        amount += " " + _(
            "(our figures, until {platform} shows the payment)",
            platform=platform_text(case.platform, locale),
        )
    # Until the money has left, the bill is as late as it is (held or scheduled included).
    if case.state in (CaseState.PENDING, CaseState.APPROVED, CaseState.FAILED, CaseState.SCHEDULED):
        phrase = due_phrase(case.due_date, today, locale)
        when += f" ({':warning: ' if case.due_date < today else ''}{phrase})"
    return f"*{escape(case.supplier_name)}*{reference}\n{amount} · {when}"


def refreshed_text(case: CaseView, now: datetime, time_zone: str, locale: str) -> str:
    """The answer to Refresh, for the person who pressed it: read again, and what it says."""
    _ = words(locale)
    values = {
        "supplier": escape(case.supplier_name),
        "platform": platform_text(case.platform, locale),
        "time": moment(now, time_zone, locale),
    }
    if case.amount_due == 0:
        text = _(
            "Read {supplier} again from {platform} at {time}: nothing is due. The card is up "
            "to date.",
            **values,
        )
    else:
        text = _(
            "Read {supplier} again from {platform} at {time}: {amount} due. The card is up to "
            "date.",
            amount=money(case.amount_due, case.currency, locale),
            **values,
        )
    return ":arrows_counterclockwise: " + text


def details_blocks(
    case: CaseView, *, locale: str, today: date, as_of: str | None = None
) -> list[dict[str, Any]]:
    """The overflow's Details: the card's facts in full, for the person who asked. Slack keeps
    the panel as it was while the bill moves on, so it says when it was read (`as_of`, the
    reader's local moment)."""
    _ = words(locale)
    stamp = (
        [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            "Details as of {moment}; the card shows the bill as it is now.",
                            moment=as_of,
                        ),
                    }
                ],
            }
        ]
        if as_of
        else []
    )
    fields = [
        (_("Supplier"), escape(case.supplier_name)),
        (_("Reference"), escape(case.reference) or "—"),
        (_("Issued"), day(case.issue_date, locale)),
        (
            _("Due"),
            f"{day(case.due_date, locale)} ({due_phrase(case.due_date, today, locale)})",
        ),
        (_("Total"), money(case.total_amount, case.currency, locale)),
        (_("Still due"), money(case.amount_due, case.currency, locale)),
        (_("Status"), status_name(case.bill_status, locale)),
        (
            _("Approvals"),
            _("{count} of {required}", count=len(case.approvals), required=case.approvals_required),
        ),
    ]
    return [
        *stamp,
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": line}
                for line in (status_line(case, locale), payments_line(case, locale))
                if line
            ],
        },
    ]
