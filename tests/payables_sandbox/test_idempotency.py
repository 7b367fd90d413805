"""Idempotency-Key as Codat documents it (docs/using-the-api/write-data/idempotency.md), and the
payment faults that fail before or after the write, seen over the sandbox's HTTP app."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from payables_sandbox import store
from payables_sandbox.app import Sandbox
from payables_sandbox.faults import FaultConfig
from payables_sandbox.idempotency import IN_PROGRESS_TIMEOUT
from payables_sandbox.seed import DemoIds
from testkit.payables import SANDBOX_KEY, bill_json


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def payment(demo: DemoIds, amount: str = "10.00") -> dict[str, object]:
    return {
        "amount": amount,
        "date": "2026-11-22T00:00:00",
        "accountRef": {"id": demo.bank_accounts["GBP"]},
    }


async def bill_id(http: httpx.AsyncClient, demo: DemoIds, reference: str = "KC-40019") -> str:
    return str((await bill_json(http, payables(demo), reference))["id"])


async def amount_due(
    http: httpx.AsyncClient, demo: DemoIds, reference: str = "KC-40019"
) -> Decimal:
    return Decimal(str((await bill_json(http, payables(demo), reference))["amountDue"]))


DUE = Decimal("310.80")  # KC-40019: 14 x £18.50 and 20% VAT


@pytest.mark.parametrize(
    "value", ["pay-1", "k" * 256, "3fa85f64-5717-4562-b3fc-2c963f66afa", "not a guid at all"]
)
async def test_a_key_that_is_not_a_guid_is_a_400_error_message(
    http: httpx.AsyncClient, value: str
) -> None:
    response = await http.post(
        "/companies", json={"name": "Keyed Ltd"}, headers={"Idempotency-Key": value}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and "not a GUID" in body["error"]
    assert {"service", "correlationId", "canBeRetried"} <= set(body)
    names = [c["name"] for c in (await http.get("/companies")).json()["results"]]
    assert "Keyed Ltd" not in names


async def test_guids_in_any_dotnet_form_are_one_key(http: httpx.AsyncClient) -> None:
    guid = uuid.uuid4()
    first = await http.post(
        "/companies", json={"name": "Form Ltd"}, headers={"Idempotency-Key": str(guid)}
    )
    again = await http.post(
        "/companies",
        json={"name": "Form Ltd"},
        headers={"Idempotency-Key": "{" + str(guid).upper() + "}"},
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_two_key_headers_are_refused(http: httpx.AsyncClient) -> None:
    headers = [("Idempotency-Key", str(uuid.uuid4())), ("Idempotency-Key", str(uuid.uuid4()))]
    response = await http.post("/companies", json={"name": "Twice Ltd"}, headers=headers)
    assert response.status_code == 400 and "single Idempotency-Key" in response.json()["error"]


async def test_a_repeat_replays_status_headers_and_body(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    bill, headers = await bill_id(http, demo), key()
    first = await http.post(
        f"{payables(demo)}/bills/{bill}/payment", json=payment(demo), headers=headers
    )
    # Same data, other key order and spacing: the same request.
    body = dict(reversed(list(payment(demo).items())))
    again = await http.post(f"{payables(demo)}/bills/{bill}/payment", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await amount_due(http, demo) == DUE - 10  # once


async def test_errors_are_stored_too_and_a_reused_key_is_a_422(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    bill, headers = await bill_id(http, demo), key()
    url = f"{payables(demo)}/bills/{bill}/payment"
    refused = await http.post(url, json=payment(demo, "9999.00"), headers=headers)
    replayed = await http.post(url, json=payment(demo, "9999.00"), headers=headers)
    assert refused.status_code == replayed.status_code == 400
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["correlationId"] == refused.json()["correlationId"]

    reused = await http.post(url, json=payment(demo, "1.00"), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["statusCode"] == 422 and "different request" in reused.json()["error"]
    assert await amount_due(http, demo) == DUE


async def test_a_key_still_in_progress_is_a_409_until_abandoned(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill, headers = await bill_id(http, demo), key()
    url = f"{payables(demo)}/bills/{bill}/payment"
    # Claim the key as a first request does, and leave it running.
    first = await http.post(url, json=payment(demo), headers=headers)
    assert first.status_code == 201
    async with sandbox.db.write() as session:
        record = await session.get(store.IdempotencyRecord, headers["Idempotency-Key"])
        assert record is not None
        record.status_code = None
        record.expires = store.utcnow() + IN_PROGRESS_TIMEOUT

    busy = await http.post(url, json=payment(demo), headers=headers)
    assert busy.status_code == 409 and "still in progress" in busy.json()["error"]
    sandbox.clock.advance(IN_PROGRESS_TIMEOUT + timedelta(seconds=5))
    retried = await http.post(url, json=payment(demo), headers=headers)
    assert retried.status_code == 201 and retried.json()["id"] != first.json()["id"]


async def test_an_answer_is_replayed_for_90_minutes_then_the_key_is_free(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill, headers = await bill_id(http, demo), key()
    url = f"{payables(demo)}/bills/{bill}/payment"
    first = await http.post(url, json=payment(demo), headers=headers)
    sandbox.clock.advance(timedelta(minutes=89))
    replay = await http.post(url, json=payment(demo), headers=headers)
    sandbox.clock.advance(timedelta(minutes=2))
    fresh = await http.post(url, json=payment(demo), headers=headers)
    assert replay.json()["id"] == first.json()["id"]
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    assert await amount_due(http, demo) == DUE - 20  # two payments of £10


@pytest.mark.sandbox(idempotency_window=timedelta(seconds=30))
async def test_the_window_is_a_setting(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill, headers = await bill_id(http, demo), key()
    url = f"{payables(demo)}/bills/{bill}/payment"
    first = await http.post(url, json=payment(demo), headers=headers)
    sandbox.clock.advance(timedelta(seconds=31))
    fresh = await http.post(url, json=payment(demo), headers=headers)
    assert fresh.json()["id"] != first.json()["id"]


@pytest.mark.sandbox(faults=FaultConfig(rate_limit_requests=1, rate_limit_window_seconds=60))
async def test_a_429_is_not_stored_and_releases_the_key(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    headers = key()
    sandbox.faults.fail_next(1, status_code=429, retry_after=1)
    limited = await http.post("/companies", json={"name": "Later Ltd"}, headers=headers)
    assert limited.status_code == 429
    sandbox.faults.config.rate_limit_requests = None
    created = await http.post("/companies", json={"name": "Later Ltd"}, headers=headers)
    assert created.status_code == 200 and "Idempotent-Replayed" not in created.headers


async def test_the_key_is_ignored_on_put(http: httpx.AsyncClient, demo: DemoIds) -> None:
    supplier = {"supplierName": "Put Twice Ltd", "status": "Active"}
    created = (await http.post(payables(demo) + "/suppliers", json=supplier)).json()
    url = f"{payables(demo)}/suppliers/{created['id']}"
    headers = key()
    first = await http.put(url, json={**supplier, "phone": "1"}, headers=headers)
    second = await http.put(url, json={**supplier, "phone": "2"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["phone"] == "2"  # applied, neither replayed nor a 422


async def test_a_payment_can_land_and_then_answer_500(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill, headers = await bill_id(http, demo), key()
    url = f"{payables(demo)}/bills/{bill}/payment"
    sandbox.faults.fail_next_payment(bill_id=bill, after_write=True)

    failed = await http.post(url, json=payment(demo), headers=headers)
    assert failed.status_code == 500 and failed.json()["statusCode"] == 500
    assert await amount_due(http, demo) == DUE - 10  # the payment is there
    assert len(await sandbox.payments(bill)) == 1
    # Codat stores the 500 like any answer: the same key replays it, and pays nothing more.
    again = await http.post(url, json=payment(demo), headers=headers)
    assert again.status_code == 500 and again.headers["Idempotent-Replayed"] == "true"
    assert len(await sandbox.payments(bill)) == 1
    # After the window the key is free: the same request would now pay a second time.
    sandbox.clock.advance(timedelta(minutes=91))
    late = await http.post(url, json=payment(demo), headers=headers)
    assert late.status_code == 201 and len(await sandbox.payments(bill)) == 2


async def test_a_payment_can_fail_before_anything_is_written(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill, other = await bill_id(http, demo), await bill_id(http, demo, "PF-2304")
    sandbox.faults.fail_next_payment(bill_id=bill, after_write=False, status_code=503)
    elsewhere = await http.post(f"{payables(demo)}/bills/{other}/payment", json=payment(demo))
    assert elsewhere.status_code == 201  # a fault on one bill leaves the others alone

    headers = key()
    failed = await http.post(
        f"{payables(demo)}/bills/{bill}/payment", json=payment(demo), headers=headers
    )
    assert failed.status_code == 503
    assert await amount_due(http, demo) == DUE and await sandbox.payments(bill) == []
    replayed = await http.post(
        f"{payables(demo)}/bills/{bill}/payment", json=payment(demo), headers=headers
    )
    assert replayed.status_code == 503 and replayed.headers["Idempotent-Replayed"] == "true"
    fresh = await http.post(
        f"{payables(demo)}/bills/{bill}/payment", json=payment(demo), headers=key()
    )
    assert fresh.status_code == 201
    assert [p["amount"] for p in await sandbox.payments(bill)] == [Decimal("10.00")]


async def test_a_wrong_api_key_never_claims_an_idempotency_key(sandbox: Sandbox) -> None:
    headers = key()
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        wrong = {"Authorization": "Basic " + base64.b64encode(b"wrong").decode(), **headers}
        assert (
            await client.post("/companies", json={"name": "A Ltd"}, headers=wrong)
        ).status_code == 401
        right = {
            "Authorization": "Basic " + base64.b64encode(SANDBOX_KEY.encode()).decode(),
            **headers,
        }
        created = await client.post("/companies", json={"name": "A Ltd"}, headers=right)
    assert created.status_code == 200 and "Idempotent-Replayed" not in created.headers
