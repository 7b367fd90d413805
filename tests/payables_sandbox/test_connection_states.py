"""What a connection that is no longer linked still serves (docs/core-concepts/connections.md):
data already read or written stays readable on a Deauthorized or Unlinked connection, and no new
write goes through until the company links it again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import complete_link


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def new_supplier(name: str) -> dict[str, str]:
    return {"supplierName": name, "status": "Active"}


async def _unlink(http: httpx.AsyncClient, sandbox: Sandbox, demo: DemoIds) -> None:
    path = f"/companies/{demo.company_id}/connections/{demo.connection_id}"
    response = await http.patch(path, json={"status": "Unlinked"})
    assert response.json()["status"] == "Unlinked"


async def _deauthorize(http: httpx.AsyncClient, sandbox: Sandbox, demo: DemoIds) -> None:
    await sandbox.deauthorize(demo.company_id, demo.connection_id)
    path = f"/companies/{demo.company_id}/connections/{demo.connection_id}"
    assert (await http.get(path)).json()["status"] == "Deauthorized"


Cut = Callable[[httpx.AsyncClient, Sandbox, DemoIds], Awaitable[None]]


@pytest.mark.parametrize("cut", [_unlink, _deauthorize], ids=["Unlinked", "Deauthorized"])
async def test_a_connection_no_longer_linked_serves_what_it_had_and_takes_no_writes(
    http: httpx.AsyncClient, sandbox: Sandbox, demo: DemoIds, cut: Cut
) -> None:
    base = payables(demo)
    before = {path: (await http.get(base + path)).json() for path in ("/bills", "/suppliers")}
    await cut(http, sandbox, demo)

    for path, listed in before.items():
        again = await http.get(base + path)
        assert again.status_code == 200 and again.json() == listed
    assert (await http.get(base + "/mappingOptions/payments")).status_code == 200

    refused = await http.post(base + "/suppliers", json=new_supplier("Later Ltd"))
    assert refused.status_code == 400
    assert "linked again" in refused.json()["error"]
    (bill, *_) = before["/bills"]["results"]
    payment = {
        "amount": "1.00",
        "date": "2026-11-22",
        "accountRef": {"id": demo.bank_accounts["GBP"]},
    }
    paid = await http.post(f"{base}/bills/{bill['id']}/payment", json=payment)
    assert paid.status_code == 400
    assert await sandbox.payments(bill["id"]) == []


async def test_linking_again_lets_writes_through(
    http: httpx.AsyncClient, sandbox: Sandbox, demo: DemoIds
) -> None:
    await _deauthorize(http, sandbox, demo)
    path = f"/companies/{demo.company_id}/connections/{demo.connection_id}"
    link_url = (await http.get(path)).json()["linkUrl"]
    await complete_link(httpx.ASGITransport(app=sandbox.app), link_url)
    assert (await http.get(path)).json()["status"] == "Linked"
    created = await http.post(payables(demo) + "/suppliers", json=new_supplier("Back Ltd"))
    assert created.status_code == 201


async def test_a_connection_never_linked_serves_nothing(http: httpx.AsyncClient) -> None:
    company = (await http.post("/companies", json={"name": "Pending Ltd"})).json()
    connection = (
        await http.post(f"/companies/{company['id']}/connections", json={"platformKey": "gbol"})
    ).json()
    base = f"/companies/{company['id']}/connections/{connection['id']}/payables"
    response = await http.get(base + "/bills")
    assert response.status_code == 400 and "PendingAuth" in response.json()["error"]
