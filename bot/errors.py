"""The bot's own typed errors: what a person may not do, a button or form out of date, a form
with mistakes, a payment in doubt. They travel up to the error boundary, which words them with
`bot.explain`. Pure: no I/O, importable from anywhere, `blocks/` included."""

from __future__ import annotations

OUT_OF_DATE = "This button is out of date: run `/bills` again."
FORM_OUT_OF_DATE = "This form is out of date. Close it and run `/bills` again."


class Denied(Exception):
    """The person may not do this, or it cannot be done now; the message says why, in plain
    words, and nothing was changed."""


class NotLinked(Denied):
    """The channel is not linked to a company."""


class OutOfDate(Denied):
    """A button value or modal metadata that doesn't parse, or no longer matches what it points
    at: tampered, stale or from an older version of the bot. Nothing is done."""

    def __init__(self, message: str = OUT_OF_DATE) -> None:
        super().__init__(message)


class FieldErrors(Exception):
    """A modal submission with mistakes: one message per input block, shown under each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class PaymentInDoubt(Exception):
    """A fault after a payment was reserved: it may have reached the accounting platform. The
    payment stays on the card, where it becomes retryable with its own idempotency key."""
