"""What a failed payables API call means for a person, in plain words (marked for translation, not
yet escaped for mrkdwn), and what they can do about it. URLs and ids stay out: they mean nothing
to a person and belong in the log.
"""

from __future__ import annotations

import re

from billpay.core.i18n import N_, Phrase
from billpay.payables.budget import PayablesBudgetExhausted
from billpay.payables.errors import (
    BillNotOutstanding,
    PayablesBadRequest,
    PayablesConflict,
    PayablesConnectionNotLinked,
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
        case PayablesBudgetExhausted():
            return Phrase(
                N_(
                    "Bill Pay has used today's allowance of calls to the accounting platform, "
                    "so this can't be read live now. Payments still go through. The allowance "
                    "resets at {time} UTC."
                ),
                time=f"{error.reset_at:%H:%M}",
            )
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
        case PayablesConnectionNotLinked():
            return Phrase(
                N_(
                    "The accounting platform no longer lets Bill Pay write to this company's "
                    "books: the company must reconnect it."
                )
            )
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
    if isinstance(error, PayablesBadRequest | PayablesNotFound | PayablesBudgetExhausted):
        return ""
    return TRY_AGAIN_LATER
