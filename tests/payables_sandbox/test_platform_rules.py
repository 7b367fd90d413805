"""Each platform's own rules on bills and attachments (docs/payables/sync/update-bill.md as it
now reads, with NetSuite, Sage Intacct and Zoho Books; the spec's Attachment schema), and the
currency rules of bill payments (the spec's currencyRate), on connections linked through the
sandbox's Link flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.platforms import MB
from payables_sandbox.seed import DemoIds
from testkit.payables import bill_json, complete_link


class Books:
    """A company linked to one platform, with a supplier, an account and a tax rate."""

    def __init__(self, http: httpx.AsyncClient, base: str, ids: dict[str, str]) -> None:
        self.http, self.base, self.ids = http, base, ids

    def bill(
        self,
        reference: str = "R-1",
        lines: int = 1,
        tax: bool = True,
        tax_amount: str | None = None,
        supplier: str | None = None,
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "unitAmount": "100.00",
            "quantity": "1",
            "accountRef": {"id": self.ids["account"]},
        }
        if tax:
            line["taxRateRef"] = {"id": self.ids["tax"]}
        if tax_amount is not None:
            line["taxAmount"] = tax_amount
        return {
            "reference": reference,
            "supplierRef": {"id": supplier or self.ids["supplier"]},
            "issueDate": "2026-11-22T00:00:00",
            "dueDate": "2026-12-22T00:00:00",
            "currency": "GBP",
            "status": "Open",
            "lineItems": [line] * lines,
        }

    async def create(self, **changes: Any) -> httpx.Response:
        return await self.http.post(f"{self.base}/bills", json=self.bill(**changes))


@pytest.fixture
def books(http: httpx.AsyncClient, sandbox: Sandbox) -> Callable[[str], Awaitable[Books]]:
    async def make(platform_key: str) -> Books:
        company = (await http.post("/companies", json={"name": f"Books {platform_key}"})).json()
        connection = (
            await http.post(
                f"/companies/{company['id']}/connections", json={"platformKey": platform_key}
            )
        ).json()
        await complete_link(httpx.ASGITransport(app=sandbox.app), connection["linkUrl"])
        base = f"/companies/{company['id']}/connections/{connection['id']}/payables"
        options = (await http.get(f"{base}/mappingOptions/bills")).json()
        supplier = await http.post(
            f"{base}/suppliers", json={"supplierName": "Paper Co", "status": "Active"}
        )
        ids = {
            "account": options["accounts"][0]["id"],
            "tax": options["taxRates"][0]["id"],
            "supplier": supplier.json()["id"],
        }
        return Books(http, base, ids)

    return make


def messages(response: httpx.Response) -> str:
    body = response.json()
    return (
        " ".join(e["message"] for e in (body.get("validation") or {}).get("errors", []))
        or body["error"]
    )


# ---------------------------------------------------------------- connections


async def test_unknown_platform_keys_are_refused(http: httpx.AsyncClient, demo: DemoIds) -> None:
    response = await http.post(
        f"/companies/{demo.company_id}/connections", json={"platformKey": "zzzz"}
    )
    assert response.status_code == 400 and "'zzzz' is not a platform" in response.json()["error"]


async def test_patch_cannot_link_a_connection(http: httpx.AsyncClient, demo: DemoIds) -> None:
    created = (
        await http.post(f"/companies/{demo.company_id}/connections", json={"platformKey": "gbol"})
    ).json()
    url = f"/companies/{demo.company_id}/connections/{created['id']}"
    refused = await http.patch(url, json={"status": "Linked"})
    assert refused.status_code == 400 and "Link flow" in refused.json()["error"]
    assert (await http.get(url)).json()["status"] == "PendingAuth"


async def test_the_link_page_is_a_page_a_person_can_use(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    created = (
        await http.post(f"/companies/{demo.company_id}/connections", json={"platformKey": "qhyg"})
    ).json()
    assert created["linkUrl"].startswith("http://sandbox/link/companies/")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as browser:
        page = await browser.get(created["linkUrl"])  # no API key: the link is the credential
    assert page.headers["content-type"].startswith("text/html")
    assert "QuickBooks Online" in page.text and ">Authorise</button>" in page.text


@pytest.mark.sandbox(public_url="https://sandbox.example")
async def test_link_urls_can_point_at_a_public_address(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    created = await http.post(
        f"/companies/{demo.company_id}/connections", json={"platformKey": "gbol"}
    )
    assert created.json()["linkUrl"].startswith("https://sandbox.example/link/companies/")


# ---------------------------------------------------------------- bills


async def test_bills_are_created_open_and_only_open_bills_change(
    http: httpx.AsyncClient, books: Callable[[str], Awaitable[Books]], demo: DemoIds
) -> None:
    xero = await books("gbol")
    draft = await xero.http.post(f"{xero.base}/bills", json={**xero.bill(), "status": "Draft"})
    assert draft.status_code == 400 and "Status must be equal to Open" in messages(draft)

    bill = (await xero.create()).json()
    changed = await http.put(f"{xero.base}/bills/{bill['id']}", json=xero.bill("R-2", lines=2))
    assert changed.status_code == 200
    assert changed.json()["reference"] == "R-2" and len(changed.json()["lineItems"]) == 2
    void = await http.put(f"{xero.base}/bills/{bill['id']}", json={**xero.bill(), "status": "Void"})
    assert void.status_code == 400

    base = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    partly_paid = await bill_json(http, base, "AL-2026-117")
    refused = await http.put(
        f"{base}/bills/{partly_paid['id']}",
        json={
            "supplierRef": partly_paid["supplierRef"],
            "issueDate": partly_paid["issueDate"],
            "dueDate": partly_paid["dueDate"],
            "currency": "EUR",
            "status": "Open",
            "lineItems": partly_paid["lineItems"],
        },
    )
    assert refused.status_code == 400 and "only Open bills can be updated" in messages(refused)


@pytest.mark.parametrize(
    ("platform_key", "limit"),
    [("qhyg", 21), ("akxx", 45), ("rwuv", 50), ("knfz", 100), ("gbol", 255), ("fbrh", 255)],
)
async def test_reference_length_limits(
    books: Callable[[str], Awaitable[Books]], platform_key: str, limit: int
) -> None:
    company = await books(platform_key)
    tax = platform_key != "fbrh"  # FreeAgent takes the tax as an amount, never a rate
    assert (await company.create(reference="R" * limit, tax=tax)).status_code == 201
    too_long = await company.create(reference="R" * (limit + 1), tax=tax)
    assert too_long.status_code == 400
    assert str(limit) in messages(too_long)


@pytest.mark.parametrize("platform_key", ["qhyg", "gbol"])
async def test_tax_rate_required(
    books: Callable[[str], Awaitable[Books]], platform_key: str
) -> None:
    company = await books(platform_key)
    missing = await company.create(tax=False)
    assert missing.status_code == 400 and "taxRateRef is required" in messages(missing)


async def test_freeagent_refuses_tax_rates_and_takes_40_lines(
    books: Callable[[str], Awaitable[Books]],
) -> None:
    freeagent = await books("fbrh")
    with_rate = await freeagent.create()
    assert with_rate.status_code == 400 and "taxRateRef must be null" in messages(with_rate)
    assert (await freeagent.create(tax=False, lines=40)).status_code == 201
    too_many = await freeagent.create(tax=False, lines=41)
    assert too_many.status_code == 400 and "at most 40 line items" in messages(too_many)


@pytest.mark.parametrize(
    ("platform_key", "tax_amount", "accepted"),
    [
        ("akxx", "20.00", False),
        ("akxx", "0", False),  # sent, so the rate goes with it
        ("akxx", None, True),
        ("knfz", "20.00", False),
        ("knfz", None, True),
        ("rwuv", "20.00", False),
        ("rwuv", "0", True),  # only a non-zero taxAmount needs the rate
        ("rwuv", None, True),
    ],
)
async def test_tax_rate_goes_with_the_tax_amount(
    books: Callable[[str], Awaitable[Books]],
    platform_key: str,
    tax_amount: str | None,
    accepted: bool,
) -> None:
    """NetSuite and Sage Intacct: taxRateRef "Required with taxAmount"; Zoho Books: "Required
    with a non-zero taxAmount" (update-bill.md's Software requirements)."""
    company = await books(platform_key)
    without_rate = await company.create(tax=False, tax_amount=tax_amount)
    assert (without_rate.status_code == 201) is accepted, without_rate.text
    if not accepted:
        assert "taxRateRef is required with" in messages(without_rate)
    assert (await company.create(reference="R-2", tax_amount=tax_amount)).status_code == 201


