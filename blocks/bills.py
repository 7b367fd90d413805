"""The `/bills` message: a summary line, then one card per bill with its buttons, then paging.

Pure functions from the workflow's `CaseView`s to Block Kit dicts. A message never has more than
50 blocks: 2 for the summary, at most 4 per card for 10 cards, 1 for paging.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from blocks.ids import Action, Block, MoreOption, card_actions_block, card_block, card_status_block
from blocks.metadata import BillAction, MoreAction, PageAction
from blocks.text import day, due_phrase, escape, mention, money, plain, rate_words
from bot.domain import CaseState, CaseView
from bot.listing import Summary
from bot.payment_words import failure_text

MAX_MESSAGE_BLOCKS = 50


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
) -> dict[str, Any]:
    """`text` (the notification fallback) and `blocks` of one page of bills."""
    headline = summary_line(summary, headline, locale)
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
                "elements": [{"type": "mrkdwn", "text": "Nothing to pay here. :tada:"}],
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
                    "text": f"Page {page + 1} of {pages} · overdue first"
                    f" · as of {day(today, locale)}",
                }
            ],
        }
    )
    for case in cases:
        blocks.append({"type": "divider"})
        blocks.extend(card_blocks(case, locale=locale, today=today))
    if pages > 1:
        blocks.append(navigation(page, pages, filter_text))
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is more than a message may have")
    return {"text": f"{company_name}: {headline}", "blocks": blocks}


def summary_line(summary: Summary, headline: str, locale: str) -> str:
    """`16 bills due within 7 days · 7 overdue · £1,250.00 due`; `headline` counts the bills
    as the listing's filter words them (`BillFilter.headline`)."""
    if summary.count == 0:
        return f"{headline}."
    parts = [headline]
    if summary.overdue:
        parts.append(f"{summary.overdue} overdue")
    parts.extend(
        f"{money(amount, currency, locale)} due" for currency, amount in summary.totals.items()
    )
    return " · ".join(parts)


def card_blocks(case: CaseView, *, locale: str, today: date) -> list[dict[str, Any]]:
    """The card of one bill: what it is, where it stands, and what can be done now."""
    text = bill_text(case, locale=locale, today=today)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": card_block(case.bill_id),
            "text": {"type": "mrkdwn", "text": text},
        },
        {
            "type": "context",
            "block_id": card_status_block(case.bill_id),
            "elements": [{"type": "mrkdwn", "text": status_line(case, locale)}],
        },
    ]
    buttons = card_buttons(case)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": card_actions_block(case.bill_id), "elements": buttons}
        )
    return blocks


def bill_text(case: CaseView, *, locale: str, today: date) -> str:
    """Supplier and reference, then what is due and when: the first lines of a card."""
    reference = f" · {escape(case.reference)}" if case.reference else ""
    due = money(case.amount_due, case.currency, locale)
    total = money(case.total_amount, case.currency, locale)
    if case.amount_due == 0:
        amount = f"*{total}* paid in full"
    elif case.amount_due == case.total_amount:
        amount = f"*{due}* due"
    else:
        amount = f"*{due}* due of {total}"
    when = f"Due {day(case.due_date, locale)}"
    if case.state in (CaseState.PENDING, CaseState.APPROVED, CaseState.FAILED):
        phrase = due_phrase(case.due_date, today, locale)
        when += f" ({':warning: ' if case.due_date < today else ''}{phrase})"
    return f"*{escape(case.supplier_name)}*{reference}\n{amount} · {when}"


