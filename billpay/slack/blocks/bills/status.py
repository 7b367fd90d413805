"""Where a bill stands, as a card's context says it: its state and who acted, the payments made
from Slack and elsewhere, and the platform's statuses as people write them."""

from __future__ import annotations

from decimal import Decimal

from billpay.core.domain import CaseState, CaseView
from billpay.core.i18n import N_, words
from billpay.payments.words import failure_text, in_doubt_text, platform_text
from billpay.slack.blocks.text import (
    day,
    escape,
    mention,
    money,
    rate_words,
)


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