@pytest.mark.parametrize("platform_key", ["fbrh", "akxx", "qhyg", "knfz", "gbol", "rwuv"])
async def test_bills_can_be_updated_on_every_bill_pay_platform(
    http: httpx.AsyncClient, books: Callable[[str], Awaitable[Books]], platform_key: str
) -> None:
    company = await books(platform_key)
    tax = platform_key != "fbrh"
    bill = (await company.create(tax=tax)).json()
    response = await http.put(
        f"{company.base}/bills/{bill['id']}", json=company.bill("R-9", lines=2, tax=tax)
    )
    assert response.status_code == 200, response.text
    assert response.json()["reference"] == "R-9" and len(response.json()["lineItems"]) == 2


async def test_zoho_books_takes_a_reference_once_per_supplier(
    http: httpx.AsyncClient, books: Callable[[str], Awaitable[Books]]
) -> None:
    zoho = await books("rwuv")
    first = (await zoho.create(reference="INV-7")).json()
    again = await zoho.create(reference="INV-7")
    assert again.status_code == 400
    assert "Reference has already been used for this supplier" in messages(again)
    other = await http.post(
        f"{zoho.base}/suppliers", json={"supplierName": "Ink Ltd", "status": "Active"}
    )
    elsewhere = await http.post(
        f"{zoho.base}/bills", json=zoho.bill("INV-7", supplier=other.json()["id"])
    )
    assert elsewhere.status_code == 201
    unchanged = await http.put(f"{zoho.base}/bills/{first['id']}", json=zoho.bill("INV-7"))
    assert unchanged.status_code == 200  # its own reference is no clash


