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

Reads use documented queries only: list bills is queryable on `status` and `sourceModifiedDate`
alone, so one bill is re-read by looking for it in listings (`get_bill`), never by `id=`.
Continuation-token listings (bills, suppliers) are read whole and checked for the shifts that
Codat's offset tokens cause before they are handed out (`iter_bills`, `iter_suppliers`).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import random
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from billpay.core import jsoncodec
from billpay.payables import models
from billpay.payables.errors import (
    RETRYABLE_STATUSES,
    BillNotOutstanding,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesListingUnstable,
    PayablesUnavailable,
    error_for,
)
from billpay.payables.query import Expr, not_outstanding_bills

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Identified)  # a record of a listing, told apart by its id
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


# How many times a continuation-token listing is read before giving up on a consistent one: the
# first read and up to three re-reads.
MAX_LISTING_PASSES = 4


@dataclass
class _Pass(Generic[R]):
    """One read of a listing from its first page: its records, each id once, in the API's order."""

    records: list[R] = field(default_factory=list)
    pages: int = 0
    overlapped: bool = False  # a record came twice: the list shifted under the offsets
    found: R | None = None  # the record looked for, if the read stopped on it

    @property
    def ids(self) -> list[str]:
        return [record.id for record in self.records]


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
    ) -> AsyncGenerator[M, None]:
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

    async def _read_listing(
        self,
        path: str,
        model: type[M],
        params: Mapping[str, Any],
        records: Callable[[M], Sequence[R]],
        wanted: str | None,
    ) -> _Pass[R]:
        """Read a listing once from its first page: each record once (a repeat is dropped and
        marks the read as overlapped); stop early on the record whose id is `wanted`."""
        read: _Pass[R] = _Pass()
        seen: set[str] = set()
        async with aclosing(self._continuation(path, model, params)) as pages:
            async for page in pages:
                read.pages += 1
                for record in records(page):
                    if record.id in seen:
                        read.overlapped = True
                        continue
                    seen.add(record.id)
                    read.records.append(record)
                    if record.id == wanted:
                        read.found = record
                        return read
        return read

    async def _consistent_listing(
        self,
        path: str,
        model: type[M],
        params: Mapping[str, Any],
        records: Callable[[M], Sequence[R]],
        *,
        wanted: str | None = None,
    ) -> _Pass[R]:
        """A listing known to be complete: no record skipped, none twice.

        Codat's continuation tokens are offsets (the spec's example token is
        `{"page":2,"pageSize":100,"pageCount":11}`), so a record that leaves the list between
        two pages (a bill paid) moves every later record one place forward, and the next page
        skips one; a record added repeats one. The pages of these listings carry no
        `totalResults` to compare (only `pagination.continuationToken`), so a shift is detected
        by reading again:

        - a read of one page is one answer, hence consistent;
        - a read in which a record came twice overlapped: the list shifted, read again;
        - a read of several pages is accepted when the next read gives the same ids in the
          same order. Two reads agree only if the list did not change while they were made,
          or changed in just the same way at the same point of each, which a list that moves
          on (bills paid, bills added) does not do.

        At most `MAX_LISTING_PASSES` reads (the first and three re-reads), then
        `PayablesListingUnstable`: an error rather than a list that may miss a bill. With
        `wanted`, the read stops as soon as that record is seen (a record seen is real, whatever
        shifted around it), and only a read that did not find it needs confirming.
        """
        previous: list[str] | None = None
        for _ in range(MAX_LISTING_PASSES):
            read = await self._read_listing(path, model, params, records, wanted)
            if read.found is not None:
                return read
            if not read.overlapped and (read.pages == 1 or read.ids == previous):
                return read
            if read.overlapped or previous is not None:
                log.info("GET %s: the listing shifted while it was read; reading it again", path)
            previous = None if read.overlapped else read.ids
        raise PayablesListingUnstable(_listing_name(path), passes=MAX_LISTING_PASSES)

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
        """Every bill of the listing (with no query, the outstanding ones), each exactly once.

        The whole listing is read, and made consistent, before the first bill is yielded (see
        `_consistent_listing`): what is yielded is never taken back, so it can only be yielded
        once it is known to be right. A listing of one page costs one request; one of n pages
        costs 2n when nothing changes while it is read. Raises `PayablesListingUnstable` if it
        keeps changing."""
        path = _payables(company_id, connection_id) + "/bills"
        listing = await self._consistent_listing(path, models.Bills, {"query": query}, _bills)
        for bill in listing.records:
            yield bill

    async def get_bill(self, company_id: str, connection_id: str, bill_id: str) -> models.Bill:
        """Re-read one bill, with documented queries only (the API has no single-bill read, and
        list bills is queryable on `status` and `sourceModifiedDate` only).

        1. The default listing (no query: the outstanding bills, `Open` and `PartiallyPaid`),
           page by page, stopping on the page that holds the bill.
        2. If it is not there: the listing for `status!=Open&&status!=PartiallyPaid`, likewise.
           The spec does not say whether a query keeps the outstanding-only default. If it does
           not, this returns paid, void (and draft) bills, and a bill found here is returned as
           the API has it (`Paid` or `Void`, with its `amountDue`). If it does, this returns
           nothing, and the bill is reported as no longer outstanding, which is then all anyone
           can know through the API.
        3. Not found in either: `BillNotOutstanding` (a `PayablesNotFound`): paid or voided
           elsewhere, or removed. Never "deleted": the API cannot tell those apart.

        Cost, in GET requests: with page size p (the API's; list bills takes no `pageSize`, and
        Codat's pages hold 100), an outstanding bill at position k costs ceil(k/p), usually 1.
        A bill no longer outstanding costs the whole outstanding listing, then the other listing
        up to the bill. Each listing that spans more than one page and does not hold the bill is
        read twice (the second read proves the first skipped nothing: Codat's continuation
        tokens are offsets, so a bill paid during the read shifts later pages, see
        `_consistent_listing`). So a paid bill with under p outstanding bills costs 2 requests
        (plus ceil(position/p) - 1 more deep in the paid listing), and an unknown id with under p
        bills in either listing costs 2. A step that keeps changing raises
        `PayablesListingUnstable` rather than guess."""
        path = _payables(company_id, connection_id) + "/bills"
        for query in (None, not_outstanding_bills()):
            listing = await self._consistent_listing(
                path, models.Bills, {"query": query}, _bills, wanted=bill_id
            )
            if listing.found is not None:
                return listing.found
        raise BillNotOutstanding(bill_id)

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
        """Every supplier of the listing, each exactly once; read whole and made consistent
        first, as `iter_bills` does."""
        path = _payables(company_id, connection_id) + "/suppliers"
        listing = await self._consistent_listing(
            path, models.Suppliers, {"query": query}, _suppliers
        )
        for supplier in listing.records:
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


def _bills(page: models.Bills) -> list[models.Bill]:
    return page.results


def _suppliers(page: models.Suppliers) -> list[models.Supplier]:
    return page.results


def _listing_name(path: str) -> str:
    """A listing's name for people: `bills` for `.../payables/bills`."""
    return path.rstrip("/").rsplit("/", 1)[-1]


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
