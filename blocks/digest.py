"""The daily digest as a Slack message: what is overdue, due today and due soon, with totals per
currency, who must approve, the scheduled payments, the cash going out as text bars, buttons
that open the matching `/bills` list, and the most urgent bills.

Pure functions from a `bot.digest.compute.Digest` to Block Kit dicts. However many bills are
due, a message stays within Slack's 50 blocks: the most overdue and biggest bills are listed
first, and the rest are summed up in one line ("and 38 more (£12,400.00)"). Names from the
accounting platform are escaped, so a supplier called `<!channel>` is shown, never pinged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from blocks.ids import DigestAction, DigestBlock, digest_bill_block, digest_cash_block
from blocks.metadata import DigestListAction
from blocks.text import day, escape, mention, money, plain
from bot.digest.compute import Digest, DueBill, add_totals
from bot.digest.words import (
    cash_chart,
    group_title,
    heading_day,
    headline,
    plural,
    totals_text,
)
from bot.domain import CaseState
from bot.listing import BillFilter

MAX_MESSAGE_BLOCKS = 50
MAX_LISTED_BILLS = 15
MAX_SCHEDULED_LINES = 8
MAX_CASH_CURRENCIES = 3
MAX_NAME = 80
MAX_REFERENCE = 40
MAX_SECTION_TEXT = 3000


def digest_message(
    digest: Digest, *, company_name: str, locale: str, today: date
) -> dict[str, Any]:
    """`text` (the notification) and `blocks` of one channel's digest."""
    blocks: list[dict[str, Any]] = [
        _header(today, locale),
        _context(f"*{escape(company_name)}* · as of {day(today, locale)}"),
        {
            "type": "section",
            "block_id": DigestBlock.SUMMARY,
            "text": {"type": "mrkdwn", "text": summary_text(digest, locale)},
        },
    ]
    buttons = _buttons(digest)
    if buttons:
        blocks.append({"type": "actions", "block_id": DigestBlock.ACTIONS, "elements": buttons})
    if digest.approvals.count:
        blocks.append(_section(DigestBlock.APPROVALS, approvals_text(digest, locale)))
    if digest.scheduled:
        blocks.append(_section(DigestBlock.SCHEDULED, scheduled_text(digest, locale)))
    blocks.extend(_cash_blocks(digest, locale))
    blocks.extend(_bill_blocks(digest, locale, budget=MAX_MESSAGE_BLOCKS - len(blocks)))
    if len(blocks) > MAX_MESSAGE_BLOCKS:  # pragma: no cover - the budget above prevents it
        raise ValueError(f"{len(blocks)} blocks is more than a message may have")
    text = f"Bills due at {escape(company_name)}: {headline(digest, locale)}"
    return {"text": text, "blocks": blocks}


def digest_empty_message(
    *, company_name: str, locale: str, today: date, look_ahead_days: int
) -> dict[str, Any]:
    """The digest of a day when nothing needs attention, for channels that want one anyway."""
    words = (
        f"Nothing needs attention at *{escape(company_name)}*: no bill is overdue or due "
        f"within {plural(look_ahead_days, 'day')}, and no payment is scheduled. :tada:"
    )
    return {
        "text": f"Bills due at {escape(company_name)}: nothing needs attention",
        "blocks": [_header(today, locale), _section(DigestBlock.EMPTY, words)],
    }


def summary_text(digest: Digest, locale: str) -> str:
    """One line per group: `*Overdue*: 7 bills · £4,200.00 · €990.00`."""
    lines = []
    for group in digest.groups:
        title = group_title(group.kind, digest.look_ahead_days)
        mark = ":warning: " if group.kind == "overdue" and group.count else ""
        if group.count:
            figures = f"{plural(group.count, 'bill')} · {totals_text(group.totals, locale)}"
        else:
            figures = "none"
        lines.append(f"{mark}*{title}*: {figures}")
    return "\n".join(lines)


def approvals_text(digest: Digest, locale: str) -> str:
    """Bills waiting for approval and who must act, each approver mentioned once."""
    approvals = digest.approvals
    lines = [
        f"*Awaiting approval*: {plural(approvals.count, 'bill')} · "
        f"{totals_text(approvals.totals, locale)}"
    ]
    if approvals.anyone:
        lines.append("Anyone in the channel may approve them.")
    elif approvals.waiting_on:
        people = ", ".join(f"{mention(user)} ({count})" for user, count in approvals.waiting_on)
        lines.append(f"Waiting on {people}")
    return "\n".join(lines)


def scheduled_text(digest: Digest, locale: str) -> str:
    lines = [f"*Scheduled payments* in the next {plural(digest.look_ahead_days, 'day')}"]
    shown = digest.scheduled[:MAX_SCHEDULED_LINES]
    for payment in shown:
        reference = _reference(payment.reference)
        lines.append(
            f"• {heading_day(payment.payment_date, locale)} · "
            f"*{money(payment.amount, payment.currency, locale)}* · "
            f"{escape(plain(payment.supplier_name, MAX_NAME))}{reference} · "
            f"from {escape(plain(payment.account_name, MAX_NAME))}"
        )
    rest = digest.scheduled[len(shown) :]
    if rest:
        totals = add_totals(({p.currency: p.amount} for p in rest), digest.base_currency)
        lines.append(f"and {len(rest)} more ({totals_text(totals, locale)})")
    return "\n".join(lines)


