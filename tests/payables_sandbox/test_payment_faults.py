"""Payments whose fate one answer can't tell: a 202 Accepted (pending), and a request still in
progress, against which a repeat of its `Idempotency-Key` is a 409 until it is done."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import bill_json


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def payment(demo: DemoIds, amount: str = "10.00") -> dict[str, Any]:
    return {
        "amount": amount,
        "date": "2026-11-22T00:00:00",
        "accountRef": {"id": demo.bank_accounts["GBP"]},
    }


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def due(http: httpx.AsyncClient, demo: DemoIds, reference: str) -> Decimal:
    return Decimal(str((await bill_json(http, payables(demo), reference))["amountDue"]))


async def test_an_accepted_payment_is_written_and_answered_202_without_a_record(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill = await bill_json(http, payables(demo), "KC-40019")
    other = await bill_json(http, payables(demo), "PF-2304")
    sandbox.faults.accept_next_payment(bill_id=bill["id"])
    elsewhere = await http.post(f"{payables(demo)}/bills/{other['id']}/payment", json=payment(demo))
    assert elsewhere.status_code == 201  # a fault on one bill leaves the others alone

    url, headers = f"{payables(demo)}/bills/{bill['id']}/payment", key()
    accepted = await http.post(url, json=payment(demo), headers=headers)
    assert accepted.status_code == 202
    body = accepted.json()
    assert (body["statusCode"], body["error"]) == (202, "Accepted (pending)")
    assert "id" not in body and "amount" not in body  # no payment record to rely on
    assert len(await sandbox.payments(bill["id"])) == 1
    assert await due(http, demo, "KC-40019") == Decimal("300.80")

    replayed = await http.post(url, json=payment(demo), headers=headers)
    assert replayed.status_code == 202 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.content == accepted.content
    assert len(await sandbox.payments(bill["id"])) == 1


async def test_a_held_payment_is_in_progress_a_409_to_its_key_until_released(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill = await bill_json(http, payables(demo), "KC-40019")
    url, headers = f"{payables(demo)}/bills/{bill['id']}/payment", key()
    release = sandbox.faults.hold_next_payment(bill_id=bill["id"])
    first = asyncio.create_task(http.post(url, json=payment(demo), headers=headers))
    await release.reached()
    assert release.holding and not first.done()
    assert len(await sandbox.payments(bill["id"])) == 1  # written, not yet answered

    busy = await http.post(url, json=payment(demo), headers=headers)
    assert busy.status_code == 409
    body = busy.json()
    assert body["statusCode"] == 409 and "still in progress" in body["error"]
    assert {"service", "correlationId", "canBeRetried"} <= set(body)
    assert "Idempotent-Replayed" not in busy.headers
    other_body = await http.post(url, json=payment(demo, "1.00"), headers=headers)
    assert other_body.status_code == 422  # another body is refused even while in progress

    release()
    answered = await first
    assert answered.status_code == 201
    again = await http.post(url, json=payment(demo), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == answered.json()["id"]
    assert len(await sandbox.payments(bill["id"])) == 1
    assert await due(http, demo, "KC-40019") == Decimal("300.80")


async def test_a_hold_on_any_bill_takes_the_next_payment(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill = await bill_json(http, payables(demo), "PF-2304")
    release = sandbox.faults.hold_next_payment()
    held = asyncio.create_task(
        http.post(f"{payables(demo)}/bills/{bill['id']}/payment", json=payment(demo))
    )
    await release.reached()
    release()
    assert (await held).status_code == 201
    assert not release.holding


async def test_a_payment_in_progress_stays_so_however_far_the_clock_moves(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    """Only a request that died mid-way has its key freed after a while; one still running
    keeps answering 409 to its key, so a retry never writes a second payment."""
    bill = await bill_json(http, payables(demo), "KC-40019")
    url, headers = f"{payables(demo)}/bills/{bill['id']}/payment", key()
    release = sandbox.faults.hold_next_payment(bill_id=bill["id"])
    first = asyncio.create_task(http.post(url, json=payment(demo), headers=headers))
    await release.reached()
    sandbox.clock.advance(timedelta(hours=1))
    assert (await http.post(url, json=payment(demo), headers=headers)).status_code == 409
    release()
    assert (await first).status_code == 201
    assert len(await sandbox.payments(bill["id"])) == 1
