"""HTTP to the payables API (Codat's synchronous Bill Pay API, or the sandbox): what every
operation of `PayablesClient` goes through.

One `PayablesHttp` wraps one `httpx.AsyncClient`. It authenticates with Basic auth built from the
API key (or sends the portal's ready-made `Basic ...` header value as it is), retries what is safe
to retry (408, 429, 5xx, connection errors, and a 409 saying a write with the same key is still
in progress) with exponential backoff and jitter, honours `Retry-After` in seconds or as an HTTP
date, and gives up before the caller's deadline with a typed error. Every POST (attachment
uploads included: the docs ask for the key on every POST, though the spec declares none there)
and PATCH carries an `Idempotency-Key`, a GUID kept across retries, so a retried request is
replayed by the API rather than applied twice; callers that retry a whole business operation
pass their own key. PUTs carry none: Codat honours the key only on POST and PATCH
(docs/using-the-api/write-data/idempotency.md). A failed GET is never "maybe applied". The
Authorization header is never logged.

Continuation-token listings are read whole and checked for the shifts that Codat's offset tokens
cause before they are handed out (`_consistent_listing`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import logging
import random
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from billpay.core import jsoncodec
from billpay.payables import models
from billpay.payables.budget import CallBudget, Priority, company_of
from billpay.payables.errors import (
    RETRYABLE_STATUSES,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesListingUnstable,
    PayablesUnavailable,
    error_for,
)

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


class PayablesHttp:
    """Requests to the payables API, with its auth, retries, deadlines and paging."""

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
        budget: CallBudget | None = None,
        priority: Priority = Priority.DISPLAY,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError("the payables API key is empty")
        self.retry = retry or RetryPolicy()
        # Every request passes the call budget (`billpay.payables.budget`), as `priority`.
        self.budget = budget
        self.priority = priority
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
        return f"{type(self).__name__}(base_url={str(self._http.base_url)!r})"

    def with_retry(self, retry: RetryPolicy) -> Self:
        """The same connection pool with another retry policy (e.g. a short deadline for a
        Slack click, whose user is waiting)."""
        clone = copy.copy(self)
        clone.retry = retry
        return clone

    def with_deadline(self, seconds: float) -> Self:
        return self.with_retry(replace(self.retry, deadline=seconds))

    def with_priority(self, priority: Priority) -> Self:
        """The same connection pool and budget, its requests made as `priority`."""
        clone = copy.copy(self)
        clone.priority = priority
        return clone

    def with_budget(self, budget: CallBudget | None) -> Self:
        clone = copy.copy(self)
        clone.budget = budget
        return clone

    def _slot(
        self, company_id: str, *, admit: bool
    ) -> contextlib.AbstractAsyncContextManager[None]:
        if self.budget is None:
            return contextlib.nullcontext()
        return self.budget.call(company_id, self.priority, admit=admit)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

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
        company_id = company_of(path)
        while True:
            attempt += 1
            remaining = max(0.05, policy.deadline - (self._clock() - started))
            sent = False
            try:
                # httpx timeouts apply per phase (connect, each read); this bounds the whole
                # attempt (its wait for a place in the budget included), so a slow answer
                # cannot hold a Slack click past its deadline. The budget refuses a request
                # only before its first attempt: a retry of a write must go on.
                async with (
                    asyncio.timeout(min(self._timeout, remaining)),
                    self._slot(company_id, admit=attempt == 1),
                ):
                    sent = True
                    response = await self._http.request(
                        method,
                        path,
                        params=query,
                        content=content,
                        files=files,
                        headers=headers,
                    )
                    if self.budget is not None:
                        self.budget.observe(response.headers)
            except (httpx.TransportError, TimeoutError) as exc:
                reached = sent and not isinstance(exc, httpx.ConnectError)
                uncertain = writes and (uncertain or reached)
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
        return parse_as(model, await self.request("GET", path, params=params))

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
        return parse_as(model, response)

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


def _writes(method: str) -> bool:
    """Whether a request of this method can change anything (and so be "maybe applied")."""
    return method.upper() not in ("GET", "HEAD")


def _listing_name(path: str) -> str:
    """A listing's name for people: `bills` for `.../payables/bills`."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def compact(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def decode(response: httpx.Response) -> Any:
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


def parse_as(model: type[M], response: httpx.Response) -> M:
    try:
        return parse_item(model, decode(response), response.request.url.path)
    except PayablesError as error:
        applied = response.is_success and _writes(response.request.method)
        error.maybe_applied = error.maybe_applied or applied
        # Which answer it was matters even unread: a 201 says a write was made, a 202 only
        # that it was accepted.
        error.status_code = error.status_code or response.status_code
        raise


def parse_item(model: type[M], data: Any, path: str) -> M:
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


IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})


def new_idempotency_key() -> str:
    """A new GUID, the only form of key Codat accepts."""
    return str(uuid.uuid4())
