"""The one sentence for a payment that didn't go through, shown alike in the Pay modal, on the
card and in the card's thread. Pure text; the words of the cause come from `bot.errors`."""

from __future__ import annotations

from bot.mrkdwn import escape

UNKNOWN = (
    "It may or may not have been recorded: *Retry payment* on the card resends the same "
    "payment and cannot pay twice."
)


def failure_text(cause: str | None, *, unknown: bool) -> str:
    """`cause` is plain text (stored with the payment); the result is mrkdwn."""
    words = escape(cause or "The payment wasn't recorded.")
    return f"{words} {UNKNOWN}" if unknown else f"{words} Nothing was paid."
