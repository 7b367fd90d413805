"""A page of list bills costs the same however many bills the connection holds: the same SQL
statements, and no more bills loaded than the page shows (counted, not timed). Bills whose
payments reads cannot see yet still show as they were, in their place, on every page."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from payables_sandbox import store
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import SANDBOX_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(SANDBOX_KEY.encode()).decode()}
QUERIES = [None, "status=Paid", "sourceModifiedDate>2026-08-01T00:00:00Z"]


@dataclass
class Cost:
    statements: int = 0
    bills_loaded: int = 0


@contextmanager
def counting(sandbox: Sandbox) -> Iterator[Cost]:
    cost = Cost()

    def executed(*_args: Any) -> None:
        cost.statements += 1

    def loaded(*_args: Any) -> None:
        cost.bills_loaded += 1

    engine = sandbox.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(store.Bill, "load", loaded)
    try:
        yield cost
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(store.Bill, "load", loaded)


def bills_path(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables/bills"


@asynccontextmanager
async def world(
    make_sandbox: Callable[..., Sandbox], bills: int, **config: Any
) -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient]]:
    sandbox = make_sandbox(**config)
    await sandbox.start()
    await sandbox.seed_bulk(bills)
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as http:
        yield sandbox, http


async def page_costs(sandbox: Sandbox, http: httpx.AsyncClient) -> list[tuple[int, int, int]]:
    """(statements, bills loaded, records served) of a first and a second page of each query."""
    assert sandbox.demo is not None
    costs = []
    for query in QUERIES:
        params = {"query": query} if query else {}
        first = (await http.get(bills_path(sandbox.demo), params=params)).json()
        token = first["pagination"]["continuationToken"]
        for page in ({}, {"continuationToken": token}):
            with counting(sandbox) as cost:
                answer = await http.get(bills_path(sandbox.demo), params={**params, **page})
            assert answer.status_code == 200, answer.text
            costs.append((cost.statements, cost.bills_loaded, len(answer.json()["results"])))
    return costs


@pytest.mark.parametrize("paging", ["offset", "keyset"])
async def test_a_page_costs_the_same_at_ten_times_the_bills(
    make_sandbox: Callable[..., Sandbox], paging: str
) -> None:
    async with world(make_sandbox, 300, paging=paging, page_size=10, reset=True) as small:
        at_small = await page_costs(*small)
    async with world(make_sandbox, 3000, paging=paging, page_size=10, reset=True) as large:
        at_large = await page_costs(*large)
    assert at_large == at_small
    # A page loads its own bills (keyset: and one more, to know whether another page follows).
    assert all(served == 10 and loaded in (10, 11) for _, loaded, served in at_large)


@pytest.mark.slow
async def test_a_page_costs_the_same_at_50000_bills(make_sandbox: Callable[..., Sandbox]) -> None:
    async with world(make_sandbox, 500, page_size=20, reset=True) as small:
        at_small = await page_costs(*small)
    async with world(make_sandbox, 50_000, page_size=20, reset=True) as large:
        at_large = await page_costs(*large)
    assert at_large == at_small


async def every_page(http: httpx.AsyncClient, path: str, query: str | None) -> list[dict[str, Any]]:
    served: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {k: v for k, v in {"query": query, "continuationToken": token}.items() if v}
        page = (await http.get(path, params=params)).json()
        served += page["results"]
        token = page["pagination"].get("continuationToken")
        if not token:
            return served


@pytest.mark.parametrize("paging", ["offset", "keyset"])
async def test_bills_with_unseen_payments_keep_their_place_on_every_page(
    make_sandbox: Callable[..., Sandbox], paging: str
) -> None:
    async with world(
        make_sandbox, 40, paging=paging, page_size=7, payment_read_lag=timedelta(minutes=5)
    ) as (sandbox, http):
        demo = sandbox.demo
        assert demo is not None
        path = bills_path(demo)
        before = {q: await every_page(http, path, q) for q in (None, "status=Paid")}
        for bill in before[None][3:30:6]:
            paid = await http.post(
                f"{path}/{bill['id']}/payment",
                json={
                    "amount": str(bill["amountDue"]),
                    "date": "2026-11-22",
                    "accountRef": {"id": demo.bank_accounts[bill["currency"]]},
                    **({"currencyRate": "1.2"} if bill["currency"] != "GBP" else {}),
                },
            )
            assert paid.status_code == 201, paid.text
        for query, listing in before.items():
            assert await every_page(http, path, query) == listing
        sandbox.clock.advance(timedelta(minutes=5))
        after = await every_page(http, path, None)
        assert len(after) == len(before[None]) - 5