def bill_text(bill: DueBill, *, locale: str, today: date) -> str:
    """`*Supplier* · REF` then `*£1,200.00* · overdue by 3 days · awaiting approval`."""
    reference = _reference(bill.reference)
    when = _when(bill, today)
    state = _state_phrase(bill, locale)
    return (
        f"*{escape(plain(bill.supplier_name, MAX_NAME))}*{reference}\n"
        f"*{money(bill.amount_due, bill.currency, locale)}* · {when}"
        + (f" · {state}" if state else "")
    )


def _reference(reference: str | None) -> str:
    return f" · {escape(plain(reference, MAX_REFERENCE))}" if reference else ""


def more_text(rest: list[DueBill], base_currency: str, locale: str) -> str:
    totals = add_totals(({b.currency: b.amount_due} for b in rest), base_currency)
    return f"and {len(rest)} more ({totals_text(totals, locale)})"


def _when(bill: DueBill, today: date) -> str:
    days = (bill.due_date - today).days
    if days < 0:
        return f":warning: overdue by {plural(-days, 'day')}"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due in {days} days"


def _state_phrase(bill: DueBill, locale: str) -> str:
    match bill.state:
        case CaseState.PENDING:
            return "awaiting approval"
        case CaseState.APPROVED:
            return "approved, to pay"
        case CaseState.SCHEDULED:
            if bill.scheduled is not None:
                return f"payment scheduled for {heading_day(bill.scheduled.payment_date, locale)}"
            return "payment scheduled"
        case CaseState.PAYING:
            return "payment in progress"
        case CaseState.FAILED:
            return "payment failed"
        case CaseState.REJECTED:
            return "rejected"
        case _:
            return ""


def _header(today: date, locale: str) -> dict[str, Any]:
    return {
        "type": "header",
        "block_id": DigestBlock.HEADER,
        "text": {"type": "plain_text", "text": f"Bills due · {heading_day(today, locale)}"},
    }


def _context(text: str, block_id: str = DigestBlock.CONTEXT) -> dict[str, Any]:
    return {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": text}]}


def _section(block_id: str, text: str) -> dict[str, Any]:
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _buttons(digest: Digest) -> list[dict[str, Any]]:
    buttons = []
    if digest.overdue.count:
        buttons.append(
            _button(DigestAction.OPEN_OVERDUE, "Overdue bills", BillFilter("overdue"), "danger")
        )
    if digest.count:
        days = digest.look_ahead_days
        buttons.append(
            _button(
                DigestAction.OPEN_DUE,
                f"Due within {plural(days, 'day')}",
                BillFilter("due", days=days),
            )
        )
    return buttons


def _button(
    action: DigestAction, label: str, bill_filter: BillFilter, style: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": label},
        "value": DigestListAction(filter_text=bill_filter.source).dump(),
    }
    if style:
        button["style"] = style
    return button


def _cash_blocks(digest: Digest, locale: str) -> list[dict[str, Any]]:
    currencies = digest.cash.currencies
    if not currencies:
        return []
    blocks: list[dict[str, Any]] = [{"type": "divider"}]
    shown = currencies[:MAX_CASH_CURRENCIES]
    for index, currency in enumerate(shown):
        title = "*Cash going out*, per day then per week" if index == 0 else ""
        chart = "\n".join(cash_chart(digest.cash, currency, locale))
        text = f"{title}\n*{currency}*\n```{chart}```".lstrip("\n")
        blocks.append(_section(digest_cash_block(currency), text))
    others = currencies[len(shown) :]
    if others:
        blocks.append(
            _context(
                f"Also going out in {', '.join(others)}: see `/bills due "
                f"{digest.look_ahead_days}d`.",
                f"{DigestBlock.CASH}:others",
            )
        )
    return blocks


def _bill_blocks(digest: Digest, locale: str, *, budget: int) -> list[dict[str, Any]]:
    """A divider, one section per listed bill, and "and N more (…)" for the rest, in at most
    `budget` blocks."""
    if not digest.bills or budget < 3:
        return []
    room = min(MAX_LISTED_BILLS, budget - 2)  # the divider and the "more" line
    listed = list(digest.bills[:room])
    rest = list(digest.bills[room:])
    blocks: list[dict[str, Any]] = [{"type": "divider"}]
    for bill in listed:
        text = bill_text(bill, locale=locale, today=digest.today)
        blocks.append(_section(digest_bill_block(bill.bill_id), text))
    if rest:
        blocks.append(_context(more_text(rest, digest.base_currency, locale), DigestBlock.MORE))
    return blocks
