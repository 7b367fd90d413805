"""The sandbox as a service: concurrency safety, connections, the seed, auth, faults, and the
spec's paths and status codes. Raw HTTP here, so that status codes and bodies are seen as sent."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from billpay.core import jsoncodec
from billpay.payables.client import PayablesClient, new_idempotency_key
from billpay.payables.errors import PayablesBadRequest, PayablesConflict, PayablesUnprocessable
from billpay.payables.models import BillPaymentPrototype, Ref
from payables_sandbox.app import Sandbox
from payables_sandbox.faults import FaultConfig
from payables_sandbox.seed import DemoIds
from testkit.payables import SANDBOX_KEY, TODAY, bill_by_reference, bills_json, complete_link

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "codat" / "sync-for-payables-v3.yaml"


def auth(key: str = SANDBOX_KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}


def payables_path(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


async def outstanding(payables: PayablesClient, demo: DemoIds, reference: str) -> Decimal:
    return (await bill_by_reference(payables, demo, reference)).outstanding_amount


# ---------------------------------------------------------------- money under concurrency


async def test_concurrent_requests_with_one_key_pay_once(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "PF-2304")
    payment = BillPaymentPrototype(
        amount=Decimal("100.00"), date="2026-11-22", account_ref=Ref(id=demo.bank_accounts["GBP"])
    )

    key = new_idempotency_key()
    results = await asyncio.gather(
        *(
            payables.create_bill_payment(
                demo.company_id, demo.connection_id, bill.id, payment, idempotency_key=key
            )
            for _ in range(6)
        ),
        return_exceptions=True,
    )

    # Each gets the one payment, or (while it is still being written) Codat's 409.
    paid = [r for r in results if not isinstance(r, BaseException)]
    assert paid and len({r.id for r in paid}) == 1
    assert all(isinstance(r, PayablesConflict) for r in results if isinstance(r, BaseException))
    assert await outstanding(payables, demo, "PF-2304") == bill.outstanding_amount - 100


async def test_concurrent_payments_never_exceed_the_amount_due(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "PF-2304")
    share = (bill.outstanding_amount / 2).quantize(Decimal("0.01"))
    payment = BillPaymentPrototype(
        amount=share, date="2026-11-22", account_ref=Ref(id=demo.bank_accounts["GBP"])
    )

    results = await asyncio.gather(
        *(
            payables.create_bill_payment(demo.company_id, demo.connection_id, bill.id, payment)
            for _ in range(5)
        ),
        return_exceptions=True,
    )

    accepted = [r for r in results if not isinstance(r, BaseException)]
    rejected = [r for r in results if isinstance(r, BaseException)]
    assert len(accepted) == 2
    assert all(isinstance(r, PayablesBadRequest) for r in rejected)
    assert await outstanding(payables, demo, "PF-2304") == bill.outstanding_amount - 2 * share


async def test_key_reused_on_another_endpoint_is_a_422(
    payables: PayablesClient, demo: DemoIds
) -> None:
    key = new_idempotency_key()
    await payables.create_company("Keyed Ltd", idempotency_key=key)
    with pytest.raises(PayablesUnprocessable):
        await payables.create_connection(demo.company_id, "mqjo", idempotency_key=key)


# ---------------------------------------------------------------- companies and connections


async def test_connections_wait_for_the_link_flow_and_only_linked_ones_unlink(
    payables: PayablesClient, sandbox: Sandbox
) -> None:
    company = await payables.create_company("Link Test Ltd")
    demo_platform = await payables.create_connection(company.id, "mqjo")
    pending = await payables.create_connection(company.id, "gbol")

    assert (demo_platform.status, pending.status) == ("PendingAuth", "PendingAuth")
    assert pending.platform_name == "Xero"
    assert pending.link_url and pending.link_url.startswith("http://sandbox.test/link/")
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.list_bills(company.id, pending.id)
    assert "PendingAuth" in (caught.value.error or "")
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.unlink_connection(company.id, pending.id)
    assert "Only Linked connections can be unlinked" in (caught.value.error or "")

    page = await complete_link(httpx.ASGITransport(app=sandbox.app), pending.link_url)
    assert "Xero is connected" in page.text
    linked = await payables.get_connection(company.id, pending.id)
    assert linked.status == "Linked"
    options = await payables.get_bill_mapping_options(company.id, pending.id)
    assert options.accounts, "a newly linked connection brings its chart of accounts"
    info = await payables.get_company_information(company.id, pending.id)
    assert (info.company_name, info.base_currency) == ("Link Test Ltd", "GBP")

    unlinked = await payables.unlink_connection(company.id, pending.id)
    assert unlinked.status == "Unlinked"
    listed = await payables.get_company(company.id)
    assert sorted(c.status for c in listed.data_connections) == ["PendingAuth", "Unlinked"]
    await payables.delete_company(company.id)
    names = [c.name async for c in payables.iter_companies()]
    assert "Link Test Ltd" not in names


async def test_company_names_are_validated(http: httpx.AsyncClient) -> None:
    response = await http.post("/companies", json={"name": "Bad <script> Ltd"})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["validation"]["errors"][0]["message"].startswith("name:")


async def test_creates_answer_201_and_errors_are_error_messages(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    base = payables_path(demo)
    created = await http.post(
        f"{base}/suppliers", json={"supplierName": "Status Code Co", "status": "Active"}
    )
    assert created.status_code == 201
    missing = await http.post(f"{base}/suppliers", json={"status": "Active"})
    assert missing.status_code == 400
    assert "supplierName" in missing.json()["error"]
    not_json = await http.post(
        f"{base}/suppliers", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    unknown = await http.get(f"/companies/{demo.company_id}/connections/nope")
    assert unknown.status_code == 404
    assert set(unknown.json()) >= {"statusCode", "error", "correlationId", "canBeRetried"}


async def test_wrong_or_missing_key_is_401(sandbox: Sandbox) -> None:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        assert (await client.get("/companies")).status_code == 401
        assert (await client.get("/companies", headers=auth("wrong"))).status_code == 401
        raw = {"Authorization": f"Basic {SANDBOX_KEY}"}  # not base64: not accepted
        assert (await client.get("/companies", headers=raw)).status_code == 401
        assert (await client.get("/companies", headers=auth())).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


# ---------------------------------------------------------------- the seed


async def test_the_demo_company_is_believable(payables: PayablesClient, demo: DemoIds) -> None:
    bills = [b async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    suppliers = [s async for s in payables.iter_suppliers(demo.company_id, demo.connection_id)]
    banks = await payables.get_payment_mapping_options(demo.company_id, demo.connection_id)
    info = await payables.get_company_information(demo.company_id, demo.connection_id)

    assert info.base_currency == "GBP"
    assert len(bills) == 25
    assert {b.currency for b in bills} == {"GBP", "EUR", "USD"}
    assert len([s for s in suppliers if s.status == "Active"]) >= 8
    assert sorted(b.currency for b in banks.bank_accounts) == ["EUR", "GBP", "USD"]
    due = [b.due_on for b in bills]
    assert any(d < TODAY for d in due)
    assert any(d == TODAY for d in due)
    assert any(TODAY < d <= TODAY + timedelta(days=7) for d in due)
    assert any(d > TODAY + timedelta(days=7) for d in due)
    assert sum(b.status == "PartiallyPaid" for b in bills) >= 3
    for bill in bills:
        lines = bill.line_items or []
        assert sum((line.total_amount or 0) for line in lines) == bill.total_amount
    # Each supplier's balance is what its bills in its currency still owe.
    for supplier in suppliers:
        owed = sum(
            (
                b.outstanding_amount
                for b in bills
                if b.supplier_ref.id == supplier.id and b.currency == supplier.default_currency
            ),
            Decimal(0),
        )
        assert supplier.balance == owed, supplier.supplier_name


async def test_the_seed_is_deterministic(sandbox: Sandbox, make_sandbox: Any) -> None:
    async def snapshot(box: Sandbox) -> bytes:
        assert box.demo is not None
        transport = httpx.ASGITransport(app=box.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://s", headers=auth()
        ) as client:
            response = await client.get(payables_path(box.demo) + "/bills")
            return response.content

    first = await snapshot(sandbox)
    await sandbox.stop()
    again = make_sandbox()  # reset=True: drops everything and seeds anew
    await again.start()
    assert await snapshot(again) == first


async def test_restarting_keeps_data(sandbox: Sandbox, make_sandbox: Any) -> None:
    assert sandbox.demo is not None
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=auth()) as c:
        await c.post("/companies", json={"name": "Survivor Ltd"})
    await sandbox.stop()
    again = make_sandbox(reset=False)
    await again.start()
    transport = httpx.ASGITransport(app=again.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=auth()) as c:
        names = [co["name"] for co in (await c.get("/companies")).json()["results"]]
    assert sorted(names) == ["Larkspur Design Studio Ltd", "Survivor Ltd"]


# ---------------------------------------------------------------- faults


@pytest.mark.sandbox(faults=FaultConfig(rate_limit_requests=3, rate_limit_window_seconds=60))
async def test_configured_rate_limit_answers_429_with_retry_after(
    http: httpx.AsyncClient,
) -> None:
    statuses = [(await http.get("/companies")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = await http.get("/companies")
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["statusCode"] == 429


@pytest.mark.sandbox(faults=FaultConfig(error_rate=0.5, random_seed=3))
async def test_configured_error_rate_fails_some_requests(http: httpx.AsyncClient) -> None:
    statuses = [(await http.get("/companies")).status_code for _ in range(40)]
    failures = statuses.count(503)
    assert 8 <= failures <= 32
    assert set(statuses) == {200, 503}


# ---------------------------------------------------------------- the spec


def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"the payables API spec is not at {SPEC}; it is read from ../shared")
    return yaml.safe_load(SPEC.read_text())


def test_every_operation_of_the_spec_is_served(sandbox: Sandbox) -> None:
    spec = _spec()
    wanted = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    served = {
        (method.upper(), path)
        for path, item in sandbox.app.openapi()["paths"].items()
        for method in item
    }
    assert len(wanted) == 25
    assert wanted - served == set()


async def test_create_status_codes_match_the_spec(http: httpx.AsyncClient, demo: DemoIds) -> None:
    spec = _spec()
    expected = {
        (method.upper(), path): next(code for code in op["responses"] if code.startswith("2"))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    }
    base = payables_path(demo)
    payables = "/companies/{companyId}/connections/{connectionId}/payables"
    company = await http.post("/companies", json={"name": "Codes Ltd"})
    company_id = company.json()["id"]
    observed = {
        ("POST", "/companies"): company,
        ("POST", "/companies/{companyId}/connections"): await http.post(
            f"/companies/{company_id}/connections", json={"platformKey": "mqjo"}
        ),
        ("POST", f"{payables}/suppliers"): await http.post(
            f"{base}/suppliers", json={"supplierName": "X", "status": "Active"}
        ),
        ("POST", f"{payables}/bankAccounts"): await http.post(
            f"{base}/bankAccounts",
            json={"name": "A", "accountType": "Debit", "accountNumber": "1", "currency": "GBP"},
        ),
        ("PATCH", "/companies/{companyId}"): await http.patch(
            f"/companies/{company_id}", json={"description": "d"}
        ),
        ("DELETE", "/companies/{companyId}"): await http.delete(f"/companies/{company_id}"),
    }
    assert expected[("POST", f"{payables}/bills")] == "201"
    for key, response in observed.items():
        assert str(response.status_code) == expected[key], (key, response.text)


def test_money_goes_out_as_exact_json_numbers() -> None:
    text = jsoncodec.dumps({"amount": Decimal("1250.10"), "rate": Decimal("0.861200")})
    assert text == '{"amount":1250.10,"rate":0.861200}'
    assert jsoncodec.loads(text)["amount"] == Decimal("1250.10")


# ---------------------------------------------------------------- hostile and extreme input


@pytest.mark.parametrize(
    "payment",
    [
        {"amount": "1e20000000"},
        {"amount": 1e30},
        {"amount": 1.5, "currencyRate": 1e30},
        {"amount": 1.5, "currencyRate": "0.0000000000001"},
        {"amount": 1.5, "date": "9999-12-31T23:00:00-05:00"},
        {"amount": 1.5, "date": "0001-01-01T00:00:00+05:00"},
        {"amount": 1.5, "reference": "r" * 300},
    ],
)
async def test_extreme_payments_are_400s_not_crashes(
    http: httpx.AsyncClient, demo: DemoIds, payment: dict[str, Any]
) -> None:
    base = payables_path(demo)
    bills = [b for b in await bills_json(http, base) if b["currency"] == "USD"]
    body = {"date": "2026-11-22", "accountRef": {"id": demo.bank_accounts["USD"]}, **payment}
    response = await http.post(f"{base}/bills/{bills[0]['id']}/payment", json=body)
    assert response.status_code == 400, response.text
    assert len(response.content) < 5000
    (after,) = [b for b in await bills_json(http, base) if b["id"] == bills[0]["id"]]
    assert after["amountDue"] == bills[0]["amountDue"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/suppliers", {"supplierName": "P", "status": "Active", "phone": "1" * 100}),
        ("/suppliers", {"supplierName": "E", "status": "Active", "emailAddress": "e" * 300}),
        ("/suppliers", {"supplierName": "B", "status": "Active", "balance": 1e30}),
        (
            "/bankAccounts",
            {"name": "A", "accountType": "Debit", "accountNumber": "1" * 100, "currency": "GBP"},
        ),
    ],
)
async def test_overlong_or_huge_fields_are_400s(
    http: httpx.AsyncClient, demo: DemoIds, path: str, body: dict[str, Any]
) -> None:
    response = await http.post(payables_path(demo) + path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["validation"]["errors"]


async def test_a_bill_too_large_to_book_is_refused(http: httpx.AsyncClient, demo: DemoIds) -> None:
    bill = {
        "supplierRef": {"id": demo.suppliers["kestrel"]},
        "issueDate": "2026-11-22",
        "dueDate": "2026-12-22",
        "currency": "GBP",
        "status": "Open",
        "lineItems": [
            {
                "unitAmount": "999999999999",
                "quantity": "999999999999",
                "accountRef": {"id": demo.expense_accounts["6600"]},
            }
        ],
    }
    response = await http.post(payables_path(demo) + "/bills", json=bill)
    assert response.status_code == 400
    assert "too large" in response.json()["error"]


async def test_due_dates_keep_the_calendar_day_they_were_written_with(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    bill = {
        "supplierRef": {"id": demo.suppliers["kestrel"]},
        "issueDate": "2026-11-22T00:00:00+01:00",
        "dueDate": "2026-12-01T00:00:00+01:00",
        "currency": "GBP",
        "status": "Open",
        "lineItems": [{"unitAmount": "10", "accountRef": {"id": demo.expense_accounts["6600"]}}],
    }
    created = (await http.post(payables_path(demo) + "/bills", json=bill)).json()
    assert created["dueDate"] == "2026-12-01T00:00:00"
    assert created["issueDate"] == "2026-11-22T00:00:00"


async def test_idempotency_keys_longer_than_255_are_refused(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/companies", json={"name": "Long Key Ltd"}, headers={"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]


async def test_attachment_names_in_any_script_download(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    base = payables_path(demo)
    bill_id = (await http.get(f"{base}/bills")).json()["results"][0]["id"]
    uploaded = await http.post(
        f"{base}/bills/{bill_id}/attachments",
        files={"file": ("facture-€ 請求書.pdf", b"%PDF-1.4 data", "application/pdf")},
    )
    assert uploaded.status_code == 201
    download = await http.get(
        f"{base}/bills/{bill_id}/attachments/{uploaded.json()['id']}/download"
    )
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 data"
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''facture-%E2%82%AC%20%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf" in disposition


async def test_companies_filter_by_tags(http: httpx.AsyncClient) -> None:
    await http.post("/companies", json={"name": "Tagged UK", "tags": {"region": "uk"}})
    await http.post("/companies", json={"name": "Tagged US", "tags": {"region": "us"}})
    response = await http.get("/companies", params={"tags": "region=uk"})
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["results"]] == ["Tagged UK"]


# Twelve writes at once: more than Codat's ten concurrent requests per company, not the point.
@pytest.mark.sandbox(concurrent_per_company=None)
async def test_swapping_suppliers_concurrently_never_fails(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    base = payables_path(demo)
    account = {"id": demo.expense_accounts["6600"]}
    one, two = demo.suppliers["kestrel"], demo.suppliers["northridge"]

    def bill(supplier: str, reference: str) -> dict[str, Any]:
        return {
            "supplierRef": {"id": supplier},
            "reference": reference,
            "issueDate": "2026-11-22",
            "dueDate": "2026-12-22",
            "currency": "GBP",
            "status": "Open",
            "lineItems": [{"unitAmount": "10", "accountRef": account}],
        }

    a = (await http.post(f"{base}/bills", json=bill(one, "SWAP-A"))).json()["id"]
    b = (await http.post(f"{base}/bills", json=bill(two, "SWAP-B"))).json()["id"]
    responses = await asyncio.gather(
        *(
            http.put(f"{base}/bills/{bill_id}", json=bill(supplier, ref))
            for _ in range(6)
            for bill_id, supplier, ref in ((a, two, "SWAP-A"), (b, one, "SWAP-B"))
        )
    )
    assert {r.status_code for r in responses} == {200}
