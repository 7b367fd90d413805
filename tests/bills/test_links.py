"""Linking a channel to a company: in one step for the demo, only by approvers, one channel per
company, a relink keeping the history."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.services import Services
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.cases import audit_trail, open_gbp_bill
from testkit.payables import complete_link
from testkit.world import ANA, BEN, CHANNEL, EVE, TEAM


async def test_connect_links_the_demo_company_in_one_step(
    make_services: Callable[..., Services], bot_db: Database
) -> None:
    flow = make_services()
    with pytest.raises(Denied, match="/billpay connect"):
        await flow.links.link_for(TEAM, CHANNEL)
    link, created = await flow.links.connect(TEAM, CHANNEL, ANA)
    assert created and link.company_name == "Larkspur Design Studio Ltd"
    assert link.base_currency == "GBP"
    _, again = await flow.links.connect(TEAM, CHANNEL, BEN)
    assert not again
    assert [e.action for e in await audit_trail(bot_db)] == ["channel_linked", "channel_linked"]


async def test_only_approvers_link_and_a_company_is_handled_in_one_channel(
    make_services: Callable[..., Services],
) -> None:
    flow = make_services(approvers=[ANA])
    with pytest.raises(Denied, match="Only <@U0ANA> can link"):
        await flow.links.connect(TEAM, CHANNEL, EVE)
    await flow.links.connect(TEAM, CHANNEL, ANA)
    with pytest.raises(Denied, match="already linked to <#C0FIN>"):
        await flow.links.connect(TEAM, "C0OTHER", ANA)


async def test_relinking_to_another_company_starts_afresh_and_keeps_the_history(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services()
    first, _ = await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(payables, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    other = await payables.create_company("Second Ltd")
    pending = await payables.create_connection(other.id, platform_key="mqjo")
    assert pending.link_url is not None
    await complete_link(httpx.ASGITransport(app=sandbox.app), pending.link_url)
    second, created = await flow.links.connect(TEAM, CHANNEL, ANA, "Second Ltd")
    assert created and second.id != first.id and second.company_name == "Second Ltd"
    assert (await flow.links.link_for(TEAM, CHANNEL)).id == second.id
    assert [v.approvals for v in await flow.cases.case_views(first.id, [bill.id])] == [(ANA,)]
    assert await flow.cases.case_views(second.id, [bill.id]) == []


async def test_connect_with_an_unknown_company_lists_the_choices(
    make_services: Callable[..., Services],
) -> None:
    with pytest.raises(Denied, match="Larkspur Design Studio Ltd"):
        await make_services().links.connect(TEAM, CHANNEL, ANA, "Nonexistent Ltd")
