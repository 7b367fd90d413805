"""Errors the sandbox answers with, shaped as the payables API's `ErrorMessage` body."""

from __future__ import annotations

import uuid
from typing import Any

SERVICE = "PublicApi"


class ApiError(Exception):
    """A failed request: HTTP status, a sentence for `error`, optional validation messages."""

    def __init__(
        self,
        status_code: int,
        error: str,
        *,
        validation_errors: list[str] | None = None,
        item_id: str | None = None,
        can_be_retried: str = "Unknown",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.validation_errors = validation_errors or []
        self.item_id = item_id
        self.can_be_retried = can_be_retried
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(
            self.status_code,
            self.error,
            validation_errors=self.validation_errors,
            item_id=self.item_id,
            can_be_retried=self.can_be_retried,
        )


def error_body(
    status_code: int,
    error: str,
    *,
    validation_errors: list[str] | None = None,
    item_id: str | None = None,
    can_be_retried: str = "Unknown",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status_code,
        "service": SERVICE,
        "error": error,
        "correlationId": uuid.uuid4().hex,
        "canBeRetried": can_be_retried,
        "detailedErrorCode": 0,
    }
    if validation_errors:
        body["validation"] = {
            "errors": [
                {"itemId": item_id, "message": message, "validatorName": "SandboxValidator"}
                for message in validation_errors
            ],
            "warnings": [],
        }
    return body


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what} with id '{ident}' was not found.")


def invalid(message: str, *more: str, item_id: str | None = None) -> ApiError:
    """A 400 whose validation list says what to fix."""
    messages = [message, *more]
    return ApiError(
        400,
        "The request failed validation: " + " ".join(messages),
        validation_errors=messages,
        item_id=item_id,
    )


# docs/using-the-api/errors.md and the spec's Payment-Required, Forbidden and Conflict examples.
_OPERATION_ERRORS = {
    402: "Payment Required",
    403: "You are using an outdated API key or a key not associated with that resource.",
    409: "The data set is still syncing; try again once the sync has completed.",
}


def operation_error(status_code: int) -> ApiError:
    """An injected operation fault (402, 403 or a syncing 409), as Codat words it."""
    validation = (
        ["Account expired. Learn more at https://docs.codat.io/docs/environments-1"]
        if status_code == 402
        else None
    )
    return ApiError(
        status_code,
        _OPERATION_ERRORS[status_code],
        validation_errors=validation,
        can_be_retried="Unknown",
    )


def injected_server_error(status_code: int) -> ApiError:
    """An injected payment fault: a 5xx with the body of Codat's own server errors."""
    return ApiError(
        status_code,
        "There is a problem with our server. Please try again later.",
        can_be_retried="Unknown",
    )


def accepted_pending() -> dict[str, Any]:
    """The body of a write the platform accepted but has not applied yet: 202, "Accepted
    (pending)" as errors.md lists it. The spec gives no body for a 202 on these operations, so
    it takes the `ErrorMessage` shape, which claims no record was made."""
    return error_body(202, "Accepted (pending)", can_be_retried="Unknown")
