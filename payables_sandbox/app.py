"""The sandbox's HTTP surface: the payables API's 25 operations as a FastAPI app, and the Link
pages a company authorises a connection on.

`create_sandbox_app(config)` gives an ASGI app to serve with uvicorn (`billpay sandbox`);
`Sandbox(config)` gives the same app plus a `start()` to call before using it in-process through
`httpx.ASGITransport`, which does not run ASGI lifespan events.

`SandboxConfig` knobs beyond the database and the seed: `strict` (list bills takes only the
query fields the spec documents), `paging` (`"offset"`: Codat's page-number tokens, under which
a bill paid between two pages shifts later pages; `"keyset"`: tokens that never skip),
`idempotency_window` (how long an `Idempotency-Key`'s answer is replayed), `public_url` (the
base of `linkUrl` when the sandbox is reached through another address than its own) and
`faults` (see `faults`). RULES.md lists each Codat rule enforced and where.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payables_sandbox import exact_json, link, schemas, seed, store, views
from payables_sandbox.defaults import DEFAULT_API_KEY
from payables_sandbox.errors import ApiError, error_body
from payables_sandbox.faults import FaultConfig, Faults
from payables_sandbox.idempotency import DEFAULT_WINDOW, IdempotencyMiddleware
from payables_sandbox.service import (
    attachments,
    bank_accounts,
    bill_payments,
    bills,
    companies,
    connections,
    listing,
    mapping_options,
    suppliers,
)

MAX_FILENAME = 255
log = logging.getLogger(__name__)
PAYABLES = "/companies/{companyId}/connections/{connectionId}/payables"

# Query parameters, at module level so that FastAPI can resolve the postponed annotations.
Token = Annotated[str | None, Query(alias="continuationToken")]
StatusQuery = Annotated[str | None, Query(alias="statusQuery")]
PageSize = Annotated[int, Query(alias="pageSize")]
OrderBy = Annotated[str | None, Query(alias="orderBy")]


class SandboxConfig(BaseModel):
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1)
    database_url: str = "sqlite+aiosqlite:///:memory:"
    seed: bool = True
    reset: bool = False
    today: date | None = Field(default=None, description="The seed's 'today'; default: real today.")
    page_size: int = Field(default=100, ge=1, le=listing.MAX_SERVED_PAGE_SIZE)
    base_currency: str = "GBP"
    strict: bool = Field(
        default=False,
        description="List bills accepts only the query fields the spec documents (status, "
        "sourceModifiedDate), and a query without status keeps the outstanding-only default.",
    )
    outstanding_only: bool = Field(
        default=False,
        description="List bills never returns a bill that is not Open or PartiallyPaid, even "
        "for a query on status: the other reading of the spec's outstanding-only default.",
    )
    paging: Literal["offset", "keyset"] = Field(
        default="offset",
        description="offset: Codat's page-number continuation tokens; keyset: tokens holding "
        "the last record's sort key, which never skip a record.",
    )
    idempotency_window: timedelta = Field(default=DEFAULT_WINDOW, gt=timedelta(0))
    public_url: str | None = Field(
        default=None, description="The base of linkUrl; default: the address a request came to."
    )
    faults: FaultConfig = Field(default_factory=FaultConfig)


class ApiResponse(Response):
    """JSON with exact decimals."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return exact_json.dumps(content).encode()