def status_line(case: CaseView, locale: str) -> str:
    payment = case.last_payment
    approvals = ", ".join(mention(user) for user in case.approvals)
    partial = ""
    if case.amount_due < case.total_amount and case.amount_due > 0:
        partial = (
            f" · {money(case.paid_amount, case.currency, locale)} paid, "
            f"{money(case.amount_due, case.currency, locale)} still due"
        )
    match case.state:
        case CaseState.PENDING if case.approvals:
            return (
                f":hourglass_flowing_sand: Approved by {approvals}, {len(case.approvals)} of "
                f"{case.approvals_required}; needs another approver{partial}"
            )
        case CaseState.PENDING:
            need = "two approvals" if case.approvals_required > 1 else "approval"
            return (
                f":hourglass_flowing_sand: {status_name(case.bill_status)} · needs {need}{partial}"
            )
        case CaseState.APPROVED:
            of = (
                f", {len(case.approvals)} of {case.approvals_required}"
                if case.approvals_required > 1
                else ""
            )
            return f":white_check_mark: Approved by {approvals}{of}{partial}"
        case CaseState.REJECTED:
            who = mention(case.rejected_by or "someone")
            return f":no_entry: Rejected by {who}: {escape(case.reject_reason)}"
        case CaseState.PAYING if payment:
            return (
                ":arrows_counterclockwise: Recording "
                f"{money(payment.amount, payment.currency, locale)} from"
                f" {escape(payment.account_name)} for {mention(payment.requested_by)}…"
            )
        case CaseState.SCHEDULED if payment and payment.send_after is not None:
            return (
                f":hourglass_flowing_sand: Paying {money(payment.amount, payment.currency, locale)}"
                f" from {escape(payment.account_name)} for {mention(payment.requested_by)} in a "
                "few seconds: *Undo* stops it"
            )
        case CaseState.SCHEDULED if case.scheduled or payment:
            planned = case.scheduled or payment
            assert planned is not None
            rest = (
                f" · {money(case.payable_amount, case.currency, locale)} more can be paid now"
                if case.scheduled and case.payable_amount > 0
                else ""
            )
            return (
                f":calendar: {money(planned.amount, planned.currency, locale)} from "
                f"{escape(planned.account_name)} scheduled for {day(planned.payment_date, locale)}"
                f" by {mention(planned.requested_by)}{rest}"
            )
        case CaseState.PAID if payment:
            rate = rate_words(payment, locale)
            return (
                f":moneybag: Paid {money(payment.amount, payment.currency, locale)} from "
                f"{escape(payment.account_name)}{rate} by {mention(payment.requested_by)}"
            )
        case CaseState.FAILED if payment and payment.awaits_payer:
            return f":warning: Payment not confirmed: {escape(plain(payment.error, 500))}{partial}"
        case CaseState.FAILED if payment and payment.outcome_unknown:
            cause = failure_text(plain(payment.error, 300), unknown=True)
            return f":warning: Payment not confirmed: {cause}{partial}"
        case CaseState.FAILED if payment:
            cause = failure_text(plain(payment.error, 300), unknown=False)
            return f":x: Payment failed: {cause}{partial}"
        case CaseState.CLOSED:
            return f":lock: Closed: {escape(case.note)}"
        case _:
            return f"{status_name(case.bill_status)}{partial}"


