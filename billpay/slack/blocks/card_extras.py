"""What a card shows beyond its bill and state: a possible duplicate, an open question, an
invoice whose upload failed (with Retry upload), the overflow's invoice and question entries,
and the confirmations the Pay form then asks for.

Kept apart from `blocks/bills/`, which takes these in at three places (the status context,
the overflow menu, the Pay modal), so each can change without the other.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.core.domain import CaseState, CaseView, Duplicate
from billpay.core.i18n import words
from billpay.slack.blocks import fields
from billpay.slack.blocks.ids import Input, MoreOption, SupplierAction
from billpay.slack.blocks.metadata import Confirmation, MoreAction, RetryUploadButton
from billpay.slack.blocks.text import escape, mention

ASKABLE_STATES = {
    CaseState.PENDING,
    CaseState.APPROVED,
    CaseState.FAILED,
    CaseState.IN_DOUBT,
    CaseState.SCHEDULED,
}


def duplicate_text(duplicate: Duplicate, today: date, locale: str, *, mrkdwn: bool = True) -> str:
    """`Possible duplicate of INV-1042, paid 3 days ago` (the reference escaped for mrkdwn, or
    left as it is for plain text)."""
    _ = words(locale)
    if duplicate.reference:
        reference = escape(duplicate.reference) if mrkdwn else duplicate.reference
        what = _("Possible duplicate of {reference}", reference=reference)
    else:
        what = _("Possible duplicate of another bill from this supplier")
    if duplicate.paid_on is None:
        return _("{what}, also outstanding", what=what)
    days = (today - duplicate.paid_on).days
    if days <= 0:
        return _("{what}, paid today", what=what)
    return _.ngettext("{what}, paid {n} day ago", "{what}, paid {n} days ago", days, what=what)


def card_flags(case: CaseView, *, locale: str, today: date) -> list[dict[str, Any]]:
    """Extra elements of the card's status context: a warning people should see before paying."""
    _ = words(locale)
    flags = []
    if case.duplicate is not None and case.state in ASKABLE_STATES:
        flags.append(f":warning: {duplicate_text(case.duplicate, today, locale)}")
    if case.question is not None:
        flags.append(
            ":question: "
            + _(
                "Question open: {asker} asked {asked}",
                asker=mention(case.question.asked_by),
                asked=mention(case.question.asked_of),
            )
        )
    pending = case.pending_invoice
    if pending is not None and pending.uploading:
        flags.append(
            ":hourglass_flowing_sand: "
            + _("Uploading the invoice “{name}”…", name=escape(pending.name))
        )
    elif pending is not None:
        flags.append(
            ":warning: "
            + _(
                "The invoice “{name}” is not attached: its upload to the accounting platform "
                "failed.",
                name=escape(pending.name),
            )
        )
    return [{"type": "mrkdwn", "text": text} for text in flags]


def retry_upload_button(case: CaseView, locale: str) -> dict[str, Any] | None:
    """Retry upload, on a card whose invoice did not reach the accounting platform."""
    pending = case.pending_invoice
    if pending is None or pending.uploading:
        return None
    value = RetryUploadButton(bill_id=case.bill_id, file_id=pending.file_id, on_card=True)
    return retry_upload_element(value, locale)


def retry_upload_element(
    value: RetryUploadButton, locale: str, *, style: str | None = None
) -> dict[str, Any]:
    """The Retry upload button, on the card or on the notice in its thread."""
    _ = words(locale)
    button = {
        "type": "button",
        "action_id": SupplierAction.RETRY_UPLOAD,
        "text": {"type": "plain_text", "text": _("Retry upload")},
        "value": value.dump(),
    }
    if style:
        button["style"] = style
    return button


def more_options(case: CaseView, locale: str) -> list[dict[str, Any]]:
    """The overflow's View invoice (the bill has files), Attach invoice (it has none) or
    Invoice… (not known yet: it looks), and Ask a question."""
    _ = words(locale)
    options: list[tuple[MoreOption, str]] = []
    if case.attachments:
        options.append((MoreOption.VIEW_INVOICE, _("View invoice")))
    elif case.attachments == 0 and case.state != CaseState.CLOSED:
        options.append((MoreOption.ATTACH_INVOICE, _("Attach invoice")))
    elif case.attachments is None and case.state != CaseState.CLOSED:
        options.append((MoreOption.INVOICE, _("Invoice…")))
    if case.question is None and case.state in ASKABLE_STATES:
        options.append((MoreOption.ASK, _("Ask a question")))
    return [
        {
            "text": {"type": "plain_text", "text": text},
            "value": MoreAction(choice=choice, bill_id=case.bill_id).dump(),
        }
        for choice, text in options
    ]


def confirmations_needed(case: CaseView) -> tuple[Confirmation, ...]:
    needed: list[Confirmation] = []
    if case.duplicate is not None:
        needed.append("duplicate")
    if case.question is not None:
        needed.append("question")
    return tuple(needed)


def pay_confirmations(case: CaseView, *, locale: str, today: date) -> list[dict[str, Any]]:
    """The Pay form's checkboxes for a flagged bill: unticked, and required (the server checks
    again)."""
    _ = words(locale)
    options: list[tuple[str, str]] = []
    if case.duplicate is not None:
        options.append(("duplicate", _("I checked: this is not a duplicate, pay it")))
    if case.question is not None:
        options.append(("question", _("Pay although a question is open")))
    if not options:
        return []
    hints = []
    if case.duplicate is not None:
        hints.append(duplicate_text(case.duplicate, today, locale, mrkdwn=False))
    if case.question is not None:
        hints.append(_("A question about this bill has not been resolved."))
    return [
        fields.checkboxes_input(
            Input.PAY_CONFIRM,
            _("Before paying"),
            options,
            initial=[],
            hint=" · ".join(hints),
        )
    ]