class Sandbox:
    """The embedded payables service: database, fault injection and the ASGI app."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.db = store.Database(self.config.database_url)
        self.faults = Faults(self.config.faults)
        self.demo: seed.DemoIds | None = None
        self._started = False
        self._start_lock = asyncio.Lock()
        self.app = self._build_app()

    async def start(self) -> None:
        """Create the tables and seed the demo company; safe to call more than once."""
        async with self._start_lock:
            if self._started:
                return
            await self.db.create_tables(store.Base.metadata, reset=self.config.reset)
            if not await self._schema_is_current():
                log.warning("the sandbox's tables are of an older shape: starting afresh")
                await self.db.create_tables(store.Base.metadata, reset=True)
            async with self.db.write() as session:
                if await session.get(store.SchemaVersion, store.SCHEMA_VERSION) is None:
                    session.add(store.SchemaVersion(version=store.SCHEMA_VERSION))
            if self.config.seed:
                async with self.db.write() as session:
                    self.demo = await seed.seed_if_empty(session, today=self.config.today)
            self._started = True

    async def stop(self) -> None:
        await self.db.dispose()
        self._started = False

    async def payments(self, bill_id: str) -> list[dict[str, Any]]:
        """The payments recorded on a bill, oldest first, with the base-currency amount each
        one's rate implies (for tests: the API has no operation that lists payments)."""
        async with self.db.read() as session:
            rows = await session.scalars(
                select(store.BillPayment)
                .where(store.BillPayment.bill_id == bill_id)
                .order_by(store.BillPayment.created, store.BillPayment.id)
            )
            return [views.bill_payment_record(row) for row in rows]

    async def _schema_is_current(self) -> bool:
        """True for an empty database or one written by this version of the sandbox."""
        async with self.db.read() as session:
            versions = set(await session.scalars(select(store.SchemaVersion.version)))
            has_data = await session.scalar(select(store.Company.id).limit(1)) is not None
        return versions == {store.SCHEMA_VERSION} or (not versions and not has_data)

    def _build_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            yield
            await self.stop()

        app = FastAPI(
            title="Bill pay sandbox",
            description="An offline stand-in for the synchronous Bill Pay (payables) API.",
            lifespan=lifespan,
        )
        app.state.sandbox = self
        app.add_exception_handler(ApiError, _api_error_handler)  # type: ignore[arg-type]
        app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
        app.add_exception_handler(StarletteHTTPException, _http_error_handler)  # type: ignore[arg-type]
        app.add_exception_handler(Exception, _unexpected_error_handler)

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        app.include_router(
            _router(self), dependencies=[Depends(self._authorise), Depends(self._operation_fault)]
        )
        app.include_router(link.router(self.db), prefix=link.PREFIX, include_in_schema=False)
        app.add_middleware(
            IdempotencyMiddleware,
            database=self.db,
            window=lambda: self.config.idempotency_window,
            authorised=self.authorised,
        )
        app.add_middleware(_FaultMiddleware, sandbox=self)
        return app

    def authorised(self, authorization: str | None) -> bool:
        return bool(authorization) and _valid_basic(authorization or "", self.config.api_key)

    async def _authorise(self, authorization: Annotated[str | None, Header()] = None) -> None:
        if not self.authorised(authorization):
            # Codat's 401 body, as errors.md and the spec's Unauthorized example show it.
            raise ApiError(401, "Unauthorized", can_be_retried="Unknown")

    async def _operation_fault(self, request: Request) -> None:
        route = request.scope.get("route")
        operation = getattr(route, "operation_id", None)
        status = self.faults.operation_fault(operation) if operation else None
        if status is not None:
            raise _operation_error(status)

    # ------------------------------------------------------------ transactions

    async def respond(
        self,
        work: Callable[[AsyncSession], Awaitable[Any]],
        *,
        status_code: int = 200,
    ) -> Response:
        """Run `work` in one write transaction and answer with what it returns. Idempotency
        keys are handled around the whole request, by `IdempotencyMiddleware`."""
        async with self.db.write() as session:
            body = await work(session)
        return ApiResponse(body, status_code=status_code)


def create_sandbox_app(config: SandboxConfig | None = None) -> FastAPI:
    """The ASGI app for uvicorn; its lifespan creates the tables and seeds the demo company."""
    return Sandbox(config).app


