"""Every failure answered as the payables API's `ErrorMessage`: the sandbox's own `ApiError`s,
FastAPI's request validation, Starlette's 404 and 405, and anything unexpected (a 500 that keeps
its cause in the log, not in the answer). A request whose client went away before its body
arrived is no failure of the sandbox's: it is noted, and nobody is there to answer."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.errors import ApiError, error_body

# Logged under the application's name, with what `payables_sandbox.app` itself logs.
log = logging.getLogger("payables_sandbox.app")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _cut_off)
    app.add_exception_handler(Exception, _unexpected_error)


# Starlette types every handler as taking an `Exception`; each one below is registered for one
# class only, which it asserts.


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return ApiResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _invalid_request(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    messages = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}." for err in exc.errors()]
    return ApiResponse(
        error_body(
            400, "The request failed validation: " + " ".join(messages), validation_errors=messages
        ),
        status_code=400,
    )


async def _unexpected_error(_request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in the sandbox", exc_info=exc)
    return ApiResponse(
        error_body(500, "An unexpected error occurred.", can_be_retried="True"), status_code=500
    )


async def _cut_off(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientDisconnect)
    log.info("%s %s was cut off before its body arrived", request.method, request.url.path)
    return ApiResponse(
        error_body(400, "The request was cut off before its body arrived."), status_code=400
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    text = {404: "Not found.", 405: "Method not allowed."}.get(exc.status_code, str(exc.detail))
    return ApiResponse(error_body(exc.status_code, text), status_code=exc.status_code)
