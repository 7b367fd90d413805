"""Typed errors of the payables client, each carrying what the API said about the failure."""

from __future__ import annotations

import re

from billpay.payables.models import ErrorMessage


class PayablesError(Exception):
    """A request to the payables API failed.

    `status_code` is None when no HTTP answer came back (connection error, deadline).
    `retry_after` is the wait the API asked for (`Retry-After`), in seconds, if it did.
    `validation_errors` holds the API's validation messages, which are meant for people.
    `maybe_applied` is True when the request may have been carried out even so: an attempt got
    no answer, a 408 or 5xx, or an answer that could not be read. Only a retry with the same
    idempotency key can then tell.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        correlation_id: str | None = None,
        can_be_retried: str | None = None,
        validation_errors: list[str] | None = None,
        validation_warnings: list[str] | None = None,
        detailed_error_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.maybe_applied = False
        self.retry_after = retry_after
        self.status_code = status_code
        self.error = error
        self.correlation_id = correlation_id
        self.can_be_retried = can_be_retried
        self.validation_errors = validation_errors or []
        self.validation_warnings = validation_warnings or []
        self.detailed_error_code = detailed_error_code

    def user_message(self) -> str:
        """The most useful sentence for a person: validation messages, else the error text."""
        if self.validation_errors:
            return " ".join(self.validation_errors)
        return self.error or str(self)


class PayablesBadRequest(PayablesError):
    """400: the request was invalid (validation messages say why) or the query malformed."""


class PayablesConnectionNotLinked(PayablesBadRequest):
    """400 because the company's connection to its accounting platform is no longer Linked
    (Deauthorized, Unlinked, or waiting for authorisation): nothing was written, and nothing
    will be until the company links it again through its linkUrl. What was already read stays
    readable. `connection_status` is the status the answer named, when it named one."""

    def __init__(self, message: str, *, connection_status: str | None = None, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.connection_status = connection_status


class PayablesUnauthorized(PayablesError):
    """401: the API key is missing or wrong."""


class PayablesPaymentRequired(PayablesError):
    """402: the account's plan does not allow this."""


class PayablesForbidden(PayablesError):
    """403: the API key may not do this."""


class PayablesNotFound(PayablesError):
    """404: no such company, connection or record."""


class BillNotOutstanding(PayablesNotFound):
    """The bill is no longer outstanding, as far as the API lets anyone tell: it is neither among
    the outstanding bills nor among those the API returns for a query on other statuses. It was
    paid or voided in the accounting platform, or removed from it; which one, the API does not
    say (it has no single-bill read). Never read this as "deleted": a paid bill usually looks
    exactly like this. `bill_id` is the bill looked for."""

    def __init__(self, bill_id: str) -> None:
        super().__init__(
            f"bill {bill_id} is no longer outstanding: paid or voided elsewhere, or removed",
            error=(
                "This bill is no longer outstanding in the accounting platform: it was paid or "
                "voided there, or removed."
            ),
        )
        self.bill_id = bill_id


class PayablesListingUnstable(PayablesError):
    """A listing kept changing while it was read page by page, so no complete, consistent list
    could be put together within the bounded number of re-reads. Nothing was skipped silently:
    the caller gets this error instead of a list that might miss or repeat records. It usually
    passes: bills being paid or added right now. `passes` is how many times the list was read."""

    def __init__(self, what: str, *, passes: int) -> None:
        super().__init__(
            f"the list of {what} changed while it was being read, {passes} times in a row",
            error=(
                f"The list of {what} kept changing while it was being read, so it could not be "
                "read completely. Try again in a moment."
            ),
        )
        self.passes = passes


class PayablesConflict(PayablesError):
    """409: the resource is not ready (a data set still syncing, on a read), or a request with
    the same Idempotency-Key is still in progress (on a write, which may then be applied)."""


class PayablesUnprocessable(PayablesError):
    """422: the Idempotency-Key was already used with a different request body. The caller
    reused a key for another request, which is a bug; nothing of this request was applied."""


class PayablesRateLimited(PayablesError):
    """429: too many requests; `retry_after` is the wait the API asked for, in seconds."""


class PayablesServerError(PayablesError):
    """5xx: the API failed; the same request may succeed later."""


class PayablesUnavailable(PayablesError):
    """No answer: the connection failed or timed out before any response."""


class PayablesDeadlineExceeded(PayablesError):
    """Retries stopped because the caller's deadline would pass; `last_error` is the cause."""

    def __init__(self, message: str, *, last_error: PayablesError) -> None:
        super().__init__(
            message,
            status_code=last_error.status_code,
            error=last_error.error,
            correlation_id=last_error.correlation_id,
            can_be_retried=last_error.can_be_retried,
            validation_errors=last_error.validation_errors,
        )
        self.last_error = last_error


# How the payables API says a write was refused because the connection is not Linked:
# "Connection '<id>' is Deauthorized; nothing can be written through it ...: it must be Linked."
_NOT_LINKED = re.compile(
    r"connection\b[^.;]*?\bis\s+(Deauthori[sz]ed|Unlinked|PendingAuth|Disconnected)\b",
    re.IGNORECASE,
)


def connection_status_in(text: str | None) -> str | None:
    """The connection status an error's words name, if they say it is not Linked."""
    found = _NOT_LINKED.search(text or "")
    if found is None:
        return None
    status = found.group(1)
    return "Deauthorized" if status.lower().startswith("deauthori") else status


RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_BY_STATUS: dict[int, type[PayablesError]] = {
    400: PayablesBadRequest,
    401: PayablesUnauthorized,
    402: PayablesPaymentRequired,
    403: PayablesForbidden,
    404: PayablesNotFound,
    409: PayablesConflict,
    422: PayablesUnprocessable,
    429: PayablesRateLimited,
}


def error_for(
    status_code: int,
    body: ErrorMessage | None,
    *,
    method: str,
    path: str,
    retry_after: float | None,
) -> PayablesError:
    """The typed error for an HTTP failure, filled from the API's `ErrorMessage` body."""
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = PayablesServerError if status_code >= 500 else PayablesError
    body = body or ErrorMessage()
    validation = body.validation
    errors = [i.message for i in (validation.errors or []) if i.message] if validation else []
    warnings = [i.message for i in (validation.warnings or []) if i.message] if validation else []
    text = body.error or f"HTTP {status_code}"
    kwargs: dict[str, object] = {
        "status_code": status_code,
        "error": body.error,
        "correlation_id": body.correlation_id,
        "can_be_retried": body.can_be_retried,
        "validation_errors": errors,
        "validation_warnings": warnings,
        "detailed_error_code": body.detailed_error_code,
        "retry_after": retry_after,
    }
    message = f"{method} {path} failed with {status_code}: {text}"
    if status_code == 400:
        status = connection_status_in(body.error)
        if status is not None:
            return PayablesConnectionNotLinked(message, connection_status=status, **kwargs)
    return cls(message, **kwargs)  # type: ignore[arg-type]