def status_name(status: str) -> str:
    """`PartiallyPaid` as people write it: `Partially paid`."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in status).strip()
    return escape(words[:1].upper() + words[1:])


def _button(
    action: str,
    text: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def card_buttons(case: CaseView) -> list[dict[str, Any]]:
    bill = BillAction(bill_id=case.bill_id).dump()
    approve = _button(Action.APPROVE, "Approve", bill, style="primary")
    reject = _button(
        Action.REJECT,
        "Reject",
        bill,
        style="danger",
        confirm=_confirm(
            "Reject this bill?",
            "You'll be asked for a reason. A rejected bill can't be paid from Slack.",
            "Reject…",
        ),
    )
    pay = _button(Action.PAY, "Pay…", bill)
    retry = _button(Action.RETRY_PAYMENT, "Retry payment", bill, style="primary")
    cancel = _button(
        Action.CANCEL_PAYMENT,
        "Cancel payment",
        bill,
        style="danger",
        confirm=_confirm(
            "Cancel this payment?", "The bill goes back to approved, unpaid.", "Cancel payment"
        ),
    )
    undo = _button(Action.CANCEL_PAYMENT, "Undo", bill, style="danger")
    was_recorded = _button(
        Action.PAYMENT_WAS_RECORDED,
        "It was recorded",
        bill,
        style="primary",
        confirm=_confirm(
            "Was it recorded?",
            "Only if the accounting platform shows this payment. Bill Pay will record it as paid.",
            "It was recorded",
        ),
    )
    was_not_recorded = _button(
        Action.PAYMENT_WAS_NOT_RECORDED,
        "It wasn't recorded",
        bill,
        confirm=_confirm(
            "Wasn't it recorded?",
            "Only if the accounting platform doesn't show this payment. The bill can then be "
            "paid again.",
            "It wasn't recorded",
        ),
    )
    more = {
        "type": "overflow",
        "action_id": Action.MORE,
        "options": [
            {
                "text": {"type": "plain_text", "text": "Details"},
                "value": MoreAction(choice=MoreOption.DETAILS, bill_id=case.bill_id).dump(),
            },
            {
                "text": {"type": "plain_text", "text": "Refresh"},
                "value": MoreAction(choice=MoreOption.REFRESH, bill_id=case.bill_id).dump(),
            },
        ],
    }
    match case.state:
        case CaseState.PENDING:
            return [approve, reject, pay, more]
        case CaseState.APPROVED:
            return [{**pay, "style": "primary"}, reject, more]
        case CaseState.FAILED if case.last_payment and case.last_payment.awaits_payer:
            return [was_recorded, was_not_recorded, more]
        case CaseState.FAILED if case.last_payment and case.last_payment.outcome_unknown:
            return [retry, more]
        case CaseState.FAILED if case.last_payment and case.last_payment.may_retry:
            return [retry, pay, more]
        case CaseState.FAILED:
            return [{**pay, "style": "primary"}, more]
        case CaseState.SCHEDULED if case.last_payment and case.last_payment.send_after:
            return [undo]
        case CaseState.SCHEDULED if case.scheduled and case.payable_amount > 0:
            return [cancel, pay, more]
        case CaseState.SCHEDULED:
            return [cancel, more]
        case CaseState.PAYING:
            return [more]  # Refresh shows Retry payment if the sender stopped before an answer
        case _:
            return []


def page_value(page: int, filter_text: str) -> str:
    """A paging button's value: the page and the listing's filter, so paging needs no lookup."""
    return PageAction(page=page, filter_text=filter_text).dump()


def _confirm(title: str, text: str, confirm: str) -> dict[str, Any]:
    """A confirmation dialog for a button whose effect is hard to undo."""
    return {
        "title": {"type": "plain_text", "text": title},
        "text": {"type": "mrkdwn", "text": text},
        "confirm": {"type": "plain_text", "text": confirm},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }


def navigation(page: int, pages: int, filter_text: str = "") -> dict[str, Any]:
    elements = []
    if page > 0:
        elements.append(
            _button(Action.PAGE_PREVIOUS, "← Previous", page_value(page - 1, filter_text))
        )
    if page < pages - 1:
        elements.append(_button(Action.PAGE_NEXT, "Next →", page_value(page + 1, filter_text)))
    return {"type": "actions", "block_id": Block.NAVIGATION, "elements": elements}


def details_blocks(case: CaseView, *, locale: str, today: date) -> list[dict[str, Any]]:
    """The overflow's Details: the card's facts in full, for the person who asked."""
    fields = [
        ("Supplier", escape(case.supplier_name)),
        ("Reference", escape(case.reference) or "—"),
        ("Issued", day(case.issue_date, locale)),
        ("Due", f"{day(case.due_date, locale)} ({due_phrase(case.due_date, today, locale)})"),
        ("Total", money(case.total_amount, case.currency, locale)),
        ("Still due", money(case.amount_due, case.currency, locale)),
        ("Status", status_name(case.bill_status)),
        ("Approvals", f"{len(case.approvals)} of {case.approvals_required}"),
    ]
    return [
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": status_line(case, locale)}]},
    ]
