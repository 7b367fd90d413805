"""The daily digest as a Slack message: what is overdue, due today and due soon, with totals per
currency, who must approve, the scheduled payments, the cash going out as text bars, buttons
that open the matching `/bills` list, and the most urgent bills.

Pure functions from a `billpay.digest.compute.Digest` to Block Kit dicts. However many bills are
due, a message stays within Slack's 50 blocks: the most overdue and biggest bills are listed
first, and the rest are summed up in one line ("and 38 more (£12,400.00)"). Names from the
accounting platform are escaped, so a supplier called `<!channel>` is shown, never pinged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.bills.listing import BillFilter
from billpay.core.domain import CaseState
from billpay.core.i18n import words
from billpay.digest.compute import Digest, DueBill, add_totals
from billpay.digest.words import cash_chart, group_title, heading_day, headline, totals_text
from billpay.slack.blocks.ids import DigestAction, DigestBlock, digest_bill_block, digest_cash_block
from billpay.slack.blocks.metadata import DigestListAction
from billpay.slack.blocks.text import day, due_phrase, escape, mention, money, plain

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
    _ = words(locale)
    blocks: list[dict[str, Any]] = [
        _header(today, locale),
        _context(
            _("*{company}* · as of {day}", company=escape(company_name), day=day(today, locale))
        ),
        {
            "type": "section",
            "block_id": DigestBlock.SUMMARY,
            "text": {"type": "mrkdwn", "text": summary_text(digest, locale)},
        },
    ]
    buttons = _buttons(digest, locale)
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
    text = _(
        "Bills due at {company}: {headline}",
        company=escape(company_name),
        headline=headline(digest, locale),
    )
    return {"text": text, "blocks": blocks}


def digest_empty_message(
    *, company_name: str, locale: str, today: date, look_ahead_days: int
) -> dict[str, Any]:
    """The digest of a day when nothing needs attention, for channels that want one anyway."""
    _ = words(locale)
    company = escape(company_name)
    text = _.ngettext(
        "Nothing needs attention at *{company}*: no bill is overdue or due within {n} day, "
        "and no payment is scheduled.",
        "Nothing needs attention at *{company}*: no bill is overdue or due within {n} days, "
        "and no payment is scheduled.",
        look_ahead_days,
        company=company,
    )
    return {
        "text": _(
            "Bills due at {company}: {headline}",
            company=company,
            headline=_("nothing needs attention"),
        ),
        "blocks": [_header(today, locale), _section(DigestBlock.EMPTY, f"{text} :tada:")],
    }


def summary_text(digest: Digest, locale: str) -> str:
    """One line per group: `*Overdue*: 7 bills · £4,200.00 · €990.00`."""
    _ = words(locale)
    lines = []
    for group in digest.groups:
        title = group_title(group.kind, digest.look_ahead_days, locale)
        mark = ":warning: " if group.kind == "overdue" and group.count else ""
        if group.count:
            figures = _.ngettext(
                "{n} bill · {totals}",
                "{n} bills · {totals}",
                group.count,
                totals=totals_text(group.totals, locale),
            )
        else:
            figures = _("none")
        lines.append(mark + _("*{title}*: {figures}", title=title, figures=figures))
    return "\n".join(lines)


def approvals_text(digest: Digest, locale: str) -> str:
    """Bills waiting for approval and who must act, each approver mentioned once."""
    _ = words(locale)
    approvals = digest.approvals
    lines = [
        _.ngettext(
            "*Awaiting approval*: {n} bill · {totals}",
            "*Awaiting approval*: {n} bills · {totals}",
            approvals.count,
            totals=totals_text(approvals.totals, locale),
        )
    ]
    if approvals.anyone:
        lines.append(_("Anyone in the channel may approve them."))
    elif approvals.waiting_on:
        people = ", ".join(f"{mention(user)} ({count})" for user, count in approvals.waiting_on)
        lines.append(_("Waiting on {people}", people=people))
    return "\n".join(lines)


def scheduled_text(digest: Digest, locale: str) -> str:
    _ = words(locale)
    lines = [
        _.ngettext(
            "*Scheduled payments* in the next {n} day",
            "*Scheduled payments* in the next {n} days",
            digest.look_ahead_days,
        )
    ]
    shown = digest.scheduled[:MAX_SCHEDULED_LINES]
    for payment in shown:
        reference = _reference(payment.reference)
        lines.append(
            f"• {heading_day(payment.payment_date, locale)} · "
            f"*{money(payment.amount, payment.currency, locale)}* · "
            f"{escape(plain(payment.supplier_name, MAX_NAME))}{reference} · "
            + _("from {account}", account=escape(plain(payment.account_name, MAX_NAME)))
        )
    rest = digest.scheduled[len(shown) :]
    if rest:
        totals = add_totals(({p.currency: p.amount} for p in rest), digest.base_currency)
        lines.append(
            _("and {count} more ({totals})", count=len(rest), totals=totals_text(totals, locale))
        )
    return "\n".join(lines)


def bill_text(bill: DueBill, *, locale: str, today: date) -> str:
    """`*Supplier* · REF` then `*£1,200.00* · overdue by 3 days · awaiting approval`."""
    reference = _reference(bill.reference)
    when = _when(bill, today, locale)
    state = _state_phrase(bill, locale)
    return (
        f"*{escape(plain(bill.supplier_name, MAX_NAME))}*{reference}\n"
        f"*{money(bill.amount_due, bill.currency, locale)}* · {when}"
        + (f" · {state}" if state else "")
    )


def _reference(reference: str | None) -> str:
    return f" · {escape(plain(reference, MAX_REFERENCE))}" if reference else ""


def more_text(rest: list[DueBill], base_currency: str, locale: str) -> str:
    _ = words(locale)
    totals = add_totals(({b.currency: b.amount_due} for b in rest), base_currency)
    return _("and {count} more ({totals})", count=len(rest), totals=totals_text(totals, locale))


def _when(bill: DueBill, today: date, locale: str) -> str:
    phrase = due_phrase(bill.due_date, today, locale)
    return f":warning: {phrase}" if bill.due_date < today else phrase


def _state_phrase(bill: DueBill, locale: str) -> str:
    _ = words(locale)
    match bill.state:
        case CaseState.PENDING:
            return _("awaiting approval")
        case CaseState.APPROVED:
            return _("approved, to pay")
        case CaseState.SCHEDULED:
            if bill.scheduled is not None:
                return _(
                    "payment scheduled for {day}",
                    day=heading_day(bill.scheduled.payment_date, locale),
                )
            return _("payment scheduled")
        case CaseState.PAYING:
            return _("payment in progress")
        case CaseState.FAILED:
            return _("payment failed")
        case CaseState.IN_DOUBT:
            return _("payment not settled yet")
        case CaseState.REJECTED:
            return _("rejected")
        case _:
            return ""


def _header(today: date, locale: str) -> dict[str, Any]:
    _ = words(locale)
    title = _("Bills due · {day}", day=heading_day(today, locale))
    return {
        "type": "header",
        "block_id": DigestBlock.HEADER,
        "text": {"type": "plain_text", "text": plain(title, 150)},
    }


def _context(text: str, block_id: str = DigestBlock.CONTEXT) -> dict[str, Any]:
    return {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": text}]}


def _section(block_id: str, text: str) -> dict[str, Any]:
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _buttons(digest: Digest, locale: str) -> list[dict[str, Any]]:
    _ = words(locale)
    buttons = []
    if digest.overdue.count:
        buttons.append(
            _button(DigestAction.OPEN_OVERDUE, _("Overdue bills"), BillFilter("overdue"), "danger")
        )
    if digest.count:
        days = digest.look_ahead_days
        buttons.append(
            _button(
                DigestAction.OPEN_DUE,
                group_title("soon", days, locale),
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
    _ = words(locale)
    if not currencies:
        return []
    blocks: list[dict[str, Any]] = [{"type": "divider"}]
    shown = currencies[:MAX_CASH_CURRENCIES]
    for index, currency in enumerate(shown):
        title = _("*Cash going out*, per day then per week") if index == 0 else ""
        chart = "\n".join(cash_chart(digest.cash, currency, locale))
        text = f"{title}\n*{currency}*\n```{chart}```".lstrip("\n")
        blocks.append(_section(digest_cash_block(currency), text))
    others = currencies[len(shown) :]
    if others:
        blocks.append(
            _context(
                _(
                    "Also going out in {currencies}: see `/bills due {days}d`.",
                    currencies=", ".join(others),
                    days=digest.look_ahead_days,
                ),
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
