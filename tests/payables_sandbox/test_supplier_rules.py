"""Each platform's limits on updating a supplier (docs/payables/sync/suppliers.md and the
spec's update-supplier: a full replace, not on NetSuite or Sage Intacct), and a bill's line
descriptions kept as sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.payables_sandbox.test_platform_rules import Books, books, messages

__all__ = ["books"]


def supplier(name: str = "Paper Co", **fields: Any) -> dict[str, Any]:
    return {"supplierName": name, "status": "Active", **fields}


async def test_an_update_replaces_the_whole_record(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    paper = await books("mqjo")
    url = f"{paper.base}/suppliers/{paper.ids['supplier']}"
    full = supplier(emailAddress="a@paper.example", phone="0123", defaultCurrency="GBP")
    assert (await paper.http.put(url, json=full)).status_code == 200
    updated = (await paper.http.put(url, json=supplier(phone="0456"))).json()
    assert updated["phone"] == "0456"
    assert updated.get("emailAddress") is None and updated.get("defaultCurrency") is None


async def test_netsuite_and_intacct_suppliers_cannot_be_updated(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    for key, name in (("akxx", "Oracle NetSuite"), ("knfz", "Sage Intacct")):
        platform = await books(key)
        url = f"{platform.base}/suppliers/{platform.ids['supplier']}"
        answer = await platform.http.put(url, json=supplier("Paper Company"))
        assert answer.status_code == 404
        assert f"not supported by platform(s) {name}" in messages(answer)


async def test_xero_refuses_archived_suppliers_and_duplicate_names(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    xero = await books("gbol")
    other = await xero.http.post(f"{xero.base}/suppliers", json=supplier("Ink Ltd"))
    url = f"{xero.base}/suppliers/{xero.ids['supplier']}"
    clash = await xero.http.put(url, json=supplier("INK LTD"))
    assert clash.status_code == 400 and "exists" in messages(clash)
    archived = await xero.http.put(url, json=supplier(status="Archived"))
    assert archived.status_code == 200
    again = await xero.http.put(url, json=supplier("Paper Company"))
    assert again.status_code == 400 and "Archived suppliers cannot be updated" in messages(again)
    assert other.status_code == 201


async def test_quickbooks_keeps_the_currency_and_ignores_archived_changes(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    qbo = await books("qhyg")
    created = await qbo.http.post(
        f"{qbo.base}/suppliers", json=supplier("Euro Parts", defaultCurrency="EUR")
    )
    url = f"{qbo.base}/suppliers/{created.json()['id']}"
    changed = await qbo.http.put(url, json=supplier("Euro Parts", defaultCurrency="USD"))
    assert changed.status_code == 400 and "cannot change a supplier's currency" in messages(changed)
    kept = (await qbo.http.put(url, json=supplier("Euro Parts SA"))).json()
    assert kept["defaultCurrency"] == "EUR" and kept["supplierName"] == "Euro Parts SA"
    await qbo.http.put(url, json=supplier("Euro Parts SA", status="Archived"))
    ignored = (await qbo.http.put(url, json=supplier("Renamed", status="Archived"))).json()
    assert ignored["supplierName"] == "Euro Parts SA"
    revived = (await qbo.http.put(url, json=supplier("Renamed", status="Active"))).json()
    assert revived["supplierName"] == "Renamed" and revived["status"] == "Active"


async def test_freeagent_suppliers_take_the_companys_currency(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    freeagent = await books("fbrh")
    url = f"{freeagent.base}/suppliers/{freeagent.ids['supplier']}"
    updated = (await freeagent.http.put(url, json=supplier(defaultCurrency="JPY"))).json()
    assert updated["defaultCurrency"] == "GBP"


async def test_line_descriptions_are_kept(books: Callable[[str], Awaitable[Books]]) -> None:
    paper = await books("mqjo")
    bill = paper.bill()
    bill["lineItems"] = [{**bill["lineItems"][0], "description": "A4 paper, 5 reams"}]
    created = await paper.http.post(f"{paper.base}/bills", json=bill)
    assert created.status_code == 201
    assert created.json()["lineItems"][0]["description"] == "A4 paper, 5 reams"