class _FaultMiddleware:
    """Answers with an injected gateway fault before a request reaches the API, and adds the
    rate-limit headers Codat sends (docs/using-the-api/rate-limits.md) while a limit is set."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        views.link_base.set(self.sandbox.config.public_url or str(StarletteRequest(scope).base_url))
        path = scope["path"]
        if path == "/healthz" or path.startswith(link.PREFIX):
            await self.app(scope, receive, send)
            return
        faults = self.sandbox.faults
        await faults.delay()
        fault, limit = faults.next_fault()
        headers: dict[str, str] = {}
        if limit is not None:
            headers = {
                "X-Rate-Limit-Limit": str(limit.limit),
                "X-Rate-Limit-Remaining": str(max(0, limit.remaining)),
                "X-Rate-Limit-Reset": limit.reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        if fault is not None:
            if fault.retry_after is not None:
                headers["Retry-After"] = faults.retry_after_header(fault.retry_after)
            await _fault_response(fault.status_code, headers)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                extra = MutableHeaders(scope=message)
                for name, value in headers.items():
                    extra[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _fault_response(status_code: int, headers: dict[str, str]) -> ASGIApp:
    if status_code == 429:
        message = "You have made too many requests in a given amount of time; please retry later."
    else:
        message = "The service is temporarily unavailable; please retry later."
    return ApiResponse(
        error_body(status_code, message, can_be_retried="True"),
        status_code=status_code,
        headers=headers or None,
    )


_OPERATION_ERRORS = {
    # docs/using-the-api/errors.md and the spec's Payment-Required, Forbidden, Conflict examples.
    402: "Payment Required",
    403: "You are using an outdated API key or a key not associated with that resource.",
    409: "The data set is still syncing; try again once the sync has completed.",
}


def _injected_server_error(status_code: int) -> ApiError:
    return ApiError(
        status_code,
        "There is a problem with our server. Please try again later.",
        can_be_retried="Unknown",
    )


def _operation_error(status_code: int) -> ApiError:
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


def _content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback, and the exact name in UTF-8 for clients that read it."""
    fallback = name.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _valid_basic(header: str, api_key: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(decoded.encode(), api_key.encode())


async def _api_error_handler(_request: Request, exc: ApiError) -> Response:
    return ApiResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _validation_handler(_request: Request, exc: RequestValidationError) -> Response:
    messages = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}." for err in exc.errors()]
    return ApiResponse(
        error_body(
            400, "The request failed validation: " + " ".join(messages), validation_errors=messages
        ),
        status_code=400,
    )


