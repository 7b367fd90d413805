"""The sandbox's HTTP surface: the payables API's 25 operations as a FastAPI app.

`create_sandbox_app(config)` gives an ASGI app to serve with uvicorn (`billpay sandbox`);
`Sandbox(config)` gives the same app plus a `start()` to call before using it in-process through
`httpx.ASGITransport`, which does not run ASGI lifespan events.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import jsoncodec
from bot.sandbox import schemas, seed, service, store, views
from bot.sandbox.defaults import DEFAULT_API_KEY
from bot.sandbox.errors import ApiError, error_body
from bot.sandbox.faults import FaultConfig, Faults

MAX_IDEMPOTENCY_KEY = 255
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
    page_size: int = Field(default=100, ge=1, le=5000)
    base_currency: str = "GBP"
    faults: FaultConfig = Field(default_factory=FaultConfig)


class ApiResponse(Response):
    """JSON with exact decimals."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsoncodec.dumps(content).encode()


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
            if self.config.seed:
                async with self.db.write() as session:
                    self.demo = await seed.seed_if_empty(session, today=self.config.today)
            self._started = True

    async def stop(self) -> None:
        await self.db.dispose()
        self._started = False

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

        app.include_router(_router(self), dependencies=[Depends(self._authorise)])
        app.add_middleware(_FaultMiddleware, sandbox=self)
        return app

    async def _authorise(self, authorization: Annotated[str | None, Header()] = None) -> None:
        if not authorization or not _valid_basic(authorization, self.config.api_key):
            raise ApiError(
                401,
                "Unauthorized. Send the header 'Authorization: Basic <base64 of your API key>'.",
                can_be_retried="False",
            )

    # ------------------------------------------------------------ transactions

    async def respond(
        self,
        request: Request,
        work: Callable[[AsyncSession], Awaitable[Any]],
        *,
        status_code: int = 200,
        fingerprint: str | None = None,
    ) -> Response:
        """Run `work` in one write transaction; honour `Idempotency-Key` when the request has one.

        The key is claimed by inserting its record first, in the same transaction as the work:
        a concurrent request with the same key waits on that row and then replays the outcome,
        and a failed request leaves nothing behind, so the caller may retry with the same key.
        """
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(
                400, f"The Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters long."
            )
        if key is None:
            async with self.db.write() as session:
                body = await work(session)
            return ApiResponse(body, status_code=status_code)
        if fingerprint is None:
            fingerprint = _fingerprint(request.method, request.url.path, await request.body())
        try:
            async with self.db.write() as session:
                existing = await session.get(store.IdempotencyRecord, key)
                if existing is not None:
                    return _replay(existing, fingerprint)
                record = store.IdempotencyRecord(
                    key=key, fingerprint=fingerprint, status_code=status_code, body=""
                )
                session.add(record)
                await session.flush()
                body = await work(session)
                record.body = jsoncodec.dumps(body)
        except IntegrityError:
            async with self.db.read() as session:
                existing = await session.get(store.IdempotencyRecord, key)
            if existing is None:
                raise
            return _replay(existing, fingerprint)
        return ApiResponse(body, status_code=status_code)


def create_sandbox_app(config: SandboxConfig | None = None) -> FastAPI:
    """The ASGI app for uvicorn; its lifespan creates the tables and seeds the demo company."""
    return Sandbox(config).app


