"""List bills and list suppliers in strict mode (the default), bills without an amount due,
Codat's offset paging, page sizes, and the errors and headers the
sandbox answers as Codat does: 401, 402, 403, a syncing 409, rate-limit headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.faults import FaultConfig
from payables_sandbox.seed import DemoIds


def bills_url(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables/bills"


def suppliers_url(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables/suppliers"


async def statuses(http: httpx.AsyncClient, demo: DemoIds, query: str) -> set[str]:
    response = await http.get(bills_url(demo), params={"query": query})
    assert response.status_code == 200, response.text
    return {bill["status"] for bill in response.json()["results"]}


# ---------------------------------------------------------------- strict mode


def test_the_tests_run_the_sandbox_strict(sandbox: Sandbox) -> None:
    """tests/conftest.py's default: Codat as documented, for the bot's tests too."""
    assert sandbox.config.strict and not sandbox.config.outstanding_only


@pytest.mark.sandbox(strict=True)
@pytest.mark.parametrize("query", ["reference=PF-2291", "id=x", "amountDue>10", "currency=GBP"])
async def test_strict_list_bills_takes_only_the_documented_fields(
    http: httpx.AsyncClient, demo: DemoIds, query: str
) -> None:
    response = await http.get(bills_url(demo), params={"query": query})
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("Error parsing query - Could not resolve property")
    assert "Filterable properties: sourceModifiedDate, status." in body["error"]


def test_a_sandbox_is_strict_unless_asked_not_to_be() -> None:
    """Strict is the sandbox's own default, so `billpay run` and `billpay sandbox` are too."""
    assert SandboxConfig().strict


@pytest.mark.parametrize("query", ["supplierName~pine", "id=x", "defaultCurrency=EUR"])
async def test_strict_list_suppliers_takes_only_the_documented_fields(
    http: httpx.AsyncClient, demo: DemoIds, query: str
) -> None:
    response = await http.get(suppliers_url(demo), params={"query": query})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"].startswith("Error parsing query - Could not resolve property")
    assert "Filterable properties: sourceModifiedDate, status." in body["error"]


