"""The supplier service against the sandbox: what a QuickBooks Online edit may not change is
answered before anything is sent, suppliers are edited on every platform Bill Pay supports,
found with case and accents ignored, and read with documented queries only."""

from __future__ import annotations

import httpx
import pytest

from billpay.core.search import folded
from billpay.payables import models
from billpay.payables.client import PayablesClient, new_idempotency_key
from billpay.services import Services
from billpay.store.models import CompanyLink
from billpay.suppliers import service as supplier_service
from billpay.suppliers.rules import SupplierForm
from payables_sandbox.app import Sandbox
from testkit.payables import CountingTransport, complete_link
from testkit.world import ANA, CHANNEL, TEAM


async def _quickbooks_link(payables: PayablesClient, sandbox: Sandbox) -> CompanyLink:
    company = await payables.create_company("Books on QuickBooks")
    connection = await payables.create_connection(company.id, "qhyg")
    assert connection.link_url
    await complete_link(httpx.ASGITransport(app=sandbox.app), connection.link_url)
    return CompanyLink(
        id=99,
        team_id="T0001",
        channel_id="C0QBO",
        company_id=company.id,
        connection_id=connection.id,
        company_name=company.name,
        base_currency="GBP",
        linked_by="U0ANA",
    )


def form(currency: str | None) -> SupplierForm:
    return SupplierForm("Euro Parts", None, None, None, None, currency)


async def test_quickbooks_keeps_a_suppliers_currency(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    link = await _quickbooks_link(payables, sandbox)
    service = services.suppliers
    created = await payables.create_supplier(
        link.company_id,
        link.connection_id,
        models.SupplierPrototype(supplier_name="Euro Parts", default_currency="EUR"),
    )
    assert await service.platform(link) == "QuickBooks Online"
    assert await service.fixed_currency(link, created.id, form("USD")) == "EUR"
    assert await service.fixed_currency(link, created.id, form("EUR")) is None
    assert await service.fixed_currency(link, created.id, form(None)) is None
    assert await service.can_edit_suppliers(link)


def test_names_match_without_case_or_accents() -> None:
    assert folded("MÜLLER Bäckerei") == folded("muller backerei")
    assert folded("Ærø") != folded("aero")  # letters of their own are not folded away


async def test_the_type_ahead_looks_through_active_suppliers_while_the_list_loads(
    services: Services,
    sandbox: Sandbox,
    transport: CountingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack can't wait for thousands of suppliers to be read: the first keystroke is answered
    from one page of active suppliers (list suppliers can't be queried on a name)."""
    monkeypatch.setattr(supplier_service, "SUGGESTION_WAIT_SECONDS", 0)
    link = await services.links.link_for(TEAM, CHANNEL)
    before = len(transport.requests)
    found = await services.suppliers.suggestions(link, "PINE")
    assert [s.supplier_name for s in found] == ["Pinecrest Facilities"]
    (read,) = [r for r in transport.requests[before:] if r.url.path.endswith("/suppliers")]
    assert read.url.params.get("query") == "status=Active"


@pytest.mark.parametrize(
    ("platform_key", "name"),
    [("akxx", "Oracle NetSuite"), ("knfz", "Sage Intacct"), ("rwuv", "Zoho Books")],
)
async def test_suppliers_are_edited_on_every_platform_bill_pay_supports(
    services: Services, payables: PayablesClient, sandbox: Sandbox, platform_key: str, name: str
) -> None:
    """docs/payables/sync/suppliers.md: update supplier on all six Bill Pay platforms."""
    company = await payables.create_company(f"Books on {name}")
    connection = await payables.create_connection(company.id, platform_key)
    assert connection.link_url
    await complete_link(httpx.ASGITransport(app=sandbox.app), connection.link_url)
    link, _ = await services.links.connect(TEAM, f"C0{platform_key.upper()}", ANA, company.id)
    service = services.suppliers
    assert await service.platform(link) == name
    assert await service.can_edit_suppliers(link)
    created = await service.create_supplier(
        link, ANA, SupplierForm("Paper Co", None, None, None, None, "GBP"), new_idempotency_key()
    )
    edited = await service.update_supplier(
        link, ANA, created.id, SupplierForm("Paper Company", None, None, None, None, "GBP")
    )
    assert edited.supplier_name == "Paper Company"