class _FaultMiddleware:
    """Answers with an injected fault before a request reaches the API."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            faults = self.sandbox.faults
            await faults.delay()
            fault = faults.next_fault()
            if fault is not None:
                await _fault_response(fault.status_code, fault.retry_after)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _fault_response(status_code: int, retry_after: int | None) -> ASGIApp:
    if status_code == 429:
        message = "You have made too many requests in a given amount of time; please retry later."
    else:
        message = "The service is temporarily unavailable; please retry later."
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return ApiResponse(
        error_body(status_code, message, can_be_retried="True"),
        status_code=status_code,
        headers=headers,
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


def _fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = jsoncodec.dumps(_sorted(jsoncodec.loads(body))).encode() if body else b""
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _replay(record: store.IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApiError(
            409,
            f"The Idempotency-Key '{record.key}' was already used for a different request; "
            "use a new key for a new request.",
            can_be_retried="False",
        )
    return Response(
        record.body,
        status_code=record.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


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
        return jsoncodec.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from None


def _router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter()
    db = sandbox.db
    page_size = sandbox.config.page_size

    async def connection_for(
        session: AsyncSession, company_id: str, connection_id: str
    ) -> store.Connection:
        return await service.linked_connection(session, company_id, connection_id)

    async def write_on_connection(
        request: Request,
        company_id: str,
        connection_id: str,
        operation: Callable[[AsyncSession, store.Connection], Awaitable[Any]],
        *,
        status_code: int = 200,
        fingerprint: str | None = None,
    ) -> Response:
        """One write on a linked connection, in one transaction, honouring Idempotency-Key."""

        async def work(session: AsyncSession) -> Any:
            connection = await connection_for(session, company_id, connection_id)
            return await operation(session, connection)

        return await sandbox.respond(
            request, work, status_code=status_code, fingerprint=fingerprint
        )

    def continued(
        request: Request,
        token: str | None,
        **lists: tuple[list[dict[str, Any]], service.SortKey],
    ) -> Response:
        """A page of each list, with `pagination` holding the next page's token, if any."""
        scope = "|".join(
            [
                request.url.path,
                *(f"{k}={request.query_params.get(k)}" for k in ("query", "statusQuery")),
            ]
        )
        pages, next_token = service.continuation_pages(
            lists, token=token, scope=scope, page_size=page_size
        )
        pagination = {"continuationToken": next_token} if next_token else {}
        return ApiResponse({**pages, "pagination": pagination})

    # ------------------------------------------------------------ companies

    @router.get("/companies")
    async def list_companies(
        request: Request,
        page: int = 1,
        page_size_: PageSize = 100,
        query: str | None = None,
        order_by: OrderBy = None,
        tags: str | None = None,
    ) -> Response:
        predicate = service.compile_query(query, service.COMPANY_FIELDS)
        tag_predicate = service.compile_query(tags, None, param="tags")
        async with db.read() as session:
            items = await service.list_companies(session)
        items = service.filtered(items, predicate)
        if tag_predicate is not None:
            items = [item for item in items if tag_predicate(item.get("tags") or {})]
        items = service.ordered(items, order_by)
        return ApiResponse(
            service.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
        )

    @router.post("/companies")
    async def create_company(request: Request) -> Response:
        body = schemas.validate_body(schemas.CompanyRequest, await _json(request))
        return await sandbox.respond(request, lambda s: service.create_company(s, body))

    @router.get("/companies/{companyId}")
    async def get_company(companyId: str) -> Response:
        async with db.read() as session:
            row = await service.get_company_row(session, companyId)
            return ApiResponse(await service.company_view(session, row))

    @router.put("/companies/{companyId}")
    async def replace_company(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.CompanyRequest, await _json(request))
        return await sandbox.respond(request, lambda s: service.replace_company(s, companyId, body))

    @router.patch("/companies/{companyId}")
    async def update_company(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.CompanyUpdate, await _json(request))
        return await sandbox.respond(request, lambda s: service.update_company(s, companyId, body))

    @router.delete("/companies/{companyId}", status_code=204)
    async def delete_company(companyId: str) -> Response:
        async with db.write() as session:
            await service.delete_company(session, companyId)
        return Response(status_code=204)

    # ------------------------------------------------------------ connections

    @router.get("/companies/{companyId}/connections")
    async def list_connections(
        request: Request,
        companyId: str,
        page: int = 1,
        page_size_: PageSize = 100,
        query: str | None = None,
        order_by: OrderBy = None,
    ) -> Response:
        predicate = service.compile_query(query, service.CONNECTION_FIELDS)
        async with db.read() as session:
            items = await service.list_connections(session, companyId)
        items = service.ordered(service.filtered(items, predicate), order_by)
        return ApiResponse(
            service.numbered_page(items, page=page, page_size=page_size_, path=request.url.path)
        )

    @router.post("/companies/{companyId}/connections")
    async def create_connection(request: Request, companyId: str) -> Response:
        body = schemas.validate_body(schemas.ConnectionRequest, await _json(request))
        return await sandbox.respond(
            request,
            lambda s: service.create_connection(
                s, companyId, body, base_currency=sandbox.config.base_currency
            ),
        )

    @router.get("/companies/{companyId}/connections/{connectionId}")
    async def get_connection(companyId: str, connectionId: str) -> Response:
        async with db.read() as session:
            row = await service.get_connection_row(session, companyId, connectionId)
            return ApiResponse(views.connection(row))

    @router.delete("/companies/{companyId}/connections/{connectionId}")
    async def delete_connection(companyId: str, connectionId: str) -> Response:
        async with db.write() as session:
            await service.delete_connection(session, companyId, connectionId)
        return Response(status_code=200)

    @router.patch("/companies/{companyId}/connections/{connectionId}")
    async def unlink_connection(
        request: Request,
        companyId: str,
        connectionId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.ConnectionUpdate, await _json(request))
        return await sandbox.respond(
            request, lambda s: service.update_connection(s, companyId, connectionId, body)
        )

    # ------------------------------------------------------------ company info, mapping options

    @router.get(PAYABLES + "/info")
    async def company_information(companyId: str, connectionId: str) -> Response:
        async with db.read() as session:
            return ApiResponse(await service.company_information(session, companyId, connectionId))

    @router.get(PAYABLES + "/mappingOptions/bills")
    async def bill_mapping_options(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        status_query: StatusQuery = None,
    ) -> Response:
        predicate = service.compile_query(
            status_query or "status=Active", service.MAPPING_FIELDS, param="statusQuery"
        )
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            accounts, tax_rates = await service.bill_mapping_options(session, connection)
        return continued(
            request,
            continuation_token,
            accounts=(service.filtered(accounts, predicate), service.nominal_key),
            taxRates=(service.filtered(tax_rates, predicate), service.name_key),
        )

    @router.get(PAYABLES + "/mappingOptions/payments")
    async def payment_mapping_options(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        status_query: StatusQuery = None,
    ) -> Response:
        predicate = service.compile_query(
            status_query or "status=Active", service.MAPPING_FIELDS, param="statusQuery"
        )
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            accounts = await service.payment_mapping_options(session, connection)
        return continued(
            request,
            continuation_token,
            bankAccounts=(service.filtered(accounts, predicate), service.name_key),
        )

    # ------------------------------------------------------------ bills

    @router.get(PAYABLES + "/bills")
    async def list_bills(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        query: str | None = None,
    ) -> Response:
        predicate = service.compile_query(query, service.BILL_FIELDS)
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            bills = await service.list_bills(session, connection)
        if predicate is None:
            bills = [bill for bill in bills if service.is_outstanding(bill)]
        else:
            bills = service.filtered(bills, predicate, service.bill_query_view)
        return continued(request, continuation_token, results=(bills, service.bill_key))

    @router.post(PAYABLES + "/bills")
    async def create_bill(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.BillPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.create_bill(session, connection, body),
            status_code=201,
        )

    @router.put(PAYABLES + "/bills/{billId}")
    async def update_bill(
        request: Request,
        companyId: str,
        connectionId: str,
        billId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.BillPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.replace_bill(session, connection, billId, body),
        )

    @router.post(PAYABLES + "/bills/{billId}/payment")
    async def create_bill_payment(
        request: Request,
        companyId: str,
        connectionId: str,
        billId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.BillPaymentPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.create_bill_payment(
                session, connection, billId, body
            ),
            status_code=201,
        )

    # ------------------------------------------------------------ attachments

    @router.post(PAYABLES + "/bills/{billId}/attachments")
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
        fingerprint = _fingerprint(
            "POST",
            request.url.path,
            hashlib.sha256(content).hexdigest().encode() + (name or "").encode(),
        )

        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.add_attachment(
                session, connection, billId, name=name, content_type=content_type, content=content
            ),
            status_code=201,
            fingerprint=fingerprint,
        )

    @router.get(PAYABLES + "/bills/{billId}/attachments")
    async def list_attachments(companyId: str, connectionId: str, billId: str) -> Response:
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            return ApiResponse(await service.list_attachments(session, connection, billId))

    @router.get(PAYABLES + "/bills/{billId}/attachments/{attachmentId}/download")
    async def download_attachment(
        companyId: str,
        connectionId: str,
        billId: str,
        attachmentId: str,
    ) -> Response:
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            row = await service.get_attachment(session, connection, billId, attachmentId)
        return Response(
            row.content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": _content_disposition(row.name or "attachment")},
        )

    # ------------------------------------------------------------ suppliers

    @router.get(PAYABLES + "/suppliers")
    async def list_suppliers(
        request: Request,
        companyId: str,
        connectionId: str,
        continuation_token: Token = None,
        query: str | None = None,
    ) -> Response:
        predicate = service.compile_query(query, service.SUPPLIER_FIELDS)
        async with db.read() as session:
            connection = await connection_for(session, companyId, connectionId)
            suppliers = await service.list_suppliers(session, connection)
        return continued(
            request,
            continuation_token,
            results=(service.filtered(suppliers, predicate), service.name_key),
        )

    @router.post(PAYABLES + "/suppliers")
    async def create_supplier(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.SupplierPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.create_supplier(session, connection, body),
            status_code=201,
        )

    @router.put(PAYABLES + "/suppliers/{supplierId}")
    async def update_supplier(
        request: Request,
        companyId: str,
        connectionId: str,
        supplierId: str,
    ) -> Response:
        body = schemas.validate_body(schemas.SupplierPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.replace_supplier(
                session, connection, supplierId, body
            ),
        )

    # ------------------------------------------------------------ bank accounts

    @router.post(PAYABLES + "/bankAccounts")
    async def create_bank_account(request: Request, companyId: str, connectionId: str) -> Response:
        body = schemas.validate_body(schemas.BankAccountPrototype, await _json(request))
        return await write_on_connection(
            request,
            companyId,
            connectionId,
            lambda session, connection: service.create_bank_account(session, connection, body),
            status_code=201,
        )

    return router
