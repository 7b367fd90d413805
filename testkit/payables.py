"""Helpers shared by the tests and the benchmarks: the frozen date, database URLs for the
database under test, payables clients whose waits are recorded instead of slept, and a gate
that holds the payables API's answers until a test lets them through (or takes the API down),
and a webhook consumer that checks the sandbox's signed deliveries over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from svix.webhooks import Webhook, WebhookVerificationError

from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.payables.models import Bill
from billpay.payables.query import not_outstanding_bills
from payables_sandbox import store as sandbox_store
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.databases import url_for
from testkit.serve import serve_asgi

TODAY = date(2026, 11, 22)
SANDBOX_KEY = "test-sandbox-key"
SANDBOX_URL = "http://sandbox.test"


def database_url_for(tmp_path: Path, name: str = "sandbox") -> str:
    """The database `name` of a test: a SQLite file in `tmp_path`, or on PostgreSQL this
    worker's database of that name (see `testkit.databases`)."""
    return url_for(tmp_path, name)


def on_postgres() -> bool:
    return os.environ.get("BILLPAY_TEST_DATABASE_URL", "").startswith("postgres")


class SleepRecorder:
    """Stands in for `asyncio.sleep` and a monotonic clock: records each wait, sleeps none."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport, counting requests and optionally failing the first few to connect."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, connect_failures: int = 0) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.connect_failures = connect_failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.connect_failures > 0:
            self.connect_failures -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    def count(self, method: str, path_suffix: str = "") -> int:
        return sum(
            1 for r in self.requests if r.method == method and r.url.path.endswith(path_suffix)
        )


class PayablesGate(httpx.AsyncBaseTransport):
    """The payables API's network with a gate: requests `where` accepts wait at the gate (the
    API has not answered yet) until the test `release()`s them, answered as usual, or takes the
    API `down()`: then they, and every request after them, fail to connect. `await reached()`
    waits until a request is held; `holding` says whether one still is."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        where: Callable[[httpx.Request], bool] = lambda request: True,
    ) -> None:
        self.inner = inner
        self.where = where
        self.held: list[httpx.Request] = []
        self.waiting = 0
        self.is_down = False
        self._reached = asyncio.Event()
        self._opened = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._opened.is_set() and self.where(request):
            self.held.append(request)
            self.waiting += 1
            self._reached.set()
            try:
                await self._opened.wait()
            finally:
                self.waiting -= 1
        if self.is_down:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        return await self.inner.handle_async_request(request)

    async def reached(self) -> None:
        await self._reached.wait()

    @property
    def holding(self) -> bool:
        return self.waiting > 0

    def release(self) -> None:
        """Let every held request through, and every later one."""
        self._opened.set()

    def down(self) -> None:
        """The API is unreachable from now on: held requests and every later one fail."""
        self.is_down = True
        self._opened.set()


def client_for(
    transport: httpx.AsyncBaseTransport, sleeps: SleepRecorder, retry: RetryPolicy | None = None
) -> PayablesClient:
    """A client of the sandbox whose waits are recorded by `sleeps` instead of slept."""
    return PayablesClient(
        base_url=SANDBOX_URL,
        api_key=SANDBOX_KEY,
        transport=transport,
        retry=retry or RetryPolicy(deadline=30.0, max_attempts=6),
        sleep=sleeps,
        clock=sleeps.clock,
    )


async def bill_by_reference(payables: PayablesClient, demo: DemoIds, reference: str) -> Bill:
    """The bill with this reference, whatever its status. List bills is queryable on `status`
    and `sourceModifiedDate` only, so this reads the outstanding bills and then the others,
    and picks the reference out of them."""
    ids = (demo.company_id, demo.connection_id)
    matching = [
        bill
        for query in (None, not_outstanding_bills())
        async for bill in payables.iter_bills(*ids, query=query)
        if bill.reference == reference
    ]
    (bill,) = {bill.id: bill for bill in matching}.values()
    return bill


