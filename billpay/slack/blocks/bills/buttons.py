"""A card's buttons, by the bill's state: the ones that write a payment give way to Reconnect
while the connection is not Linked, and those hard to undo ask to confirm."""

from __future__ import annotations

from typing import Any

from billpay.core.domain import CaseState, CaseView, ConnectionPause
from billpay.core.i18n import words
from billpay.payments.words import platform_text
from billpay.slack.blocks.card_extras import more_options, retry_upload_button
from billpay.slack.blocks.connection import reconnect_button
from billpay.slack.blocks.ids import (
    Action,
    MoreOption,
)
from billpay.slack.blocks.metadata import BillAction, MoreAction
from billpay.slack.blocks.text import (
    plain,
)


def button(
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


def moves_money(case: CaseView) -> bool:
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
    reopen = button(Action.REOPEN, _("Reopen…"), bill)
    approve = button(Action.APPROVE, _("Approve"), bill, style="primary")
    # No confirm dialog: Slack would show it before the bot can refuse someone the policy does
    # not allow. The reason form, opened only for those who may reject, is the second step.
    reject = button(Action.REJECT, _("Reject"), bill, style="danger")
    pay = button(Action.PAY, _("Pay…"), bill)
    check = button(Action.CHECK_PAYMENT, _("Check now"), bill, style="primary")
    platform = platform_text(case.platform, locale)
    cancel = button(
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
    undo = button(Action.CANCEL_PAYMENT, _("Undo"), bill, style="danger")
    in_platform = button(
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
    send_again = button(
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