# ---------------------------------------------------------------- attachments


@pytest.mark.parametrize(
    ("name", "size", "accepted"),
    [
        ("invoice.pdf", 4 * MB, True),
        ("invoice.pdf", 4 * MB + 1, False),
        ("invoice.exe", 10, False),
        ("invoice", 10, False),
        ("Receipt.JPG", 10, True),
    ],
)
async def test_xero_attachment_size_and_type(
    http: httpx.AsyncClient,
    books: Callable[[str], Awaitable[Books]],
    name: str,
    size: int,
    accepted: bool,
) -> None:
    xero = await books("gbol")
    bill = (await xero.create()).json()
    response = await http.post(
        f"{xero.base}/bills/{bill['id']}/attachments", files={"file": (name, b"x" * size)}
    )
    assert response.status_code == (201 if accepted else 400), response.text
    if not accepted:
        assert "Xero" in messages(response)


async def test_the_demo_platform_takes_any_file(http: httpx.AsyncClient, demo: DemoIds) -> None:
    base = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    bill = (await http.get(f"{base}/bills")).json()["results"][0]
    response = await http.post(
        f"{base}/bills/{bill['id']}/attachments", files={"file": ("notes.exe", b"x" * 10)}
    )
    assert response.status_code == 201


# ---------------------------------------------------------------- currency rates


async def pay(
    http: httpx.AsyncClient, demo: DemoIds, reference: str, account: str, **extra: Any
) -> httpx.Response:
    base = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    bill = await bill_json(http, base, reference)
    body = {
        "amount": "100.00",
        "date": "2026-11-22T00:00:00",
        "accountRef": {"id": demo.bank_accounts[account]},
        **extra,
    }
    return await http.post(f"{base}/bills/{bill['id']}/payment", json=body)


