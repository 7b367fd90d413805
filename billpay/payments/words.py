"""The one sentence for a payment that didn't go through, shown alike in the Pay modal, on the
card and in the card's thread. Pure text; the words of the cause come from `billpay.core.errors`."""

from __future__ import annotations

from billpay.core.i18n import N_, SOURCE_LANGUAGE, words
from billpay.core.mrkdwn import escape, flatten

UNKNOWN = N_(
    "It may or may not have been recorded: *Retry payment* on the card resends the same "
    "payment and cannot pay twice."
)
NOT_RECORDED = N_("The payment wasn't recorded.")
NOTHING_PAID = N_("Nothing was paid.")


def failure_text(
    cause: str | None, *, unknown: bool, locale: str = SOURCE_LANGUAGE, limit: int = 0
) -> str:
    """`cause` is plain text (stored with the payment), cut to `limit` characters if given; the
    result is mrkdwn. A cause that is one of the catalog's sentences is shown in the reader's
    language, translated before it is cut."""
    _ = words(locale)
    text = flatten(_(cause) if cause else _(NOT_RECORDED)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"{escape(text)} {_(UNKNOWN) if unknown else _(NOTHING_PAID)}"
