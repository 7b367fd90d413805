"""The bot's own typed errors: what a person may not do, a button or form out of date, a form
with mistakes, a payment in doubt. They travel up to the error boundary, which words them with
`billpay.slack.explain` in the reader's language: each carries a marked message and its values (a
`Phrase`), never words already chosen for one language. Pure: no I/O, importable from anywhere,
the blocks included."""

from __future__ import annotations

from collections.abc import Mapping

from billpay.core.i18n import N_, Phrase, Value

OUT_OF_DATE = N_("This button is out of date: run `/bills` again.")
FORM_OUT_OF_DATE = N_("This form is out of date. Close it and run `/bills` again.")


class Denied(Exception):
    """The person may not do this, or it cannot be done now; the message says why, in plain
    words, and nothing was changed. `str(error)` is the English, for the log."""

    def __init__(self, message: str, /, **values: Value) -> None:
        self.phrase = message if isinstance(message, Phrase) else Phrase(message, **values)
        super().__init__(str(self.phrase))


class NotLinked(Denied):
    """The channel is not linked to a company."""


class OutOfDate(Denied):
    """A button value or modal metadata that doesn't parse, or no longer matches what it points
    at: tampered, stale or from an older version of the bot. Nothing is done."""

    def __init__(self, message: str = OUT_OF_DATE, /, **values: Value) -> None:
        super().__init__(message, **values)


class FieldErrors(Exception):
    """A modal submission with mistakes: one message per input block, shown under each field
    (translated for the reader when shown)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class PaymentInDoubt(Exception):
    """A fault after a payment was reserved: it may have reached the accounting platform. The
    payment stays on the card, where it becomes retryable with its own idempotency key."""


CARD_OUT_OF_DATE = N_(
    "This card was out of date, so nothing was changed. It now shows the bill as it is: "
    "look again, then click."
)
MESSAGE_OUT_OF_DATE = N_("Out of date: run `/bills`. Nothing was changed.")


class CardOutOfDate(OutOfDate):
    """A click on a card that showed older figures than the bill's case now has: refused, so
    nobody acts on what they did not see; the card is brought up to date."""

    def __init__(self, message: str = CARD_OUT_OF_DATE, /, **values: Value) -> None:
        super().__init__(message, **values)


class MessageOutOfDate(OutOfDate):
    """A click on a `/bills` message retired as out of date (newer messages show its bills)."""

    def __init__(self, message: str = MESSAGE_OUT_OF_DATE, /, **values: Value) -> None:
        super().__init__(message, **values)
