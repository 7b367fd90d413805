"""Words for what happened to a payment: the audit line in the card's thread, the result
shown in the Pay modal, and the answer to the person who pressed a payment's button."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time

from billpay.core.domain import PaymentOutcome
from billpay.core.i18n import words
from billpay.payments.words import failure_text, in_doubt_text
from billpay.slack.blocks.text import bill_name, day, escape, mention, money, rate_words


def payment_line(outcome: PaymentOutcome, locale: str) -> str | None:
    """The thread line for a payment that was recorded, scheduled or failed; None otherwise."""
    _ = words(locale)
    payment = outcome.payment
    if payment is None or outcome.status not in (
        "recorded",
        "scheduled",
        "failed",
        "in_doubt",
        "cancelled",
        "not_sent",
    ):
        return None
    amount = money(payment.amount, payment.currency, locale)
    case = outcome.case
    bill = bill_name(case.supplier_name, case.reference)
    who = mention(payment.requested_by)
    rate = rate_words(payment, locale)
    account = escape(payment.account_name)
    if outcome.status == "recorded":
        rest = (
            _("paid in full.")
            if case.amount_due == 0
            else _("{amount} still due.", amount=money(case.amount_due, case.currency, locale))
        )
        return ":moneybag: " + _(
            "{person} paid {amount} to {bill} from {account}{rate}; {rest}",
            person=who,
            amount=amount,
            bill=bill,
            account=account,
            rate=rate,
            rest=rest,
        )
    if outcome.status == "scheduled":
        return ":calendar: " + _(
            "{person} scheduled {amount} to {bill} from {account}{rate} for {day}.",
            person=who,
            amount=amount,
            bill=bill,
            account=account,
            rate=rate,
            day=day(payment.payment_date, locale),
        )
    if outcome.status == "not_sent":
        return ":no_entry_sign: " + _(
            "The scheduled payment of {amount} to {bill} was not sent: {cause} Nothing was paid.",
            amount=amount,
            bill=bill,
            cause=_(outcome.message) if outcome.message else "",
        )
    if outcome.status == "cancelled" and payment.send_after is not None:
        # Held for the undo window, never scheduled: Undo stopped it before it went out.
        return ":leftwards_arrow_with_hook: " + _(
            "Undone before it went out: the payment of {amount} to {bill}; nothing was sent.",
            amount=amount,
            bill=bill,
        )
    if outcome.status == "cancelled":
        return ":no_entry_sign: " + _(
            "The scheduled payment of {amount} to {bill} was cancelled.", amount=amount, bill=bill
        )
    if payment.in_doubt:
        return ":hourglass_flowing_sand: " + _(
            "{person}'s payment to {bill}: {doubt}",
            person=who,
            bill=bill,
            doubt=in_doubt_text(payment, case.platform, locale),
        )
    cause = failure_text(payment.error, locale=locale)
    return ":x: " + _(
        "{person}'s payment of {amount} to {bill} failed: {cause}",
        person=who,
        amount=amount,
        bill=bill,
        cause=cause,
    )


def result_text(outcome: PaymentOutcome, locale: str) -> tuple[str, str]:
    """(emoji, text) for the Pay modal once the payment has been dealt with."""
    _ = words(locale)
    payment = outcome.payment
    case = outcome.case
    supplier = escape(case.supplier_name)
    if outcome.status == "recorded" and payment is not None:
        rest = (
            _("The bill is paid in full.")
            if case.amount_due == 0
            else _("{amount} is still due.", amount=money(case.amount_due, case.currency, locale))
        )
        return (
            ":white_check_mark:",
            _(
                "Paid {amount} to *{supplier}* from {account}. {rest} It is recorded in the "
                "accounting platform.",
                amount=money(payment.amount, payment.currency, locale),
                supplier=supplier,
                account=escape(payment.account_name),
                rest=rest,
            ),
        )
    if outcome.status == "scheduled" and payment is not None:
        return (
            ":calendar:",
            _(
                "{amount} to *{supplier}* is scheduled for {day}.",
                amount=money(payment.amount, payment.currency, locale),
                supplier=supplier,
                day=day(payment.payment_date, locale),
            ),
        )
    if outcome.status == "held" and payment is not None:
        return (
            ":hourglass_flowing_sand:",
            _(
                "Paying {amount} to *{supplier}* from {account} in a few seconds. To stop it, "
                "press *Undo* on the card now.",
                amount=money(payment.amount, payment.currency, locale),
                supplier=supplier,
                account=escape(payment.account_name),
            ),
        )
    # Written by the payments area, platform text already escaped; shown in the reader's language
    # when it is one of the catalog's sentences.
    message = _(outcome.message) if outcome.message else outcome.message
    if outcome.status == "duplicate":
        return ":information_source:", message
    if outcome.status == "in_doubt":
        return ":hourglass_flowing_sand:", message
    return ":x:", message


def step_answer(outcome: PaymentOutcome, locale: str, time_zone: str, now: datetime) -> str:
    """The answer, only for the person who pressed Cancel payment, Undo or Retry payment."""
    _ = words(locale)
    if outcome.status != "already_cancelled":
        # Written by the payments area; in the reader's language when it is a catalog sentence.
        return _(outcome.message) if outcome.message else outcome.message
    zone = ZoneInfo(time_zone)
    when = outcome.cancelled_at
    if outcome.cancelled_by is None or when is None:
        return _("This payment was already cancelled. Nothing was changed.")
    local = when.astimezone(zone)
    values = {
        "who": mention(outcome.cancelled_by),
        "time": format_time(local, format="short", locale=locale),
        "day": day(local.date(), locale),
    }
    if local.date() == now.astimezone(zone).date():
        return _("Already cancelled by {who} at {time}. Nothing was changed.", **values)
    return _("Already cancelled by {who} on {day} at {time}. Nothing was changed.", **values)