async def test_a_foreign_bill_needs_a_rate_even_from_an_account_in_its_currency(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    missing = await pay(http, demo, "AL-2026-124", "EUR")  # a EUR bill from the Euro Account
    assert missing.status_code == 400 and "currencyRate is required" in messages(missing)
    assert "(GBP)" in messages(missing)
    zero = await pay(http, demo, "AL-2026-124", "EUR", currencyRate="0")
    assert zero.status_code == 400 and "Currency Rate must be greater than 0" in messages(zero)
    paid = await pay(http, demo, "AL-2026-124", "EUR", currencyRate="0.86")
    assert paid.status_code == 201


async def test_the_base_amount_the_rate_implies_is_recorded(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    right = await pay(http, demo, "AL-2026-124", "GBP", currencyRate="0.86")  # GBP per EUR
    wrong = await pay(http, demo, "AL-2026-124", "GBP", currencyRate="1.1628")  # EUR per GBP
    assert right.status_code == wrong.status_code == 201
    base = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    bill = await bill_json(http, base, "AL-2026-124")
    records = {p["id"]: p for p in await sandbox.payments(bill["id"])}
    # €100 at 0.86 is £86.00; the rate written the other way round books £116.28 instead.
    assert records[right.json()["id"]]["baseAmount"] == Decimal("86.00")
    assert records[wrong.json()["id"]]["baseAmount"] == Decimal("116.28")


async def test_a_third_currency_is_refused(http: httpx.AsyncClient, demo: DemoIds) -> None:
    response = await pay(http, demo, "AL-2026-124", "USD", currencyRate="0.86")
    assert response.status_code == 400
    assert "two currencies other than the base currency" in messages(response)


async def test_a_base_currency_bill_takes_no_rate_but_1(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    assert (await pay(http, demo, "KC-40019", "GBP", currencyRate="1")).status_code == 201
    wrong = await pay(http, demo, "KC-40019", "GBP", currencyRate="1.2")
    assert wrong.status_code == 400 and "must be 1 or omitted" in messages(wrong)
    from_euros = await pay(http, demo, "KC-40019", "EUR", currencyRate="1.16")
    assert from_euros.status_code == 400  # EUR is neither the bill's nor the base currency


@pytest.mark.parametrize(
    ("key", "name", "size", "accepted"),
    [
        ("qhyg", "invoice.pdf", 10, True),
        ("qhyg", "invoice.xml", 10, True),
        ("qhyg", "invoice.zip", 10, False),  # Xero and NetSuite take zips; QuickBooks doesn't
        ("akxx", "invoice.json", 10, True),
        ("akxx", "invoice.gif", 10, False),  # QuickBooks and Xero take gifs; NetSuite doesn't
        ("akxx", "invoice.pjpeg", 10, True),
    ],
)
async def test_quickbooks_and_netsuite_attachment_types(
    http: httpx.AsyncClient,
    books: Callable[[str], Awaitable[Books]],
    key: str,
    name: str,
    size: int,
    accepted: bool,
) -> None:
    platform = await books(key)
    bill = (await platform.create()).json()
    response = await http.post(
        f"{platform.base}/bills/{bill['id']}/attachments", files={"file": (name, b"x" * size)}
    )
    assert response.status_code == (201 if accepted else 400), response.text


async def test_an_empty_file_is_refused_and_a_file_comes_back_byte_for_byte(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    base = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
    bill = (await http.get(f"{base}/bills")).json()["results"][0]
    empty = await http.post(
        f"{base}/bills/{bill['id']}/attachments", files={"file": ("empty.pdf", b"")}
    )
    assert empty.status_code == 400 and "empty" in messages(empty)
    content = bytes(range(256)) * 3
    created = await http.post(
        f"{base}/bills/{bill['id']}/attachments",
        files={"file": ("facture n°1.pdf", content, "application/pdf")},
    )
    assert created.status_code == 201
    attachment = created.json()
    assert attachment["fileSize"] == len(content) and attachment["contentType"] == "application/pdf"
    listed = (await http.get(f"{base}/bills/{bill['id']}/attachments")).json()
    assert [a["id"] for a in listed] == [attachment["id"]]
    download = await http.get(f"{base}/bills/{bill['id']}/attachments/{attachment['id']}/download")
    assert download.content == content
    assert "facture%20n%C2%B01.pdf" in download.headers["content-disposition"]
