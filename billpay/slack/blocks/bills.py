"""The `/bills` message: a summary line, then one card per bill with its buttons, then paging.

Pure functions from the cases' views (`CaseView`) to Block Kit dicts. A message never has more than
50 blocks: 2 for the summary, at most 4 per card for 10 cards, 1 for paging.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billpay.bills.listing import FilterError, Summary, parse_filter
from billpay.core.domain import CaseState, CaseView, ConnectionPause
from billpay.core.i18n import N_, words
from billpay.payments.words import failure_text, in_doubt_text, platform_text
from billpay.slack.blocks.card_extras import card_flags, more_options, retry_upload_button
from billpay.slack.blocks.connection import pause_text, reconnect_button
from billpay.slack.blocks.ids import (
    Action,
    Block,
    MoreOption,
    card_actions_block,
    card_block,
    card_status_block,
)
from billpay.slack.blocks.metadata import BillAction, MoreAction, PageAction
from billpay.slack.blocks.text import (
    day,
    due_phrase,
    escape,
    mention,
    moment,
    money,
    plain,
    rate_words,
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
        if pause is not None and _moves_money(case)
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


def status_line(case: CaseView, locale: str) -> str:
    _ = words(locale)
    payment = case.last_payment
    approvals = ", ".join(
        mention(user)
        if not for_whom
        else _("{delegate} for {person}", delegate=mention(user), person=mention(for_whom))
        for user, for_whom in zip(
            case.approvals, case.approved_for or (None,) * len(case.approvals), strict=True
        )
    )
    partial = ""
    if case.amount_due < case.total_amount and case.amount_due > 0:
        partial = _(
            " · {paid} paid, {due} still due",
            paid=money(case.paid_amount, case.currency, locale),
            due=money(case.amount_due, case.currency, locale),
        )
    match case.state:
        case CaseState.PENDING if case.approvals:
            return ":hourglass_flowing_sand: " + _(
                "Approved by {people}, {count} of {required}; needs another approver{partial}",
                people=approvals,
                count=len(case.approvals),
                required=case.approvals_required,
                partial=partial,
            )
        case CaseState.PENDING:
            status = status_name(case.bill_status, locale)
            if case.approvals_required > 1:
                need = _("{status} · needs two approvals{partial}", status=status, partial=partial)
            else:
                need = _("{status} · needs approval{partial}", status=status, partial=partial)
            return f":hourglass_flowing_sand: {need}"
        case CaseState.APPROVED:
            if case.approvals_required > 1:
                return ":white_check_mark: " + _(
                    "Approved by {people}, {count} of {required}{partial}",
                    people=approvals,
                    count=len(case.approvals),
                    required=case.approvals_required,
                    partial=partial,
                )
            return ":white_check_mark: " + _(
                "Approved by {people}{partial}", people=approvals, partial=partial
            )
        case CaseState.REJECTED:
            who = mention(case.rejected_by) if case.rejected_by else _("someone")
            if case.rejected_by and case.rejected_for:
                who = _(
                    "{delegate} for {person}",
                    delegate=who,
                    person=mention(case.rejected_for),
                )
            return ":no_entry: " + _(
                "Rejected by {person}: {reason}", person=who, reason=escape(case.reject_reason)
            )
        case CaseState.PAYING if payment:
            return ":arrows_counterclockwise: " + _(
                "Recording {person}'s payment of {amount} from {account}…",
                amount=money(payment.amount, payment.currency, locale),
                account=escape(payment.account_name),
                person=mention(payment.requested_by),
            )
        case CaseState.SCHEDULED if payment and payment.send_after is not None:
            return ":hourglass_flowing_sand: " + _(
                "{person}'s payment of {amount} from {account} goes out in a few seconds: "
                "*Undo* stops it",
                amount=money(payment.amount, payment.currency, locale),
                account=escape(payment.account_name),
                person=mention(payment.requested_by),
            )
        case CaseState.SCHEDULED if case.scheduled or payment:
            planned = case.scheduled or payment
            assert planned is not None
            rest = (
                _(
                    " · {amount} more can be paid now",
                    amount=money(case.payable_amount, case.currency, locale),
                )
                if case.scheduled and case.payable_amount > 0
                else ""
            )
            return ":calendar: " + _(
                "{amount} from {account} scheduled for {day} by {person}{rest}",
                amount=money(planned.amount, planned.currency, locale),
                account=escape(planned.account_name),
                day=day(planned.payment_date, locale),
                person=mention(planned.requested_by),
                rest=rest,
            )
        case CaseState.PAID if payment:
            return ":moneybag: " + _(
                "Paid {amount} from {account}{rate} by {person}",
                amount=money(payment.amount, payment.currency, locale),
                account=escape(payment.account_name),
                rate=rate_words(payment, locale),
                person=mention(payment.requested_by),
            )
        case CaseState.IN_DOUBT if payment and payment.in_doubt:
            waiting = (
                " "
                + _(
                    "The payment of {amount} scheduled for {day} waits until this one is settled.",
                    amount=money(case.scheduled.amount, case.scheduled.currency, locale),
                    day=day(case.scheduled.payment_date, locale),
                )
                if case.scheduled
                else ""
            )
            emoji = ":warning: " if payment.awaits_person else ":hourglass_flowing_sand: "
            doubt = in_doubt_text(payment, case.platform, locale)
            return emoji + _("Not settled yet: {doubt}", doubt=doubt) + waiting + partial
        case CaseState.FAILED if payment:
            cause = failure_text(payment.error, locale=locale, limit=300)
            return ":x: " + _("Payment failed: {cause}{partial}", cause=cause, partial=partial)
        case CaseState.CLOSED:
            note = escape(_(case.note) if case.note else "")
            return ":lock: " + _("Closed: {note}", note=note)
        case _:
            return f"{status_name(case.bill_status, locale)}{partial}"


# Beyond this many payments a card gives their total and count instead of each one.
PAYMENTS_LISTED = 3


def payments_line(case: CaseView, locale: str) -> str | None:
    """The payments recorded from Slack and who made each, then what the platform shows as
    paid besides them, so the two add up to the amount paid; None when the status line says
    it all already (no payment, or the one payment that paid the whole bill)."""
    payments = case.payments
    from_slack = sum((p.amount for p in payments), Decimal(0))
    elsewhere = case.paid_amount - from_slack if payments else Decimal(0)
    if not payments or (len(payments) == 1 and case.state == CaseState.PAID and elsewhere <= 0):
        return None
    _ = words(locale)
    if len(payments) > PAYMENTS_LISTED:
        payers = list(dict.fromkeys(mention(p.requested_by) for p in payments))
        line = _.ngettext(
            "From Slack: {total} in {n} payment by {who}",
            "From Slack: {total} in {n} payments by {who}",
            len(payments),
            total=money(from_slack, case.currency, locale),
            who=", ".join(payers),
        )
    else:
        listed = " · ".join(
            _(
                "{amount} by {who} on {day}",
                amount=money(p.amount, p.currency, locale),
                who=mention(p.requested_by),
                day=day(p.payment_date, locale),
            )
            for p in payments
        )
        line = _("From Slack: {payments}", payments=listed)
    if elsewhere > 0:
        line += " · " + _(
            "{amount} paid directly in {platform}",
            amount=money(elsewhere, case.currency, locale),
            platform=platform_text(case.platform, locale),
        )
    return line


# The accounting platform's bill statuses, as people write them.
STATUS_NAMES = {
    "Draft": N_("Draft"),
    "Open": N_("Open"),
    "PartiallyPaid": N_("Partially paid"),
    "Paid": N_("Paid"),
    "Void": N_("Void"),
    "Unknown": N_("Unknown"),
}


def status_name(status: str, locale: str) -> str:
    """`PartiallyPaid` as people write it: `Partially paid` (`Partiellement payée`)."""
    known = STATUS_NAMES.get(status)
    if known is not None:
        return words(locale)(known)
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in status).strip()
    return escape(spaced[:1].upper() + spaced[1:])


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


def _moves_money(case: CaseView) -> bool:
    """Does the card offer a button that writes a payment (Pay…, Send it again)?"""
    return case.state in (CaseState.APPROVED, CaseState.FAILED, CaseState.SCHEDULED) or (
        case.state == CaseState.IN_DOUBT
        and case.last_payment is not None
        and case.last_payment.awaits_person
    )


def card_buttons(
    case: CaseView, locale: str, pause: ConnectionPause | None = None
) -> list[dict[str, Any]]:
    """What can be done now, by the bill's state; Retry upload too while its invoice is not
    attached (before the overflow menu). While the connection is not Linked, the buttons that
    would write a payment give way to Reconnect (Approve stays: it writes nothing there)."""
    buttons = _state_buttons(case, locale)
    if pause is not None:
        buttons = _paused(buttons, pause, locale)
    upload = retry_upload_button(case, locale)
    if upload is not None:
        menu = next((i for i, b in enumerate(buttons) if b["type"] == "overflow"), len(buttons))
        buttons.insert(menu, upload)
    return buttons


def _paused(
    buttons: list[dict[str, Any]], pause: ConnectionPause, locale: str
) -> list[dict[str, Any]]:
    writes = (Action.PAY, Action.SEND_PAYMENT_AGAIN)
    if not any(b.get("action_id") in writes for b in buttons):
        return buttons
    reconnect = reconnect_button(pause, locale=locale)
    kept: list[dict[str, Any]] = []
    for button in buttons:
        if button.get("action_id") in writes:
            if reconnect is not None:
                kept.append(reconnect)
                reconnect = None
            continue
        kept.append(button)
    return kept


def _state_buttons(case: CaseView, locale: str) -> list[dict[str, Any]]:
    _ = words(locale)
    bill = BillAction(bill_id=case.bill_id, version=case.version).dump()
    reopen = _button(Action.REOPEN, _("Reopen…"), bill)
    approve = _button(Action.APPROVE, _("Approve"), bill, style="primary")
    # No confirm dialog: Slack would show it before the bot can refuse someone the policy does
    # not allow. The reason form, opened only for those who may reject, is the second step.
    reject = _button(Action.REJECT, _("Reject"), bill, style="danger")
    pay = _button(Action.PAY, _("Pay…"), bill)
    check = _button(Action.CHECK_PAYMENT, _("Check now"), bill, style="primary")
    platform = platform_text(case.platform, locale)
    cancel = _button(
        Action.CANCEL_PAYMENT,
        _("Cancel payment"),
        bill,
        style="danger",
        confirm=_confirm(
            _("Cancel this payment?"),
            _("The bill goes back to approved, unpaid."),
            _("Cancel payment"),
            locale,
        ),
    )
    undo = _button(Action.CANCEL_PAYMENT, _("Undo"), bill, style="danger")
    in_platform = _button(
        Action.PAYMENT_IS_IN_PLATFORM,
        plain(_("It's in {platform}", platform=platform), 75),
        bill,
        style="primary",
        confirm=_confirm(
            _("Is it in {platform}?", platform=platform),
            _(
                "Only if {platform} shows this payment. Bill Pay will record it as paid.",
                platform=platform,
            ),
            _("It's there"),
            locale,
        ),
    )
    send_again = _button(
        Action.SEND_PAYMENT_AGAIN,
        _("Send it again"),
        bill,
        style="danger",
        confirm=_confirm(
            _("Send this payment again?"),
            _(
                "If the first payment did reach {platform}, the supplier is paid twice. Send it "
                "again only if {platform} doesn't show it.",
                platform=platform,
            ),
            _("Send it again"),
            locale,
        ),
    )
    more = {
        "type": "overflow",
        "action_id": Action.MORE,
        "options": [
            {
                "text": {"type": "plain_text", "text": _("Details")},
                "value": MoreAction(choice=MoreOption.DETAILS, bill_id=case.bill_id).dump(),
            },
            {
                "text": {"type": "plain_text", "text": _("Refresh")},
                "value": MoreAction(choice=MoreOption.REFRESH, bill_id=case.bill_id).dump(),
            },
            *more_options(case, locale),
        ],
    }
    match case.state:
        case CaseState.PENDING:
            # Everyone in the channel sees the same card: Pay… shows only once a payment can be
            # made, and a click by someone who may not pay is answered on its own.
            return [approve, reject, more]
        case CaseState.APPROVED:
            return [{**pay, "style": "primary"}, reject, more]
        case CaseState.IN_DOUBT if case.last_payment and case.last_payment.awaits_person:
            return [in_platform, send_again, more]
        case CaseState.IN_DOUBT:
            return [check, more]
        case CaseState.FAILED:
            return [{**pay, "style": "primary"}, more]
        case CaseState.SCHEDULED if case.last_payment and case.last_payment.send_after:
            return [undo]
        case CaseState.SCHEDULED if case.scheduled and case.payable_amount > 0:
            return [cancel, pay, more]
        case CaseState.SCHEDULED:
            return [cancel, more]
        case CaseState.PAYING:
            return [more]  # a sender that stopped is taken up by the settler
        case CaseState.REJECTED:
            return [reopen]
        case _:
            return []


def page_value(page: int, filter_text: str) -> str:
    """A paging button's value: the page and the listing's filter, so paging needs no lookup."""
    return PageAction(page=page, filter_text=filter_text).dump()


def _confirm(title: str, text: str, confirm: str, locale: str) -> dict[str, Any]:
    """A confirmation dialog for a button whose effect is hard to undo."""
    _ = words(locale)
    return {
        "title": {"type": "plain_text", "text": title},
        "text": {"type": "mrkdwn", "text": text},
        "confirm": {"type": "plain_text", "text": confirm},
        "deny": {"type": "plain_text", "text": _("Keep it")},
        "style": "danger",
    }


def navigation(page: int, pages: int, filter_text: str = "", *, locale: str) -> dict[str, Any]:
    _ = words(locale)
    elements = []
    if page > 0:
        elements.append(
            _button(Action.PAGE_PREVIOUS, _("← Previous"), page_value(page - 1, filter_text))
        )
    if page < pages - 1:
        elements.append(_button(Action.PAGE_NEXT, _("Next →"), page_value(page + 1, filter_text)))
    return {"type": "actions", "block_id": Block.NAVIGATION, "elements": elements}


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
