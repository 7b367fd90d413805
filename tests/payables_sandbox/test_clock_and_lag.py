"""The sandbox's clock, and reads that lag behind a bill payment: a payment shows in reads of its
bill and supplier only once the clock has passed its write time plus
`SandboxConfig.payment_read_lag`, and, on Sage Intacct (or with `payments_need_approval`), once
it is approved. Writes check against the true figures all along."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import bill_json, complete_link

NINE = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LAG = timedelta(minutes=10)
lagging = pytest.mark.sandbox(payment_read_lag=LAG)


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def payment(account_id: str, amount: str) -> dict[str, Any]:
    return {"amount": amount, "date": "2026-11-22T00:00:00", "accountRef": {"id": account_id}}


def due(bill: dict[str, Any]) -> Decimal:
    return Decimal(str(bill["amountDue"]))


async def supplier_json(http: httpx.AsyncClient, base: str, supplier_id: str) -> dict[str, Any]:
    (supplier,) = [
        s for s in (await http.get(f"{base}/suppliers")).json()["results"] if s["id"] == supplier_id
    ]
    return supplier


async def test_the_clock_stamps_what_is_written_and_moves_when_told(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    sandbox.clock.set(NINE)
    base = payables(demo)
    created = (
        await http.post(
            f"{base}/suppliers", json={"supplierName": "Clockwork Ltd", "status": "Active"}
        )
    ).json()
    assert created["sourceModifiedDate"] == "2026-11-22T09:00:00Z"
    sandbox.clock.advance(timedelta(minutes=10))
    changed = await http.put(
        f"{base}/suppliers/{created['id']}",
        json={"supplierName": "Clockwork Ltd", "status": "Active", "phone": "01223 000000"},
    )
    assert changed.json()["sourceModifiedDate"] == "2026-11-22T09:10:00Z"
    assert sandbox.clock.now() == NINE + timedelta(minutes=10)  # stopped: it doesn't run on


async def test_a_running_clock_moved_on_keeps_running(sandbox: Sandbox) -> None:
    before = datetime.now(UTC)
    sandbox.clock.advance(timedelta(days=1))
    assert sandbox.clock.now() - before >= timedelta(days=1)
    assert not sandbox.clock.stopped


@lagging
async def test_a_payment_shows_in_reads_only_once_the_lag_has_passed(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    base = payables(demo)
    sandbox.clock.set(NINE)
    bill = await bill_json(http, base, "KC-40019")  # £310.80 due, Kestrel
    supplier = await supplier_json(http, base, demo.suppliers["kestrel"])
    account = demo.bank_accounts["GBP"]

    paid = await http.post(f"{base}/bills/{bill['id']}/payment", json=payment(account, "10.00"))
    assert paid.status_code == 201
    sandbox.clock.advance(LAG - timedelta(seconds=1))
    unchanged = await bill_json(http, base, "KC-40019")
    assert {k: unchanged[k] for k in ("amountDue", "status", "sourceModifiedDate")} == {
        k: bill[k] for k in ("amountDue", "status", "sourceModifiedDate")
    }
    assert (await supplier_json(http, base, supplier["id"]))["balance"] == supplier["balance"]

    # Writes check against the true figures: £300.80 is due, whatever reads show.
    too_much = await http.post(
        f"{base}/bills/{bill['id']}/payment", json=payment(account, "310.80")
    )
    assert too_much.status_code == 400
    assert "more than the amount due" in too_much.json()["error"]

    sandbox.clock.advance(timedelta(seconds=1))
    landed = await bill_json(http, base, "KC-40019")
    assert (due(landed), landed["status"]) == (Decimal("300.80"), "PartiallyPaid")
    # Stamped when it was written, not when reads first showed it.
    assert landed["sourceModifiedDate"] == "2026-11-22T09:00:00Z"
    balance = (await supplier_json(http, base, supplier["id"]))["balance"]
    assert Decimal(str(balance)) == Decimal(str(supplier["balance"])) - Decimal("10.00")


@lagging
async def test_polling_for_changes_since_the_last_read_misses_a_lagging_payment(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    """A client that asks for bills modified since its last read never sees the payment: it
    shows up with its write time, which is before that read."""
    base = payables(demo)
    sandbox.clock.set(NINE)
    bill = await bill_json(http, base, "KC-40019")
    await http.post(
        f"{base}/bills/{bill['id']}/payment", json=payment(demo.bank_accounts["GBP"], "310.80")
    )
    sandbox.clock.advance(timedelta(minutes=5))
    listed = (await http.get(f"{base}/bills")).json()["results"]
    assert bill["id"] in [b["id"] for b in listed]  # still outstanding, as far as reads go
    last_read = "2026-11-22T09:05:00Z"

    sandbox.clock.advance(LAG)
    since = await http.get(f"{base}/bills", params={"query": f"sourceModifiedDate>{last_read}"})
    assert bill["id"] not in [b["id"] for b in since.json()["results"]]
    outstanding = (await http.get(f"{base}/bills")).json()["results"]
    assert bill["id"] not in [b["id"] for b in outstanding]
    assert (await bill_json(http, base, "KC-40019"))["status"] == "Paid"


async def _intacct_books(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> tuple[str, dict[str, Any], str]:
    """A company on Sage Intacct with one open £120 bill: its payables path, the bill and a
    bank account."""
    company = (await http.post("/companies", json={"name": "Intacct Books"})).json()
    connection = (
        await http.post(f"/companies/{company['id']}/connections", json={"platformKey": "knfz"})
    ).json()
    await complete_link(httpx.ASGITransport(app=sandbox.app), connection["linkUrl"])
    base = f"/companies/{company['id']}/connections/{connection['id']}/payables"
    options = (await http.get(f"{base}/mappingOptions/bills")).json()
    supplier = (
        await http.post(f"{base}/suppliers", json={"supplierName": "Paper Co", "status": "Active"})
    ).json()
    line = {
        "unitAmount": "100.00",
        "taxAmount": "20.00",
        "accountRef": {"id": options["accounts"][0]["id"]},
        "taxRateRef": {"id": options["taxRates"][0]["id"]},
    }
    bill = (
        await http.post(
            f"{base}/bills",
            json={
                "reference": "INT-1",
                "supplierRef": {"id": supplier["id"]},
                "issueDate": "2026-11-22",
                "dueDate": "2026-12-22",
                "currency": "GBP",
                "status": "Open",
                "lineItems": [line],
            },
        )
    ).json()
    account = (
        await http.post(
            f"{base}/bankAccounts",
            json={
                "name": "Operating",
                "accountType": "Debit",
                "accountNumber": "12345678",
                "currency": "GBP",
            },
        )
    ).json()
    return base, bill, account["id"]


async def test_on_sage_intacct_a_payment_is_left_out_of_reads_until_approved(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    base, bill, account = await _intacct_books(http, sandbox)
    paid = await http.post(f"{base}/bills/{bill['id']}/payment", json=payment(account, "120.00"))
    assert paid.status_code == 201  # written
    sandbox.clock.advance(timedelta(days=1))
    still = await bill_json(http, base, "INT-1")
    assert (due(still), still["status"]) == (Decimal("120.00"), "Open")
    (recorded,) = await sandbox.payments(bill["id"])
    assert recorded["awaitingApproval"] is True
    again = await http.post(f"{base}/bills/{bill['id']}/payment", json=payment(account, "1.00"))
    assert again.status_code == 400  # the platform has it: nothing is left to pay

    assert await sandbox.approve_payments() == 1
    approved = await bill_json(http, base, "INT-1")
    assert (due(approved), approved["status"]) == (Decimal("0"), "Paid")


@pytest.mark.sandbox(payments_need_approval=True)
async def test_approval_can_be_asked_everywhere_and_given_bill_by_bill(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    base = payables(demo)
    first = await bill_json(http, base, "KC-40019")
    second = await bill_json(http, base, "PF-2304")
    for bill in (first, second):
        written = await http.post(
            f"{base}/bills/{bill['id']}/payment", json=payment(demo.bank_accounts["GBP"], "5.00")
        )
        assert written.status_code == 201
    assert await sandbox.approve_payments(bill_id=second["id"]) == 1
    assert due(await bill_json(http, base, "KC-40019")) == due(first)
    assert due(await bill_json(http, base, "PF-2304")) == due(second) - 5
    assert await sandbox.approve_payments() == 1  # the other one; nothing twice


@pytest.mark.sandbox(payment_read_lag=LAG, payments_need_approval=True)
async def test_an_approved_payment_still_waits_out_the_lag(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    base = payables(demo)
    sandbox.clock.set(NINE)
    bill = await bill_json(http, base, "KC-40019")
    await http.post(
        f"{base}/bills/{bill['id']}/payment", json=payment(demo.bank_accounts["GBP"], "5.00")
    )
    await sandbox.approve_payments()
    assert due(await bill_json(http, base, "KC-40019")) == due(bill)
    sandbox.clock.advance(LAG)
    assert due(await bill_json(http, base, "KC-40019")) == due(bill) - 5
