"""Each platform's limits on updating a supplier (docs/payables/sync/suppliers.md: a full
replace, on all six Bill Pay platforms, each with its own limits), and a bill's line
descriptions kept as sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

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


@pytest.mark.parametrize("platform_key", ["akxx", "knfz", "rwuv"])
async def test_netsuite_intacct_and_zoho_suppliers_can_be_updated(
    books: Callable[[str], Awaitable[Books]], platform_key: str
) -> None:
    platform = await books(platform_key)
    url = f"{platform.base}/suppliers/{platform.ids['supplier']}"
    answer = await platform.http.put(url, json=supplier("Paper Company", defaultCurrency="EUR"))
    assert answer.status_code == 200 and answer.json()["supplierName"] == "Paper Company"
    kept = await platform.http.put(url, json=supplier("Paper Company"))
    assert kept.json()["defaultCurrency"] == "EUR"  # a null currency leaves it as it is


@pytest.mark.parametrize("platform_key", ["akxx", "rwuv"])
async def test_netsuite_and_zoho_refuse_duplicate_names(
    books: Callable[[str], Awaitable[Books]], platform_key: str
) -> None:
    platform = await books(platform_key)
    await platform.http.post(f"{platform.base}/suppliers", json=supplier("Ink Ltd"))
    url = f"{platform.base}/suppliers/{platform.ids['supplier']}"
    clash = await platform.http.put(url, json=supplier("ink ltd"))
    assert clash.status_code == 400 and "exists" in messages(clash)


async def test_netsuite_ignores_the_contact_name(books: Callable[[str], Awaitable[Books]]) -> None:
    netsuite = await books("akxx")
    url = f"{netsuite.base}/suppliers/{netsuite.ids['supplier']}"
    updated = (await netsuite.http.put(url, json=supplier(contactName="Ann Lee"))).json()
    assert updated["contactName"] is None


async def test_intacct_keeps_one_address(books: Callable[[str], Awaitable[Books]]) -> None:
    intacct = await books("knfz")
    url = f"{intacct.base}/suppliers/{intacct.ids['supplier']}"
    addresses = [
        {"type": "Billing", "line1": "1 Mill Lane", "city": "Leeds"},
        {"type": "Delivery", "line1": "2 Dock Road", "city": "Hull"},
    ]
    updated = (await intacct.http.put(url, json=supplier(addresses=addresses))).json()
    assert [a["line1"] for a in updated["addresses"]] == ["1 Mill Lane"]


async def test_zoho_updates_an_archived_supplier_and_keeps_it_archived(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    zoho = await books("rwuv")
    url = f"{zoho.base}/suppliers/{zoho.ids['supplier']}"
    await zoho.http.put(url, json=supplier(status="Archived"))
    updated = (await zoho.http.put(url, json=supplier("Paper Company", status="Active"))).json()
    assert (updated["supplierName"], updated["status"]) == ("Paper Company", "Archived")


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
