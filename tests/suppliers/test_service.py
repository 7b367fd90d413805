"""The supplier service against the sandbox on another platform than the demo's: what a
QuickBooks Online edit may not change is answered before anything is sent, and suppliers are
found with case and accents ignored."""

from __future__ import annotations

import httpx

from billpay.core.search import folded
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.services import Services
from billpay.store.models import CompanyLink
from billpay.suppliers.rules import SupplierForm
from payables_sandbox.app import Sandbox
from testkit.payables import complete_link


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
