"""The sentences for a payment that did not go through or is in doubt, shown alike in the Pay
modal, on the card and in the card's thread. Pure text (mrkdwn), in the reader's language.

- refused: the cause, then "Nothing was paid." (said of refused payments only);
- in doubt: "We don't know yet whether £1,200.00 reached Xero. We're checking; nothing more will
  be sent until we know.";
- in doubt past the checks: what was sent and what the bill shows now, for a person to decide.
"""

from __future__ import annotations

from decimal import Decimal

from billpay.core.domain import PaymentView
from billpay.core.i18n import N_, SOURCE_LANGUAGE, Escaped, Money, Phrase, words
from billpay.core.mrkdwn import escape, flatten

NOT_RECORDED = N_("The payment wasn't recorded.")
NOTHING_PAID = N_("Nothing was paid.")
IN_DOUBT = N_(
    "We don't know yet whether {amount} reached {platform}. We're checking; nothing more will "
    "be sent until we know."
)
NEEDS_PERSON = N_(
    "We still don't know whether {amount} reached {platform}: it was sent on {day}, and Bill "
    "Pay's checks since could not tell. Nothing more will be sent on its own: check {platform}, "
    "then say whether the payment is there, or send it again."
)
THE_PLATFORM = N_("the accounting platform")


def platform_name(platform: str | None) -> Phrase | Escaped:
    """The accounting platform by its name when known ("Xero"), else in words."""
    return Escaped(platform) if platform else Phrase(THE_PLATFORM)


def platform_text(platform: str | None, locale: str) -> str:
    """The platform's name as mrkdwn in the reader's language."""
    return escape(platform) if platform else words(locale)(THE_PLATFORM)


def failure_text(cause: str | None, *, locale: str = SOURCE_LANGUAGE, limit: int = 0) -> str:
    """A refused payment: `cause` is plain text (stored with the payment), cut to `limit`
    characters if given, then "Nothing was paid.". A cause that is one of the catalog's
    sentences is shown in the reader's language, translated before it is cut."""
    _ = words(locale)
    text = flatten(_(cause) if cause else _(NOT_RECORDED)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"{escape(text)} {_(NOTHING_PAID)}"


def in_doubt_text(payment: PaymentView, platform: str | None, locale: str) -> str:
    """What is said of a payment in doubt: still being checked, or waiting for a person."""
    _ = words(locale)
    amount = Money(payment.amount, payment.currency or "")
    if payment.awaits_person:
        return _(
            Phrase(
                NEEDS_PERSON,
                amount=amount,
                platform=platform_name(platform),
                day=payment.payment_date,
            )
        )
    return _(Phrase(IN_DOUBT, amount=amount, platform=platform_name(platform)))


def unsettled(amount: Decimal, currency: str, platform: str | None) -> Phrase:
    """The in-doubt sentence as a phrase kept with an outcome, translated when shown."""
    return Phrase(IN_DOUBT, amount=Money(amount, currency), platform=platform_name(platform))