async def test_strict_list_suppliers_filters_on_status_and_modified_date(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    async def supplier_statuses(query: str) -> set[str]:
        response = await http.get(suppliers_url(demo), params={"query": query})
        assert response.status_code == 200, response.text
        return {s["status"] for s in response.json()["results"]}

    assert await supplier_statuses("status=Archived") == {"Archived"}
    assert await supplier_statuses("status=Active&&sourceModifiedDate>2000-01-01") == {"Active"}


@pytest.mark.sandbox(strict=False)
async def test_lenient_list_suppliers_takes_any_field(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    response = await http.get(suppliers_url(demo), params={"query": "supplierName~pine"})
    assert [s["supplierName"] for s in response.json()["results"]] == ["Pinecrest Facilities"]


@pytest.mark.sandbox(null_amount_due=True)
async def test_bills_can_be_served_without_an_amount_due(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    listed = (await http.get(bills_url(demo))).json()["results"]
    assert listed and {bill["amountDue"] for bill in listed} == {None}
    assert {bill["status"] for bill in listed} == {"Open", "PartiallyPaid"}


@pytest.mark.sandbox(strict=True)
async def test_strict_queries_keep_outstanding_unless_they_name_status(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    assert await statuses(http, demo, "sourceModifiedDate>2000-01-01") == {"Open", "PartiallyPaid"}
    assert await statuses(http, demo, "status=Paid") == {"Paid"}
    assert await statuses(http, demo, "status=Void||status=Open") == {"Void", "Open"}
    both = "sourceModifiedDate>2000-01-01&&status=Paid"
    assert await statuses(http, demo, both) == {"Paid"}


@pytest.mark.parametrize(
    "strict",
    [
        pytest.param(strict, marks=pytest.mark.sandbox(outstanding_only=True, strict=strict))
        for strict in (True, False)
    ],
)
async def test_outstanding_only_keeps_the_default_whatever_the_query(
    http: httpx.AsyncClient, demo: DemoIds, strict: bool
) -> None:
    """The other reading of the spec: a query filters within the outstanding bills."""
    assert await statuses(http, demo, "status=Paid||status=Void") == set()
    assert await statuses(http, demo, "status!=Open") == {"PartiallyPaid"}
    assert await statuses(http, demo, "sourceModifiedDate>2000-01-01") == {"Open", "PartiallyPaid"}


@pytest.mark.sandbox(strict=False)
async def test_lenient_mode_keeps_todays_behaviour(http: httpx.AsyncClient, demo: DemoIds) -> None:
    assert await statuses(http, demo, "reference=PF-2275") == {"Paid"}
    assert await statuses(http, demo, "sourceModifiedDate>2000-01-01") == {
        "Open",
        "PartiallyPaid",
        "Paid",
        "Void",
    }


# ---------------------------------------------------------------- paging


@pytest.mark.sandbox(page_size=4)
async def test_offset_tokens_shift_when_a_bill_is_paid_between_pages(
    http: httpx.AsyncClient, demo: DemoIds
) -> None:
    first = (await http.get(bills_url(demo))).json()
    token = first["pagination"]["continuationToken"]
    decoded = base64.b64decode(token).decode()
    assert decoded == '{"page":2,"pageSize":4,"pageCount":7}'  # the shape of Codat's tokens
    expected_second = [
        b["id"]
        for b in (await http.get(bills_url(demo), params={"continuationToken": token})).json()[
            "results"
        ]
    ]

    settled = next(b for b in first["results"] if b["currency"] == "GBP")
    paid = await http.post(
        f"{bills_url(demo)}/{settled['id']}/payment",
        json={
            "amount": settled["amountDue"],
            "date": "2026-11-22T00:00:00",
            "accountRef": {"id": demo.bank_accounts["GBP"]},
        },
    )
    assert paid.status_code == 201
    second = (await http.get(bills_url(demo), params={"continuationToken": token})).json()
    shifted = [b["id"] for b in second["results"]]
    # The paid bill left page 1, so page 2 now starts one bill later: the first bill that was
    # on page 2 moved up to page 1 and is never seen by a caller who already has page 1.
    assert shifted == expected_second[1:] + shifted[-1:]
    assert expected_second[0] not in shifted


@pytest.mark.sandbox(page_size=4)
async def test_a_broken_offset_token_is_a_400(http: httpx.AsyncClient, demo: DemoIds) -> None:
    response = await http.get(bills_url(demo), params={"continuationToken": "not-a-token"})
    assert response.status_code == 400 and "continuation token" in response.json()["error"]


async def test_page_size_is_capped(http: httpx.AsyncClient) -> None:
    for number in range(3):
        await http.post("/companies", json={"name": f"Paging {number} Ltd"})
    over = await http.get("/companies", params={"pageSize": 5001})
    assert over.status_code == 400 and "pageSize" in over.json()["error"]
    most = await http.get("/companies", params={"pageSize": 4999})
    assert most.status_code == 200
    assert most.json()["pageSize"] == 2000  # the spec's PagingInfo maximum
    assert "pageSize=2000" in most.json()["_links"]["current"]["href"]


# ---------------------------------------------------------------- errors Codat answers


async def test_401_has_codats_body(sandbox: Sandbox) -> None:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get("/companies")
    body = response.json()
    assert response.status_code == 401
    assert (body["statusCode"], body["service"], body["error"], body["canBeRetried"]) == (
        401,
        "PublicApi",
        "Unauthorized",
        "Unknown",
    )
    assert body["correlationId"] and body["detailedErrorCode"] == 0


@pytest.mark.parametrize(
    ("operation", "suffix"),
    [
        ("list-bills", "/bills"),
        ("list-suppliers", "/suppliers"),
        ("list-bill-attachments", "/bills/{bill}/attachments"),
    ],
)
async def test_a_list_answers_409_while_its_data_set_syncs(
    http: httpx.AsyncClient, demo: DemoIds, sandbox: Sandbox, operation: str, suffix: str
) -> None:
    base = bills_url(demo).removesuffix("/bills")
    bill = (await http.get(bills_url(demo))).json()["results"][0]["id"]
    url = base + suffix.format(bill=bill)
    sandbox.faults.fail_operation(operation, 409)
    syncing = await http.get(url)
    assert syncing.status_code == 409
    assert syncing.json()["statusCode"] == 409 and "syncing" in syncing.json()["error"]
    assert (await http.get(url)).status_code == 200  # the sync finished


@pytest.mark.parametrize(
    ("status", "words"),
    [(402, "Payment Required"), (403, "outdated API key")],
)
async def test_402_and_403_come_as_error_messages(
    http: httpx.AsyncClient, sandbox: Sandbox, status: int, words: str
) -> None:
    sandbox.faults.fail_operation("create-company", status)
    response = await http.post("/companies", json={"name": "Limit Ltd"})
    assert response.status_code == status
    assert words in response.json()["error"] and response.json()["service"] == "PublicApi"
    assert (await http.post("/companies", json={"name": "Limit Ltd"})).status_code == 200


@pytest.mark.sandbox(faults=FaultConfig(operation_faults={"list-companies": 403}))
async def test_an_operation_fault_can_be_configured(http: httpx.AsyncClient) -> None:
    assert (await http.get("/companies")).status_code == 403
    assert (await http.get("/companies")).status_code == 403


def test_a_409_only_where_the_spec_documents_one(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="syncing 409"):
        sandbox.faults.fail_operation("create-bill", 409)
    with pytest.raises(ValueError):
        FaultConfig(operation_faults={"list-companies": 409})
    with pytest.raises(ValueError):
        sandbox.faults.fail_operation("list-bills", 418)


# ---------------------------------------------------------------- rate limits


@pytest.mark.sandbox(faults=FaultConfig(rate_limit_requests=2, rate_limit_window_seconds=60))
async def test_rate_limit_headers_count_down(http: httpx.AsyncClient) -> None:
    first = await http.get("/companies")
    second = await http.get("/companies")
    third = await http.get("/companies")
    assert [r.headers["X-Rate-Limit-Limit"] for r in (first, second, third)] == ["2"] * 3
    assert [r.headers["X-Rate-Limit-Remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    reset = datetime.fromisoformat(first.headers["X-Rate-Limit-Reset"].replace("Z", "+00:00"))
    assert 0 < (reset - datetime.now(UTC)).total_seconds() <= 61
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1


@pytest.mark.sandbox(daily_quota=None)
async def test_no_rate_limit_headers_without_a_limit(http: httpx.AsyncClient) -> None:
    response = await http.get("/companies")
    assert "X-Rate-Limit-Limit" not in response.headers


@pytest.mark.sandbox(
    faults=FaultConfig(
        rate_limit_requests=1, rate_limit_window_seconds=60, retry_after_format="http-date"
    )
)
async def test_retry_after_can_be_an_http_date(http: httpx.AsyncClient) -> None:
    await http.get("/companies")
    limited = await http.get("/companies")
    assert limited.status_code == 429
    moment = parsedate_to_datetime(limited.headers["Retry-After"])
    assert 0 < (moment - datetime.now(UTC)).total_seconds() <= 62
