"""What went wrong, in plain words: the one table that turns any error (ours, the payables
API's, Slack's, the database's) into a sentence for a person.

Listeners never word errors themselves; they let them travel up to the error boundary
(`billpay/slack/boundary.py`), which asks `explain` what to say in the reader's language and answers
on the surface the person is looking at. The words here are marked (`N_`) and translated only
then. Internal details (URLs, ids, tracebacks) stay in the log, under a reference the
person is given when the fault is ours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from billpay.core.errors import Denied, FieldErrors, PaymentInDoubt
from billpay.core.i18n import N_, Phrase, words
from billpay.core.mrkdwn import escape
from billpay.payables.errors import (
    PayablesError,
)
from billpay.payables.words import TRY_AGAIN_LATER, next_step, payables_words


@dataclass(frozen=True)
class Explanation:
    text: str  # mrkdwn, safe to show: escaped, no URLs or internal ids
    ours: bool  # a fault on our side: logged with its traceback under `reference`
    reference: str


def new_reference() -> str:
    return uuid.uuid4().hex[:8]


NOT_IN_CHANNEL = N_(
    "I can't post in this channel yet. Add me with `/invite @billpay`, then try again."
)
SLACK_WORDS = {
    "not_in_channel": NOT_IN_CHANNEL,
    "channel_not_found": NOT_IN_CHANNEL,
    "is_archived": N_("This channel is archived, so I can't post in it."),
    "expired_trigger_id": N_("Slack took too long to open the form. Click again."),
    "invalid_trigger_id": N_("Slack didn't let me open the form. Click again."),
    "message_not_found": N_("That message is gone; run `/bills` again."),
    "ratelimited": N_("Slack is asking me to slow down. Try again in a minute."),
}


def explain(error: BaseException, consequence: str, locale: str) -> Explanation:
    """The one table: any error to the words a person sees, with what did not happen, in the
    reader's `locale`.

    `consequence` is a marked message saying what is true for the request that failed
    ("Nothing was changed.", "Nothing was paid."); errors that know better (a payment in
    doubt) say their own."""
    reference = new_reference()
    _ = words(locale)

    def said(*parts: str, ours: bool = False) -> Explanation:
        text = " ".join(_(part) for part in parts if part)
        return Explanation(" ".join(p for p in text.split(" ") if p), ours, reference)

    match error:
        case FieldErrors():
            return said(*error.errors.values())
        case Denied():
            return said(error.phrase)
        case PaymentInDoubt():
            return said(
                Phrase(
                    N_(
                        "Something went wrong on our side (reference `{reference}`) while the "
                        "payment was being recorded, so we don't know yet whether it reached the "
                        "accounting platform. We're checking; nothing more will be sent until we "
                        "know."
                    ),
                    reference=reference,
                ),
                ours=True,
            )
        case PayablesError():
            return said(escape(_(payables_words(error))), consequence, next_step(error))
        case SlackApiError():
            code = str(error.response.get("error", "")) if error.response else ""
            text = SLACK_WORDS.get(code, N_("Slack refused what I tried to show you."))
            return said(text, consequence, ours=code not in SLACK_WORDS)
        case SlackClientError() | TimeoutError():
            return said(
                N_("Slack didn't answer in time."), consequence, N_("Try again."), ours=True
            )
        case SQLAlchemyError() | OSError():
            return said(
                Phrase(
                    N_("Bill Pay can't reach its database right now (reference `{reference}`)."),
                    reference=reference,
                ),
                consequence,
                TRY_AGAIN_LATER,
                ours=True,
            )
        case _:
            return said(
                Phrase(
                    N_("Something went wrong on our side (reference `{reference}`)."),
                    reference=reference,
                ),
                consequence,
                ours=True,
            )