async def _unexpected_error_handler(_request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in the sandbox", exc_info=exc)
    return ApiResponse(
        error_body(500, "An unexpected error occurred.", can_be_retried="True"), status_code=500
    )


async def _http_error_handler(_request: Request, exc: StarletteHTTPException) -> Response:
    text = {404: "Not found.", 405: "Method not allowed."}.get(exc.status_code, str(exc.detail))
    return ApiResponse(error_body(exc.status_code, text), status_code=exc.status_code)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise ApiError(400, "The request body is empty; send a JSON object.")
    try:
        return exact_json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from None


def _router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter()
    db = sandbox.db
    page_size = sandbox.config.page_size

    async def connection_for(
        session: AsyncSession, company_id: str, connection_id: str
    ) -> store.Connection:
        return await connections.linked_connection(session, company_id, connection_id)

    async def write_on_connection(
        company_id: str,
        connection_id: str,
        operation: Callable[[AsyncSession, store.Connection], Awaitable[Any]],
        *,
        status_code: int = 200,
    ) -> Response:
        """One write on a linked connection, in one transaction."""

        async def work(session: AsyncSession) -> Any:
            connection = await connection_for(session, company_id, connection_id)
            return await operation(session, connection)

        return await sandbox.respond(work, status_code=status_code)

    def continued(
        request: Request,
        token: str | None,
        **lists: tuple[list[dict[str, Any]], listing.SortKey],
    ) -> Response:
        """A page of each list, with `pagination` holding the next page's token, if any."""
        scope = "|".join(
            [
                request.url.path,
                *(f"{k}={request.query_params.get(k)}" for k in ("query", "statusQuery")),
            ]
        )
        pages, next_token = listing.continuation_pages(
            lists,
            token=token,
            scope=scope,
            page_size=page_size,
            offsets=sandbox.config.paging == "offset",
        )
        pagination = {"continuationToken": next_token} if next_token else {}
        return ApiResponse({**pages, "pagination": pagination})

    # ------------------------------------------------------------ companies

    @router.get("/companies", operation_id="list-companies")
    async def list_companies(
        request: Request,
        page: int = 1,
        page_size_: PageSize = 100,
        query: str | None = None,
        order_by: OrderBy = None,
        tags: str | None = None,
    ) -> Response:
        predicate = listing.compile_query(query, companies.COMPANY_FIELDS)
        tag_predicate = listing.compile_query(tags, None, param="tags")
        async with db.read() as session:
            items = await companies.list_companies(session)
        items = listing.filtered(items, predicate)
        if tag_predicate is not None:
            items = [item for item in items if tag_predicate(item.get("tags") or {})]
        items = listing.ordered(items, order_by)
        return ApiResponse(
            listing.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
        )

    @router.post("/companies", operation_id="create-company")
    async def create_company(request: Request) -> Response:
        body = schemas.validate_body(schemas.CompanyRequest, await _json(request))
        return await sandbox.respond(lambda s: companies.create_company(s, body))

    @router.get("/companies/{companyId}", operation_id="get-company")
    async def get_company(companyId: str) -> Response:
        async with db.read() as session:
            row = await companies.get_company_row(session, companyId)
            return ApiResponse(await companies.company_view(session, row))

    @router.put("/companies/{companyId}", operation_id="replace-company")
    async def replace_company(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.CompanyRequest, await _json(request))
        return await sandbox.respond(lambda s: companies.replace_company(s, companyId, body))

    @router.patch("/companies/{companyId}", operation_id="update-company")
    async def update_company(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.CompanyUpdate, await _json(request))
        return await sandbox.respond(lambda s: companies.update_company(s, companyId, body))

    @router.delete("/companies/{companyId}", status_code=204, operation_id="delete-company")
    async def delete_company(companyId: str) -> Response:
        async with db.write() as session:
            await companies.delete_company(session, companyId)
        return Response(status_code=204)

    # ------------------------------------------------------------ connections

    @router.get("/companies/{companyId}/connections", operation_id="list-connections")
    async def list_connections(
        request: Request,
        companyId: str,
        page: int = 1,
        page_size_: PageSize = 100,
        query: str | None = None,
        order_by: OrderBy = None,
    ) -> Response:
        predicate = listing.compile_query(query, connections.CONNECTION_FIELDS)
        async with db.read() as session:
            items = await connections.list_connections(session, companyId)
        items = listing.ordered(listing.filtered(items, predicate), order_by)
        return ApiResponse(
            listing.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
        )

    @router.post("/companies/{companyId}/connections", operation_id="create-connection")
    async def create_connection(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.ConnectionRequest, await _json(request))
        return await sandbox.respond(
            lambda s: connections.create_connection(
                s, companyId, body, base_currency=sandbox.config.base_currency
            ),
        )

    @router.get("/companies/{companyId}/connections/{connectionId}", operation_id="get-connection")
    async def get_connection(companyId: str, connectionId: str) -> Response:
        async with db.read() as session:
            row = await connections.get_connection_row(session, companyId, connectionId)
            return ApiResponse(views.connection(row))

    @router.delete(
        "/companies/{companyId}/connections/{connectionId}", operation_id="delete-connection"
    )
    async def delete_connection(companyId: str, connectionId: str) -> Response:
        async with db.write() as session:
            await connections.delete_connection(session, companyId, connectionId)
        return Response(status_code=200)

    @router.patch(
        "/companies/{companyId}/connections/{connectionId}", operation_id="unlink-connection"
    )
    async def unlink_connection(
        request: Request,
        companyId: str,
        connectionId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.ConnectionUpdate, await _json(request))
        return await sandbox.respond(
            lambda s: connections.update_connection(s, companyId, connectionId, body)
        )

    # ------------------------------------------------------------ company info, mapping options

    @router.get(PAYABLES + "/info", operation_id="get-company-information")
    async def company_information(companyId: str, connectionId: str) -> Response:
        async with db.read() as session:
            return ApiResponse(
                await connections.company_information(session, companyId, connectionId)
            )

    @router.get(PAYABLES + "/mappingOptions/bills", operation_id="get-mapping-options-bills")
    async def bill_mapping_options(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        status_query: StatusQuery = None,
    ) -> Response:
        predicate = listing.compile_query(
            status_query or "status=Active", mapping_options.MAPPING_FIELDS, param="statusQuery"
        )
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            accounts, tax_rates = await mapping_options.bill_mapping_options(session, connection)
        return continued(
            request,
            continuation_token,
            accounts=(listing.filtered(accounts, predicate), listing.nominal_key),
            taxRates=(listing.filtered(tax_rates, predicate), listing.name_key),
        )

    @router.get(PAYABLES + "/mappingOptions/payments", operation_id="get-mapping-options-payments")
    async def payment_mapping_options(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        status_query: StatusQuery = None,
    ) -> Response:
        predicate = listing.compile_query(
            status_query or "status=Active", mapping_options.MAPPING_FIELDS, param="statusQuery"
        )
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            accounts = await mapping_options.payment_mapping_options(session, connection)
        return continued(
            request,
            continuation_token,
            bankAccounts=(listing.filtered(accounts, predicate), listing.name_key),
        )

    # ------------------------------------------------------------ bills

    @router.get(PAYABLES + "/bills", operation_id="list-bills")
    async def list_bills(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        query: str | None = None,
    ) -> Response:
        strict = sandbox.config.strict
        allowed = bills.STRICT_BILL_FIELDS if strict else bills.BILL_FIELDS
        predicate = listing.compile_query(query, allowed)
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            listed = await bills.list_bills(session, connection)
        in_scope = bills.bills_in_scope(
            listed,
            predicate,
            query,
            strict=strict,
            outstanding_only=sandbox.config.outstanding_only,
        )
        return continued(request, continuation_token, results=(in_scope, bills.bill_key))

    @router.post(PAYABLES + "/bills", operation_id="create-bill")
    async def create_bill(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.BillPrototype, await _json(request))
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: bills.create_bill(session, connection, body),
            status_code=201,
        )

    @router.put(PAYABLES + "/bills/{billId}", operation_id="update-bill")
    async def update_bill(
        request: Request,
        companyId: str,
        connectionId: str,
        billId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.BillPrototype, await _json(request))
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: bills.replace_bill(session, connection, billId, body),
        )

    @router.post(PAYABLES + "/bills/{billId}/payment", operation_id="create-bill-payment")
    async def create_bill_payment(
        request: Request,
        companyId: str,
        connectionId: str,
        billId: str,
    ) -> Response:
        fault = sandbox.faults.payment_fault(billId)
        if fault is not None and not fault.after_write:
            raise _injected_server_error(fault.status_code)
        body = schemas.validate_body(schemas.BillPaymentPrototype, await _json(request))
        response = await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: bill_payments.create_bill_payment(
                session, connection, billId, body
            ),
            status_code=201,
        )
        if fault is not None:
            raise _injected_server_error(fault.status_code)  # the payment is committed
        return response

    # ------------------------------------------------------------ attachments

    @router.post(PAYABLES + "/bills/{billId}/attachments", operation_id="upload-bill-attachment")
    async def upload_attachment(
        request: Request,
        companyId: str,
        connectionId: str,
        billId: str,
    ) -> Response:
        async with request.form() as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiError(400, "Send the file as multipart/form-data in a part named 'file'.")
            content = await upload.read()
            name = upload.filename
            content_type = upload.content_type
        if name is not None and len(name) > MAX_FILENAME:
            raise ApiError(400, f"The file name is longer than {MAX_FILENAME} characters.")
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: attachments.add_attachment(
                session, connection, billId, name=name, content_type=content_type, content=content
            ),
            status_code=201,
        )

    @router.get(PAYABLES + "/bills/{billId}/attachments", operation_id="list-bill-attachments")
    async def list_attachments(companyId: str, connectionId: str, billId: str) -> Response:
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            return ApiResponse(await attachments.list_attachments(session, connection, billId))

    @router.get(
        PAYABLES + "/bills/{billId}/attachments/{attachmentId}/download",
        operation_id="download-bill-attachment",
    )
    async def download_attachment(
        companyId: str,
        connectionId: str,
        billId: str,
        attachmentId: str,
    ) -> Response:
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            row = await attachments.get_attachment(session, connection, billId, attachmentId)
        return Response(
            row.content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": _content_disposition(row.name or "attachment")},
        )

    # ------------------------------------------------------------ suppliers

    @router.get(PAYABLES + "/suppliers", operation_id="list-suppliers")
    async def list_suppliers(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        query: str | None = None,
    ) -> Response:
        predicate = listing.compile_query(query, suppliers.SUPPLIER_FIELDS)
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            listed = await suppliers.list_suppliers(session, connection)
        return continued(
            request,
            continuation_token,
            results=(listing.filtered(listed, predicate), listing.name_key),
        )

    @router.post(PAYABLES + "/suppliers", operation_id="create-supplier")
    async def create_supplier(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.SupplierPrototype, await _json(request))
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: suppliers.create_supplier(session, connection, body),
            status_code=201,
        )

    @router.put(PAYABLES + "/suppliers/{supplierId}", operation_id="update-supplier")
    async def update_supplier(
        request: Request,
        companyId: str,
        connectionId: str,
        supplierId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.SupplierPrototype, await _json(request))
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: suppliers.replace_supplier(
                session, connection, supplierId, body
            ),
        )

    # ------------------------------------------------------------ bank accounts

    @router.post(PAYABLES + "/bankAccounts", operation_id="create-bank-account")
    async def create_bank_account(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.BankAccountPrototype, await _json(request))
        return await write_on_connection(
            companyId,
            connectionId,
            lambda session, connection: bank_accounts.create_bank_account(
                session, connection, body
            ),
            status_code=201,
        )

    return router
