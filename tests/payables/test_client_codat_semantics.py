"""The client against Codat's semantics: GUID keys only where Codat honours them, 422 and 409 as
typed errors with the right "maybe applied", Retry-After in both forms, the portal's ready-made
Basic header, and amounts read as leniently as the spec's own examples need."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
import yaml
from pydantic import ValidationError

from billpay.payables.client import PayablesClient, RetryPolicy, basic_auth
from billpay.payables.errors import PayablesConflict, PayablesError, PayablesUnprocessable
from billpay.payables.http import _retry_after
from billpay.payables.models import (
    Bill,
    BillPayment,
    BillPaymentPrototype,
    BillPrototype,
    Ref,
    SupplierPrototype,
    SupplierRef,
)
from billpay.payments.rules import new_payment_key
from payables_sandbox.app import Sandbox
from testkit.payables import SANDBOX_KEY, SANDBOX_URL, CountingTransport, SleepRecorder, client_for

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "codat" / "sync-for-payables-v3.yaml"


def is_guid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


async def test_keys_are_guids_on_posts_and_patches_only(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport
) -> None:
    demo = sandbox.demo
    assert demo is not None
    company = await payables.create_company("Keys Ltd")
    await payables.update_company(company.id, description="d")
    await payables.replace_company(company.id, "Keys Ltd")
    supplier = await payables.create_supplier(
        demo.company_id, demo.connection_id, SupplierPrototype(supplier_name="Keys Paper")
    )
    await payables.update_supplier(
        demo.company_id, demo.connection_id, supplier.id, SupplierPrototype(supplier_name="K2")
    )
    bill = (await payables.list_bills(demo.company_id, demo.connection_id)).results[0]
    await payables.upload_bill_attachment(
        demo.company_id, demo.connection_id, bill.id, filename="a.pdf", content=b"%PDF"
    )

    sent = {(r.method, r.url.path): r.headers.get("Idempotency-Key") for r in transport.requests}
    keyed = {k: v for k, v in sent.items() if v is not None}
    assert {method for method, _ in keyed} == {"POST", "PATCH"}
    assert all(is_guid(value) for value in keyed.values())
    assert all(v is None for (method, _), v in sent.items() if method in ("PUT", "GET"))
    # Uploads too: the docs ask for the key on every POST, though the spec declares none there.
    upload = (
        "POST",
        f"/companies/{demo.company_id}/connections/{demo.connection_id}"
        f"/payables/bills/{bill.id}/attachments",
    )
    assert is_guid(sent[upload] or "")
    assert is_guid(new_payment_key())
    with pytest.raises(ValueError, match="only on POST and PATCH"):
        await payables._send("PUT", "/companies/x", BillPayment, {}, new_payment_key())


async def test_a_reused_key_is_unprocessable_and_not_maybe_applied(
    sandbox: Sandbox, payables: PayablesClient, sleeps: SleepRecorder
) -> None:
    key = new_payment_key()
    await payables.create_company("First Ltd", idempotency_key=key)
    with pytest.raises(PayablesUnprocessable) as caught:
        await payables.create_company("Second Ltd", idempotency_key=key)
    assert caught.value.status_code == 422 and caught.value.maybe_applied is False
    assert sleeps.waits == []  # not retried


async def test_a_syncing_409_on_a_read_is_neither_retried_nor_maybe_applied(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport
) -> None:
    demo = sandbox.demo
    assert demo is not None
    sandbox.faults.fail_next(1, status_code=503)  # an earlier failed attempt of the same read
    sandbox.faults.fail_operation("list-bills", 409, count=100)
    with pytest.raises(PayablesConflict) as caught:
        await payables.list_bills(demo.company_id, demo.connection_id)
    assert caught.value.maybe_applied is False
    assert transport.count("GET", "/bills") == 2  # the 503 retried once, the 409 not at all


class InProgressOnce(httpx.AsyncBaseTransport):
    """Answers the first keyed POST with Codat's in-progress 409, as a request with the same
    key still running would; later requests reach the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.busy = inner, 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.busy and request.method == "POST" and "Idempotency-Key" in request.headers:
            self.busy -= 1
            body = {"statusCode": 409, "error": "A request with this key is still in progress."}
            return httpx.Response(409, json=body, request=request)
        return await self.inner.handle_async_request(request)


