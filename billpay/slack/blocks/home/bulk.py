"""Approving several bills from the App Home: the form that confirms the bills ticked and their
totals per currency, and the result, bill by bill (approved, or why not)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billpay.core.i18n import words
from billpay.core.queue import QueuedBill
from billpay.slack.blocks.frame import modal
from billpay.slack.blocks.home.values import BulkApproval, HomeCallback
from billpay.slack.blocks.home.view import SECTION_LIMIT
from billpay.slack.blocks.text import day, escape, money, plain


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one bill: approved (`done`), or the words saying why not."""

    bill: QueuedBill
    done: bool
    text: str


def _title(locale: str) -> str:
    return words(locale)("Approve bills")


def _bill(bill: QueuedBill, locale: str) -> str:
    name = f"*{escape(plain(bill.supplier_name, 60))}*"
    if bill.reference:
        name += f" ({escape(plain(bill.reference, 40))})"
    text = f"{name} · {money(bill.amount_due, bill.currency, locale)}"
    if bill.due_date is not None:
        text += " · " + words(locale)("due {date}", date=day(bill.due_date, locale))
    return text


def _totals(bills: list[QueuedBill], locale: str) -> str:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for bill in bills:
        totals[bill.currency] += bill.amount_due
    return " · ".join(money(totals[c], c, locale) for c in sorted(totals))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _lines(lines: list[str]) -> list[dict[str, Any]]:
    """Lines in as few sections as Slack's 3000 characters allow."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line[:SECTION_LIMIT])
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def bulk_modal(
    bills: list[QueuedBill], metadata: BulkApproval, *, locale: str, today: date
) -> dict[str, Any]:
    """The bills ticked, their totals per currency, and Approve: each is checked on its own."""
    _ = words(locale)
    intro = _.ngettext(
        "Approve this bill? It is checked against the channel's policy first.",
        "Approve these {n} bills? Each is checked against its channel's policy on its own; "
        "one refused does not stop the others.",
        len(bills),
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        *_lines([f"• {_bill(bill, locale)}" for bill in bills]),
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _("*Total*: {totals}", totals=_totals(bills, locale)),
            },
        },
    ]
    return modal(
        _title(locale),
        blocks,
        callback_id=HomeCallback.BULK_APPROVE,
        submit=_("Approve"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def bulk_result(outcomes: list[BulkOutcome], *, locale: str) -> dict[str, Any]:
    """Each bill and what became of it."""
    _ = words(locale)
    done = [o for o in outcomes if o.done]
    lines = []
    for outcome in outcomes:
        mark = ":white_check_mark:" if outcome.done else ":no_entry_sign:"
        lines.append(f"{mark} {_bill(outcome.bill, locale)}: {outcome.text}")
    summary = _("{done} of {count} approved.", done=len(done), count=len(outcomes))
    blocks = [_section(summary), *_lines(lines)]
    return modal(_title(locale), blocks, callback_id=HomeCallback.RESULT, locale=locale)


def nothing_selected(*, locale: str) -> dict[str, Any]:
    _ = words(locale)
    text = _("Tick the bills to approve in your App Home first. Nothing was changed.")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":information_source: {text}"}}
    ]
    return modal(_title(locale), blocks, callback_id=HomeCallback.RESULT, locale=locale)


def told(text: str, *, locale: str) -> dict[str, Any]:
    """A modal that only says something (a payment cancelled from the Home, say)."""
    blocks = [_section(text[:SECTION_LIMIT])]
    return modal(words(locale)("Bill Pay"), blocks, callback_id=HomeCallback.RESULT, locale=locale)