async def bills_json(http: httpx.AsyncClient, payables_path: str) -> list[dict[str, Any]]:
    """Every bill of a connection as the API sends it, read over HTTP with documented queries
    only: the outstanding bills, then the others, every page of each."""
    bills: dict[str, dict[str, Any]] = {}
    for query in (None, str(not_outstanding_bills())):
        token: str | None = None
        while True:
            params = {"query": query, "continuationToken": token}
            response = await http.get(
                payables_path + "/bills", params={k: v for k, v in params.items() if v}
            )
            response.raise_for_status()
            page = response.json()
            bills.update((bill["id"], bill) for bill in page["results"])
            token = (page.get("pagination") or {}).get("continuationToken")
            if not token:
                break
    return list(bills.values())


async def bill_json(http: httpx.AsyncClient, payables_path: str, reference: str) -> dict[str, Any]:
    """The bill with this reference, whatever its status, as the API sends it."""
    (bill,) = [b for b in await bills_json(http, payables_path) if b["reference"] == reference]
    return bill


async def complete_link(transport: httpx.AsyncBaseTransport, link_url: str) -> httpx.Response:
    """Do what the company does with a connection's linkUrl: open the page and press
    Authorise (the form's POST). Returns the page the button leads to."""
    async with httpx.AsyncClient(transport=transport) as browser:
        page = await browser.get(link_url)
        page.raise_for_status()
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, f"no Authorise form on {link_url}: {page.text}"
        done = await browser.post(page.url.join(html.unescape(action.group(1))))
        done.raise_for_status()
        return done


class WebhookReceiver:
    """A webhook consumer for tests, served over real HTTP (`serve()`): it checks each message's
    Svix signature with the endpoint's secret (`svix.webhooks.Webhook.verify`), records it
    (`received`: the verified bodies, in arrival order, with their `webhook-id`) and answers
    200, or each status of `answers` in turn first (a 500 to make the sender retry)."""

    def __init__(self, secret: str, answers: list[int] | None = None) -> None:
        self.verifier = Webhook(secret)
        self.answers = list(answers or [])
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        try:
            self.verifier.verify(body.decode(), headers)
            verified = json.loads(body)
        except WebhookVerificationError as exc:
            with self._lock:
                self.refused.append(str(exc))
            status = 400
        else:
            with self._lock:
                self.received.append((headers["webhook-id"], verified))
                status = self.answers.pop(0) if self.answers else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def reset(self, answers: list[int] | None = None) -> None:
        """Forget what was received; answer `answers` first from now on."""
        with self._lock:
            self.answers = list(answers or [])
            self.received.clear()
            self.refused.clear()

    def events(self) -> list[str]:
        """The event types received, in order (`type` or `eventType`, as each event has it)."""
        with self._lock:
            return [body.get("type") or body["eventType"] for _, body in self.received]

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the URL to give `SandboxConfig.webhook_url`."""
        with serve_asgi(self) as url:
            yield f"{url}/codat/webhooks"


async def add_bills(sandbox: Sandbox, count: int) -> None:
    """`count` more outstanding bills from the demo company's first supplier, due over the
    coming months, each last modified a second after the one before, long before the demo's
    own (so these come first in a listing). Written straight into the sandbox's store, as a
    platform holds them."""
    demo = sandbox.demo
    assert demo is not None
    supplier_id, supplier_name = next(iter(demo.suppliers.items()))
    long_ago = datetime(2026, 1, 1)
    async with sandbox.db.write() as s:
        s.add_all(
            sandbox_store.Bill(
                connection_id=demo.connection_id,
                reference=f"BULK-{n:05d}",
                supplier_id=supplier_id,
                supplier_name=supplier_name,
                issue_date=datetime(2026, 11, 1),
                due_date=datetime(2026, 12, 1) + timedelta(days=n % 90),
                currency="GBP",
                status="Open",
                total_amount=Decimal("100.00") + n,
                amount_due=Decimal("100.00") + n,
                source_modified_date=long_ago + timedelta(seconds=n),
            )
            for n in range(count)
        )
