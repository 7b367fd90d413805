"""What went wrong, in plain words: the one table that turns any error (ours, the payables
API's, Slack's, the database's) into a sentence for a person.

Listeners never word errors themselves; they let them travel up to the error boundary
(`billpay/slack/boundary.py`), which asks `explain` what to say in the reader's language and answers
on the surface the person is looking at. The words here are marked (`N_`) and translated only
then. Internal details (URLs, ids, tracebacks) stay in the log, under a reference the
person is given when the fault is ours.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from billpay.core.errors import Denied, FieldErrors, PaymentInDoubt
from billpay.core.i18n import N_, Phrase, words
from billpay.core.mrkdwn import escape
from billpay.payables.errors import (
    BillNotOutstanding,
    PayablesBadRequest,
    PayablesConflict,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesForbidden,
    PayablesListingUnstable,
    PayablesNotFound,
    PayablesPaymentRequired,
    PayablesRateLimited,
    PayablesServerError,
    PayablesUnauthorized,
    PayablesUnavailable,
)


@dataclass(frozen=True)
class Explanation:
    text: str  # mrkdwn, safe to show: escaped, no URLs or internal ids
    ours: bool  # a fault on our side: logged with its traceback under `reference`
    reference: str


def new_reference() -> str:
    return uuid.uuid4().hex[:8]


_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_URL = re.compile(r"(https?://|/companies/)\S*")


def scrub(text: str, limit: int = 300) -> str:
    """The platform's own words, without the ids and URLs that mean nothing to a person."""
    text = _URL.sub("…", _GUID.sub("…", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def payables_words(error: PayablesError) -> Phrase:
    """What a failed payables API call means for the person, in plain text (not yet escaped for
    mrkdwn), without URLs or ids."""
    if isinstance(error, PayablesDeadlineExceeded):
        return payables_words(error.last_error)
    match error:
        case PayablesUnavailable():
            return Phrase(N_("The accounting platform didn't answer in time."))
        case PayablesRateLimited():
            return Phrase(N_("The accounting platform is busy right now (too many requests)."))
        case PayablesServerError():
            return Phrase(N_("The accounting platform had a problem on its side."))
        case PayablesUnauthorized():
            return Phrase(
                N_(
                    "The accounting platform refused Bill Pay's credentials; an admin needs to "
                    "check its API key."
                )
            )
        case PayablesPaymentRequired():
            return Phrase(
                N_(
                    "The payables service account needs attention (plan or billing); an admin "
                    "needs to check it."
                )
            )
        case PayablesForbidden():
            return Phrase(N_("Bill Pay isn't allowed to do that in the accounting platform."))
        case BillNotOutstanding():
            return Phrase(
                N_(
                    "This bill is no longer outstanding in the accounting platform (paid or "
                    "voided there, or removed)."
                )
            )
        case PayablesListingUnstable():
            return Phrase(
                N_("The bills were changing in the accounting platform while I read them.")
            )
        case PayablesNotFound():
            return Phrase(N_("That record is no longer in the accounting platform."))
        case PayablesConflict():
            return Phrase(N_("The accounting data is still syncing."))
        case PayablesBadRequest() if error.validation_errors or error.error:
            # The platform's own words stay as it wrote them (English): they are quoted.
            said = scrub(" ".join(error.validation_errors) or error.error or "")
            return Phrase(N_("The accounting platform refused it: {said}"), said=said)
        case PayablesBadRequest():
            return Phrase(N_("The accounting platform refused the request."))
        case _ if error.status_code is None:
            return Phrase(N_("The accounting platform didn't answer in time."))
        case _:
            return Phrase(N_("The accounting platform couldn't do that just now."))


TRY_AGAIN_LATER = N_("Try again in a minute.")


def next_step(error: PayablesError) -> str:
    """What the person can do about a payables failure (a marked message)."""
    if isinstance(error, PayablesDeadlineExceeded):
        return next_step(error.last_error)
    if isinstance(error, PayablesConflict | PayablesListingUnstable):
        return TRY_AGAIN_LATER
    if isinstance(error, PayablesUnauthorized | PayablesPaymentRequired | PayablesForbidden):
        return N_("Ask an admin of Bill Pay.")
    if isinstance(error, PayablesBadRequest | PayablesNotFound):
        return ""
    return TRY_AGAIN_LATER


NOT_IN_CHANNEL = N_(
    "I can't post in this channel yet. Add me with `/invite @Bill Pay`, then try again."
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
                        "payment was being recorded, so it may or may not have reached the "
                        "accounting platform. The card will offer *Retry payment*, which cannot "
                        "pay twice."
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
