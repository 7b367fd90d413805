"""Words for what happened to a payment: the audit line in the card's thread and the result
shown in the Pay modal."""

from __future__ import annotations

from blocks.text import day, escape, mention, money, rate_words
from bot.domain import PaymentOutcome
from bot.payment_words import failure_text


def payment_line(outcome: PaymentOutcome, locale: str) -> str | None:
    """The thread line for a payment that was recorded, scheduled or failed; None otherwise."""
    payment = outcome.payment
    if payment is None or outcome.status not in (
        "recorded",
        "scheduled",
        "failed",
        "cancelled",
        "disowned",
        "not_sent",
    ):
        return None
    amount = money(payment.amount, payment.currency, locale)
    case = outcome.case
    bill = f"{escape(case.supplier_name)}" + (
        f" ({escape(case.reference)})" if case.reference else ""
    )
    who = mention(payment.requested_by)
    rate = rate_words(payment, locale)
    if outcome.status == "recorded":
        rest = (
            "paid in full."
            if case.amount_due == 0
            else f"{money(case.amount_due, case.currency, locale)} still due."
        )
        return (
            f":moneybag: {who} paid {amount} to {bill} from {escape(payment.account_name)}{rate}; "
            f"{rest}"
        )
    if outcome.status == "scheduled":
        return (
            f":calendar: {who} scheduled {amount} to {bill} from {escape(payment.account_name)}"
            f"{rate} for {day(payment.payment_date, locale)}."
        )
    if outcome.status == "not_sent":
        return (
            f":no_entry_sign: The scheduled payment of {amount} to {bill} was not sent: "
            f"{outcome.message} Nothing was paid."
        )
    if outcome.status == "disowned":
        return (
            f":grey_question: The payment of {amount} to {bill} wasn't recorded in the "
            "accounting platform, the payer says; the bill can be paid again."
        )
    if outcome.status == "cancelled":
        return f":no_entry_sign: The scheduled payment of {amount} to {bill} was cancelled."
    if payment.outcome_unknown:
        cause = failure_text(payment.error, unknown=True)
        return f":warning: {who}'s payment of {amount} to {bill} is not confirmed: {cause}"
    cause = failure_text(payment.error, unknown=False)
    return f":x: {who}'s payment of {amount} to {bill} failed: {cause}"


def result_text(outcome: PaymentOutcome, locale: str) -> tuple[str, str]:
    """(emoji, text) for the Pay modal once the payment has been dealt with."""
    payment = outcome.payment
    case = outcome.case
    if outcome.status == "recorded" and payment is not None:
        amount = money(payment.amount, payment.currency, locale)
        rest = (
            "The bill is paid in full."
            if case.amount_due == 0
            else f"{money(case.amount_due, case.currency, locale)} is still due."
        )
        return (
            ":white_check_mark:",
            f"Paid {amount} to *{escape(case.supplier_name)}* from "
            f"{escape(payment.account_name)}. {rest} It is recorded in the accounting platform.",
        )
    if outcome.status == "scheduled" and payment is not None:
        return (
            ":calendar:",
            f"{money(payment.amount, payment.currency, locale)} to "
            f"*{escape(case.supplier_name)}* is scheduled for "
            f"{day(payment.payment_date, locale)}.",
        )
    if outcome.status == "held" and payment is not None:
        return (
            ":hourglass_flowing_sand:",
            f"Paying {money(payment.amount, payment.currency, locale)} to "
            f"*{escape(case.supplier_name)}* from {escape(payment.account_name)} in a few "
            "seconds. To stop it, press *Undo* on the card now.",
        )
    if outcome.status == "duplicate":
        return ":information_source:", outcome.message
    return ":x:", outcome.message  # written by the workflow, platform text already escaped
