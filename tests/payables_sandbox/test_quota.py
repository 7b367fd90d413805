"""Codat's own limits over HTTP: a daily quota of 1,000 x (1 + active connected companies)
calls, reset at 00:00 UTC, told on every answer; at most 10 requests in progress per company."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.faults import FaultConfig
from payables_sandbox.seed import DemoIds

LATE = datetime(2026, 11, 22, 23, 59, 30, tzinfo=UTC)


async def test_every_answer_says_where_the_client_stands(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.clock.set(LATE)
    first = await http.get("/companies")
    second = await http.get("/companies")
    # One active connected company (the demo's): 1,000 x (1 + 1).
    assert first.headers["X-Rate-Limit-Limit"] == "2000"
    assert [first.headers["X-Rate-Limit-Remaining"], second.headers["X-Rate-Limit-Remaining"]] == [
        "1999",
        "1998",
    ]
    assert first.headers["X-Rate-Limit-Reset"] == "2026-11-23T00:00:00Z"


@pytest.mark.sandbox(daily_quota=2)
async def test_a_used_up_quota_is_a_429_until_midnight_utc(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.clock.set(LATE)
    answers = [await http.get("/companies") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    body = refused.json()
    assert body["statusCode"] == 429
    assert "quota" in body["error"] and "2026-11-23T00:00:00Z" in body["error"]
    sandbox.clock.advance(timedelta(seconds=31))
    again = await http.get("/companies")
    assert again.status_code == 200
    assert again.headers["X-Rate-Limit-Remaining"] == "3"
    assert again.headers["X-Rate-Limit-Reset"] == "2026-11-24T00:00:00Z"


@pytest.mark.sandbox(daily_quota=1)
async def test_the_quota_grows_with_each_company_that_links(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    company = (await http.post("/companies", json={"name": "Newco"})).json()
    connection = (
        await http.post(f"/companies/{company['id']}/connections", json={"platformKey": "gbol"})
    ).json()
    pending = await http.get("/companies")
    assert pending.headers["X-Rate-Limit-Limit"] == "2"
    await sandbox.authorise(company["id"], connection["id"])
    linked = await http.get("/companies")
    assert linked.headers["X-Rate-Limit-Limit"] == "3"


@pytest.mark.sandbox(daily_quota=None, concurrent_per_company=None)
async def test_both_limits_can_be_turned_off(http: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(http.get("/companies") for _ in range(3)))
    assert all(a.status_code == 200 for a in answers)
    assert "X-Rate-Limit-Limit" not in answers[0].headers


@pytest.mark.sandbox(faults=FaultConfig(latency_ms=300))
async def test_an_eleventh_request_in_progress_on_a_company_is_a_429(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    path = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables/suppliers"
    answers = await asyncio.gather(*(http.get(path) for _ in range(11)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 10 + [429]
    (refused,) = [a for a in answers if a.status_code == 429]
    assert refused.headers["Retry-After"] == "1"
    assert "concurrent" in refused.json()["error"]
    # Another company, and the same one once those finished, are served.
    assert (await http.get("/companies")).status_code == 200
    assert (await http.get(path)).status_code == 200
