"""The async client of the payables API (Codat's synchronous Bill Pay API, or the sandbox).

One `PayablesClient` wraps one `httpx.AsyncClient`. It authenticates with Basic auth built from
the API key (or sends the portal's ready-made `Basic ...` header value as it is), retries what is
safe to retry (408, 429, 5xx, connection errors, and a 409 saying a write with the same key is
still in progress) with exponential backoff and jitter, honours `Retry-After` in seconds or as an
HTTP date, and gives up before the caller's deadline with a typed error. Every POST (but an
attachment upload) and PATCH carries an `Idempotency-Key`, a GUID kept across retries, so a
retried request is replayed by the API rather than applied twice; callers that retry a whole
business operation pass their own key. PUTs and uploads carry none: Codat honours the key only on
POST and PATCH (docs/using-the-api/write-data/idempotency.md), and the spec lists no key for
uploads. A failed GET is never "maybe applied". The Authorization header is never logged.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot import jsoncodec
from bot.payables import models
from bot.payables.errors import (
    RETRYABLE_STATUSES,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesNotFound,
    PayablesUnavailable,
    error_for,
)
from bot.payables.query import Expr, Q

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry.

    `deadline` bounds the whole call, waits included: short for a Slack click (the user is
    waiting), longer for background jobs. A wait that would pass the deadline is not started.
    """

    deadline: float = 30.0
    max_attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 8.0
    jitter: float = 0.5

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential delay before retry number `attempt` (1-based), with jitter removed from
        its top so that replicas retrying together spread out."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * (1 - self.jitter * rng.random())


def basic_auth(api_key: str) -> str:
    """Codat's Authorization header value: `Basic ` and the base64 of the API key. The portal
    also offers that header ready-made (docs/using-the-api/authentication.md); given one, it is
    sent as it is rather than encoded again."""
    scheme, _, rest = api_key.strip().partition(" ")
    if scheme.lower() == "basic" and rest.strip():
        return "Basic " + rest.strip()
    return "Basic " + base64.b64encode(api_key.encode()).decode()