async def test_a_keyed_write_in_progress_is_retried_until_it_answers(
    sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = InProgressOnce(httpx.ASGITransport(app=sandbox.app))
    async with client_for(transport, sleeps) as client:
        company = await client.create_company("Patient Ltd")
    assert company.name == "Patient Ltd" and len(sleeps.waits) == 1


async def test_a_write_still_in_progress_at_the_end_is_maybe_applied(
    sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = InProgressOnce(httpx.ASGITransport(app=sandbox.app))
    transport.busy = 100
    async with client_for(transport, sleeps, RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(PayablesConflict) as caught:
            await client.create_company("Stuck Ltd")
    assert caught.value.maybe_applied is True and len(sleeps.waits) == 2


NOW = datetime(2026, 11, 22, 9, 30, 0, 400_000, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "12",
        "Sun, 22 Nov 2026 09:30:12 GMT",
        "Sun, 22 Nov 2026 09:30:12 -0000",
        "Sun, 22 Nov 2026 10:30:12 +0100",
    ],
    ids=["seconds", "http-date", "http-date-unknown-zone", "http-date-offset"],
)
def test_retry_after_in_seconds_or_as_an_http_date(value: str) -> None:
    response = httpx.Response(429, headers={"Retry-After": value})
    with time_machine.travel(NOW, tick=False):
        wait = _retry_after(response)
    assert wait is not None and 11.5 <= wait <= 12


def test_a_nonsense_retry_after_is_ignored() -> None:
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None


async def test_the_portals_basic_header_is_sent_as_it_is(sandbox: Sandbox) -> None:
    ready_made = basic_auth(SANDBOX_KEY)
    assert basic_auth(ready_made) == ready_made
    assert basic_auth(f"  basic {ready_made.split()[1]} ") == ready_made
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    async with PayablesClient(base_url=SANDBOX_URL, api_key=ready_made, transport=transport) as c:
        await c.list_companies()
    assert transport.requests[0].headers["Authorization"] == ready_made


def _spec_examples() -> list[Any]:
    if not SPEC.exists():
        reason = f"the payables API's OpenAPI spec is not beside the project at {SPEC}"
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason))]
    spec = yaml.safe_load(SPEC.read_text())
    base = "/companies/{companyId}/connections/{connectionId}/payables"
    listed = spec["paths"][base + "/bills"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]["Bills"]["value"]["results"]
    payment = spec["components"]["schemas"]["BillPayment"]["example"]
    return [(Bill, bill) for bill in listed] + [(BillPayment, {"id": "p1", **payment})]


@pytest.mark.parametrize(("model", "example"), _spec_examples())
def test_the_specs_own_examples_are_read(model: type[Any] | None, example: Any) -> None:
    assert model is not None
    parsed = model.model_validate(example)
    assert parsed.currency_rate == Decimal(1)  # given as 1 and as the string '1,'


def test_amounts_as_strings_or_ints_are_read_exactly_and_floats_refused() -> None:
    bill = {
        "id": "b",
        "supplierRef": {"id": "s"},
        "issueDate": "2026-11-22",
        "dueDate": "2026-11-22",
        "currency": "GBP",
        "status": "Open",
    }
    assert Bill.model_validate({**bill, "totalAmount": "1,234.50"}).total_amount == Decimal(
        "1234.50"
    )
    assert Bill.model_validate({**bill, "totalAmount": 7}).total_amount == Decimal(7)
    with pytest.raises(ValidationError):
        Bill.model_validate({**bill, "totalAmount": "12,34"})
    with pytest.raises(ValidationError):
        BillPaymentPrototype(amount=0.1, date="2026-11-22", account_ref=Ref(id="a"))
    with pytest.raises(ValidationError):
        BillPrototype(
            supplier_ref=SupplierRef(id="s"),
            issue_date="2026-11-22",
            due_date="2026-11-22",
            currency="GBP",
            currency_rate=1.1,
        )


class HtmlAnswers(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>", request=request)


async def test_an_unreadable_answer_to_a_read_is_never_maybe_applied(
    sleeps: SleepRecorder,
) -> None:
    async with client_for(HtmlAnswers(), sleeps) as client:
        with pytest.raises(PayablesError) as read:
            await client.list_companies()
        with pytest.raises(PayablesError) as write:
            await client.create_company("Html Ltd")
    assert read.value.maybe_applied is False
    assert write.value.maybe_applied is True  # a 2xx to a write: it may well have been done
