"""What went wrong, in plain words: the one table that turns any error (ours, the payables
API's, Slack's, the database's) into a sentence for a person.

Listeners never word errors themselves; they let them travel up to the error boundary
(`handlers/boundary.py`), which asks `explain` what to say and answers on the surface the person
is looking at. Internal details (URLs, ids, tracebacks) stay in the log, under a reference the
person is given when the fault is ours.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import Denied, FieldErrors, PaymentInDoubt
from bot.mrkdwn import escape
from bot.payables.errors import (
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


def payables_words(error: PayablesError) -> str:
    """What a failed payables API call means for the person, in plain text (not yet escaped for
    mrkdwn), without URLs or ids."""
    if isinstance(error, PayablesDeadlineExceeded):
        return payables_words(error.last_error)
    match error:
        case PayablesUnavailable():
            return "The accounting platform didn't answer in time."
        case PayablesRateLimited():
            return "The accounting platform is busy right now (too many requests)."
        case PayablesServerError():
            return "The accounting platform had a problem on its side."
        case PayablesUnauthorized():
            return (
                "The accounting platform refused Bill Pay's credentials; an admin needs to "
                "check its API key."
            )
        case PayablesPaymentRequired():
            return (
                "The payables service account needs attention (plan or billing); an admin "
                "needs to check it."
            )
        case PayablesForbidden():
            return "Bill Pay isn't allowed to do that in the accounting platform."
        case BillNotOutstanding():
            return (
                "This bill is no longer outstanding in the accounting platform (paid or voided "
                "there, or removed)."
            )
        case PayablesListingUnstable():
            return "The bills were changing in the accounting platform while I read them."
        case PayablesNotFound():
            return "That record is no longer in the accounting platform."
        case PayablesConflict():
            return "The accounting data is still syncing."
        case PayablesBadRequest() if error.validation_errors or error.error:
            said = scrub(" ".join(error.validation_errors) or error.error or "")
            return f"The accounting platform refused it: {said}"
        case PayablesBadRequest():
            return "The accounting platform refused the request."
        case _ if error.status_code is None:
            return "The accounting platform didn't answer in time."
        case _:
            return "The accounting platform couldn't do that just now."


def next_step(error: PayablesError) -> str:
    """What the person can do about a payables failure."""
    if isinstance(error, PayablesDeadlineExceeded):
        return next_step(error.last_error)
    if isinstance(error, PayablesConflict | PayablesListingUnstable):
        return "Try again in a minute."
    if isinstance(error, PayablesUnauthorized | PayablesPaymentRequired | PayablesForbidden):
        return "Ask an admin of Bill Pay."
    if isinstance(error, PayablesBadRequest | PayablesNotFound):
        return ""
    return "Try again in a minute."


SLACK_WORDS = {
    "not_in_channel": "I can't post in this channel yet. Add me with `/invite @Bill Pay`, then "
    "try again.",
    "channel_not_found": "I can't post in this channel yet. Add me with `/invite @Bill Pay`, "
    "then try again.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "expired_trigger_id": "Slack took too long to open the form. Click again.",
    "invalid_trigger_id": "Slack didn't let me open the form. Click again.",
    "message_not_found": "That message is gone; run `/bills` again.",
    "ratelimited": "Slack is asking me to slow down. Try again in a minute.",
}


def explain(error: BaseException, consequence: str) -> Explanation:
    """The one table: any error to the words a person sees, with what did not happen.

    `consequence` is what is true for the request that failed ("Nothing was changed.",
    "Nothing was paid."); errors that know better (a payment in doubt) say their own."""
    reference = new_reference()

    def said(text: str, *, ours: bool = False) -> Explanation:
        return Explanation(" ".join(p for p in text.split(" ") if p), ours, reference)

    match error:
        case FieldErrors():
            return said(" ".join(error.errors.values()))
        case Denied():
            return said(str(error))
        case PaymentInDoubt():
            return said(
                f"Something went wrong on our side (reference `{reference}`) while the payment "
                "was being recorded, so it may or may not have reached the accounting platform. "
                "The card will offer *Retry payment*, which cannot pay twice.",
                ours=True,
            )
        case PayablesError():
            words = escape(payables_words(error))
            return said(f"{words} {consequence} {next_step(error)}".strip())
        case SlackApiError():
            code = str(error.response.get("error", "")) if error.response else ""
            words = SLACK_WORDS.get(code, "Slack refused what I tried to show you.")
            return said(f"{words} {consequence}", ours=code not in SLACK_WORDS)
        case SlackClientError() | TimeoutError():
            return said(f"Slack didn't answer in time. {consequence} Try again.", ours=True)
        case SQLAlchemyError() | OSError():
            return said(
                f"Bill Pay can't reach its database right now (reference `{reference}`). "
                f"{consequence} Try again in a minute.",
                ours=True,
            )
        case _:
            return said(
                f"Something went wrong on our side (reference `{reference}`). {consequence}",
                ours=True,
            )