class PayablesClient:
    """Typed access to the 25 operations of the payables API."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | str,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError("the payables API key is empty")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._http = http or httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": basic_auth(key),
                "Accept": "application/json",
                "User-Agent": "slack-billpay",
            },
        )

    def __repr__(self) -> str:
        return f"PayablesClient(base_url={str(self._http.base_url)!r})"

    def with_retry(self, retry: RetryPolicy) -> PayablesClient:
        """The same connection pool with another retry policy (e.g. a short deadline for a
        Slack click, whose user is waiting)."""
        clone = copy.copy(self)
        clone.retry = retry
        return clone

    def with_deadline(self, seconds: float) -> PayablesClient:
        return self.with_retry(replace(self.retry, deadline=seconds))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> PayablesClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------ transport

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one request, retrying per the policy; raise a `PayablesError` on failure."""
        headers: dict[str, str] = {}
        content: bytes | None = None
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if json is not None:
            content = jsoncodec.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        query = {
            k: (v if isinstance(v, str | int) else str(v))
            for k, v in (params or {}).items()
            if v is not None
        }
        policy = self.retry
        started = self._clock()
        attempt = 0
        writes = _writes(method)
        uncertain = False  # has an attempt perhaps been carried out without our knowing?
        while True:
            attempt += 1
            remaining = max(0.05, policy.deadline - (self._clock() - started))
            try:
                # httpx timeouts apply per phase (connect, each read); this bounds the whole
                # attempt, so a slow answer cannot hold a Slack click past its deadline.
                async with asyncio.timeout(min(self._timeout, remaining)):
                    response = await self._http.request(
                        method,
                        path,
                        params=query,
                        content=content,
                        files=files,
                        headers=headers,
                    )
            except (httpx.TransportError, TimeoutError) as exc:
                uncertain = writes and (uncertain or not isinstance(exc, httpx.ConnectError))
                error: PayablesError = PayablesUnavailable(
                    f"{method} {path}: no answer from the payables API "
                    f"({type(exc).__name__ if str(exc) == '' else exc})"
                )
            else:
                if response.is_success:
                    log.debug("%s %s -> %s", method, path, response.status_code)
                    return response
                error = _error_from(response, method, path)
                status = response.status_code
                # A 409 on a keyed write: a request with this key is still in progress, and
                # may yet be applied; retrying gets its answer once it is done. A 409 on a
                # read (a data set still syncing) is not retried: the caller decides.
                in_progress = status == 409 and writes and idempotency_key is not None
                uncertain = writes and (uncertain or status in (408, 409) or status >= 500)
                if status not in RETRYABLE_STATUSES and not in_progress:
                    error.maybe_applied = uncertain
                    raise error
            error.maybe_applied = uncertain
            if attempt >= policy.max_attempts:
                raise error
            delay = policy.backoff(attempt, self._rng)
            if error.retry_after is not None:
                delay = error.retry_after
            elapsed = self._clock() - started
            if elapsed + delay >= policy.deadline:
                exceeded = PayablesDeadlineExceeded(
                    f"{method} {path}: gave up after {attempt} attempt(s) in {elapsed:.1f}s; "
                    f"the next try would pass the {policy.deadline:g}s deadline. "
                    f"Last error: {error}",
                    last_error=error,
                )
                exceeded.maybe_applied = uncertain
                raise exceeded from error
            log.warning(
                "%s %s failed (%s); retry %d in %.2fs",
                method,
                path,
                error.status_code or "no answer",
                attempt,
                delay,
            )
            await self._sleep(delay)

    async def _get(self, path: str, model: type[M], params: Mapping[str, Any] | None = None) -> M:
        return _parse(model, await self.request("GET", path, params=params))

    async def _send(
        self,
        method: str,
        path: str,
        model: type[M],
        body: Any,
        idempotency_key: str | None = None,
    ) -> M:
        """A write. POST and PATCH carry an Idempotency-Key (the caller's, or a new GUID kept
        across this call's retries); PUT carries none, as Codat would ignore it."""
        if method.upper() in IDEMPOTENT_METHODS:
            idempotency_key = idempotency_key or new_idempotency_key()
        elif idempotency_key is not None:
            raise ValueError(f"Codat honours Idempotency-Key only on POST and PATCH, not {method}")
        response = await self.request(method, path, json=body, idempotency_key=idempotency_key)
        return _parse(model, response)

    async def _continuation(
        self, path: str, model: type[M], params: Mapping[str, Any]
    ) -> AsyncIterator[M]:
        """Each page of a continuation-token listing, following tokens until there are none."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = await self._get(path, model, {**params, "continuationToken": token})
            yield page
            pagination = getattr(page, "pagination", None)
            token = pagination.continuation_token if pagination else None
            if not token:
                return
            if token in seen:
                raise PayablesError(
                    f"GET {path}: the API sent the same continuation token twice; "
                    "stopping rather than returning a partial list"
                )
            seen.add(token)

    # ------------------------------------------------------------ companies

    async def list_companies(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        query: str | Expr | None = None,
        order_by: str | None = None,
        tags: str | None = None,
    ) -> models.Companies:
        params = {
            "page": page,
            "pageSize": page_size,
            "query": query,
            "orderBy": order_by,
            "tags": tags,
        }
        return await self._get("/companies", models.Companies, params)

    async def iter_companies(
        self, *, query: str | Expr | None = None, page_size: int = 100
    ) -> AsyncIterator[models.Company]:
        page = 1
        while True:
            batch = await self.list_companies(page=page, page_size=page_size, query=query)
            for company in batch.results:
                yield company
            if not batch.results or page * batch.page_size >= batch.total_results:
                return
            page += 1

    async def create_company(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> models.Company:
        body = _compact({"name": name, "description": description, "tags": tags})
        return await self._send("POST", "/companies", models.Company, body, idempotency_key)

    async def get_company(self, company_id: str) -> models.Company:
        return await self._get(f"/companies/{company_id}", models.Company)

    async def replace_company(
        self,
        company_id: str,
        name: str,
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> models.Company:
        body = _compact({"name": name, "description": description, "tags": tags})
        return await self._send("PUT", f"/companies/{company_id}", models.Company, body)

    async def update_company(
        self,
        company_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> models.Company:
        body = _compact({"name": name, "description": description, "tags": tags})
        return await self._send(
            "PATCH", f"/companies/{company_id}", models.Company, body, idempotency_key
        )

    async def delete_company(self, company_id: str) -> None:
        await self.request("DELETE", f"/companies/{company_id}")

    # ------------------------------------------------------------ connections

    async def list_connections(
        self,
        company_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        query: str | Expr | None = None,
        order_by: str | None = None,
    ) -> models.Connections:
        params = {"page": page, "pageSize": page_size, "query": query, "orderBy": order_by}
        return await self._get(f"/companies/{company_id}/connections", models.Connections, params)

    async def create_connection(
        self, company_id: str, platform_key: str, *, idempotency_key: str | None = None
    ) -> models.Connection:
        return await self._send(
            "POST",
            f"/companies/{company_id}/connections",
            models.Connection,
            {"platformKey": platform_key},
            idempotency_key,
        )

    async def get_connection(self, company_id: str, connection_id: str) -> models.Connection:
        return await self._get(_connection(company_id, connection_id), models.Connection)

    async def delete_connection(self, company_id: str, connection_id: str) -> None:
        await self.request("DELETE", _connection(company_id, connection_id))

    async def unlink_connection(
        self, company_id: str, connection_id: str, *, idempotency_key: str | None = None
    ) -> models.Connection:
        """Unlink a linked connection (linking is the company's to do, through its linkUrl)."""
        return await self._send(
            "PATCH",
            _connection(company_id, connection_id),
            models.Connection,
            {"status": "Unlinked"},
            idempotency_key,
        )

    # ------------------------------------------------------------ company information and options

    async def get_company_information(
        self, company_id: str, connection_id: str
    ) -> models.CompanyInformation:
        path = _payables(company_id, connection_id) + "/info"
        return await self._get(path, models.CompanyInformation)

    async def get_bill_mapping_options(
        self, company_id: str, connection_id: str, *, status_query: str | Expr | None = None
    ) -> models.BillMappingOptions:
        """All bill mapping options: every page fetched and merged."""
        path = _payables(company_id, connection_id) + "/mappingOptions/bills"
        merged = models.BillMappingOptions()
        async for page in self._continuation(
            path, models.BillMappingOptions, {"statusQuery": status_query}
        ):
            merged.accounts.extend(page.accounts)
            merged.tax_rates.extend(page.tax_rates)
        return merged

    async def get_payment_mapping_options(
        self, company_id: str, connection_id: str, *, status_query: str | Expr | None = None
    ) -> models.PaymentMappingOptions:
        """All bank accounts a payment can be made from: every page fetched and merged."""
        path = _payables(company_id, connection_id) + "/mappingOptions/payments"
        merged = models.PaymentMappingOptions()
        async for page in self._continuation(
            path, models.PaymentMappingOptions, {"statusQuery": status_query}
        ):
            merged.bank_accounts.extend(page.bank_accounts)
        return merged

    # ------------------------------------------------------------ bills

    async def list_bills(
        self,
        company_id: str,
        connection_id: str,
        *,
        query: str | Expr | None = None,
        continuation_token: str | None = None,
    ) -> models.Bills:
        """One page of bills; with no query, the API returns outstanding bills only."""
        params = {"query": query, "continuationToken": continuation_token}
        return await self._get(
            _payables(company_id, connection_id) + "/bills", models.Bills, params
        )

    async def iter_bills(
        self, company_id: str, connection_id: str, *, query: str | Expr | None = None
    ) -> AsyncIterator[models.Bill]:
        path = _payables(company_id, connection_id) + "/bills"
        async for page in self._continuation(path, models.Bills, {"query": query}):
            for bill in page.results:
                yield bill

    async def get_bill(self, company_id: str, connection_id: str, bill_id: str) -> models.Bill:
        """Re-read one bill (the API has no single-bill GET; this is a query on its id)."""
        page = await self.list_bills(company_id, connection_id, query=Q("id") == bill_id)
        for bill in page.results:
            if bill.id == bill_id:
                return bill
        raise PayablesNotFound(f"bill {bill_id} was not found", status_code=404)

    async def create_bill(
        self,
        company_id: str,
        connection_id: str,
        bill: models.BillPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.Bill:
        path = _payables(company_id, connection_id) + "/bills"
        return await self._send("POST", path, models.Bill, bill.to_api(), idempotency_key)

    async def update_bill(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        bill: models.BillPrototype,
    ) -> models.Bill:
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}"
        return await self._send("PUT", path, models.Bill, bill.to_api())

    async def upload_bill_attachment(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
    ) -> models.Attachment:
        """Upload a file. The spec lists no Idempotency-Key here, so none is sent: a retry
        after a lost answer may attach the file twice."""
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/attachments"
        response = await self.request(
            "POST", path, files={"file": (filename, content, content_type)}
        )
        return _parse(models.Attachment, response)

    async def list_bill_attachments(
        self, company_id: str, connection_id: str, bill_id: str
    ) -> list[models.Attachment]:
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/attachments"
        response = await self.request("GET", path)
        return [_parse_obj(models.Attachment, item, path) for item in _decode(response)]

    async def download_bill_attachment(
        self, company_id: str, connection_id: str, bill_id: str, attachment_id: str
    ) -> bytes:
        path = (
            _payables(company_id, connection_id)
            + f"/bills/{bill_id}/attachments/{attachment_id}/download"
        )
        return (await self.request("GET", path)).content

    # ------------------------------------------------------------ payments

    async def create_bill_payment(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        payment: models.BillPaymentPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.BillPayment:
        """Record a payment against a bill. Pass the payment's own idempotency key, stored
        before this call, so that retrying the business operation can never pay twice."""
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/payment"
        return await self._send("POST", path, models.BillPayment, payment.to_api(), idempotency_key)

    # ------------------------------------------------------------ suppliers

    async def list_suppliers(
        self,
        company_id: str,
        connection_id: str,
        *,
        query: str | Expr | None = None,
        continuation_token: str | None = None,
    ) -> models.Suppliers:
        params = {"query": query, "continuationToken": continuation_token}
        path = _payables(company_id, connection_id) + "/suppliers"
        return await self._get(path, models.Suppliers, params)

    async def iter_suppliers(
        self, company_id: str, connection_id: str, *, query: str | Expr | None = None
    ) -> AsyncIterator[models.Supplier]:
        path = _payables(company_id, connection_id) + "/suppliers"
        async for page in self._continuation(path, models.Suppliers, {"query": query}):
            for supplier in page.results:
                yield supplier

    async def create_supplier(
        self,
        company_id: str,
        connection_id: str,
        supplier: models.SupplierPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.Supplier:
        path = _payables(company_id, connection_id) + "/suppliers"
        return await self._send("POST", path, models.Supplier, supplier.to_api(), idempotency_key)

    async def update_supplier(
        self,
        company_id: str,
        connection_id: str,
        supplier_id: str,
        supplier: models.SupplierPrototype,
    ) -> models.Supplier:
        path = _payables(company_id, connection_id) + f"/suppliers/{supplier_id}"
        return await self._send("PUT", path, models.Supplier, supplier.to_api())

    # ------------------------------------------------------------ bank accounts

    async def create_bank_account(
        self,
        company_id: str,
        connection_id: str,
        account: models.BankAccountPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.BankAccount:
        path = _payables(company_id, connection_id) + "/bankAccounts"
        return await self._send("POST", path, models.BankAccount, account.to_api(), idempotency_key)


IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})


def new_idempotency_key() -> str:
    """A new GUID, the only form of key Codat accepts."""
    return str(uuid.uuid4())


def _writes(method: str) -> bool:
    """Whether a request of this method can change anything (and so be "maybe applied")."""
    return method.upper() not in ("GET", "HEAD")


def _connection(company_id: str, connection_id: str) -> str:
    return f"/companies/{company_id}/connections/{connection_id}"


def _payables(company_id: str, connection_id: str) -> str:
    return _connection(company_id, connection_id) + "/payables"


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def _decode(response: httpx.Response) -> Any:
    try:
        return jsoncodec.loads(response.content)
    except ValueError as exc:
        error = PayablesError(
            f"{response.request.method} {response.request.url.path}: "
            f"the payables API sent a body that is not JSON ({exc})",
            status_code=response.status_code,
        )
        error.maybe_applied = response.is_success and _writes(response.request.method)
        raise error from None


def _parse(model: type[M], response: httpx.Response) -> M:
    try:
        return _parse_obj(model, _decode(response), response.request.url.path)
    except PayablesError as error:
        applied = response.is_success and _writes(response.request.method)
        error.maybe_applied = error.maybe_applied or applied
        raise


def _parse_obj(model: type[M], data: Any, path: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PayablesError(
            f"{path}: the payables API's answer does not match {model.__name__}: {exc}"
        ) from None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": a time in UTC whose source zone is unknown
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - time.time())


def _error_from(response: httpx.Response, method: str, path: str) -> PayablesError:
    body: models.ErrorMessage | None = None
    try:
        data = jsoncodec.loads(response.content) if response.content else None
        if isinstance(data, dict):
            body = models.ErrorMessage.model_validate(data)
    except (ValueError, ValidationError):
        body = None
    return error_for(
        response.status_code,
        body,
        method=method,
        path=path,
        retry_after=_retry_after(response),
    )
