"""What a bot needs of the sandbox to connect a company as Codat's flow goes: companies tagged
with their owner and listed by tag, connections with their `sourceType` (the demo company has
a Banking connection besides its accounting one, and payables data never goes through it), a
new connection waiting at its `linkUrl` until the company authorises it there."""

from __future__ import annotations

import httpx
import pytest

from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesBadRequest
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import complete_link


async def test_companies_keep_their_tags_and_are_listed_by_them(payables: PayablesClient) -> None:
    ours = await payables.create_company("Ours Ltd", tags={"slack_team": "T0001"})
    theirs = await payables.create_company("Theirs Ltd", tags={"slack_team": "T0999"})

    assert (await payables.get_company(ours.id)).tags == {"slack_team": "T0001"}
    listed = await payables.list_companies(tags="slack_team=T0001")
    assert [c.name for c in listed.results] == ["Ours Ltd"]
    others = await payables.list_companies(tags="slack_team!=T0001")
    assert theirs.id in [c.id for c in others.results]
    assert ours.id not in [c.id for c in others.results]


async def test_tags_keep_codat_s_limits(http: httpx.AsyncClient) -> None:
    too_many = {f"k{i}": "v" for i in range(11)}
    response = await http.post("/companies", json={"name": "Tagged Ltd", "tags": too_many})
    assert response.status_code == 400
    long_key = await http.post("/companies", json={"name": "Tagged Ltd", "tags": {"k" * 28: "v"}})
    assert long_key.status_code == 400


async def test_the_demo_company_has_a_banking_connection_that_serves_no_payables(
    payables: PayablesClient, demo: DemoIds
) -> None:
    company = await payables.get_company(demo.company_id)
    kinds = [(c.platform_name, c.source_type, c.status) for c in company.data_connections]
    assert kinds == [("Basiq", "Banking", "Linked"), ("Codat Sandbox", "Accounting", "Linked")]
    banking = company.data_connections[0]
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.list_bills(demo.company_id, banking.id)
    assert "Banking connection" in (caught.value.error or "")
    with pytest.raises(PayablesBadRequest):
        await payables.get_company_information(demo.company_id, banking.id)


async def test_a_banking_platform_key_is_not_one_to_connect(payables: PayablesClient) -> None:
    company = await payables.create_company("Bank Only Ltd")
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_connection(company.id, "dfxm")
    assert "platformKey" in (caught.value.error or str(caught.value))


async def test_a_new_connection_waits_at_its_link_url_then_is_linked(
    payables: PayablesClient, sandbox: Sandbox
) -> None:
    company = await payables.create_company("Waiting Ltd", tags={"slack_team": "T0001"})
    pending = await payables.create_connection(company.id, "gbol")
    assert (pending.status, pending.source_type, pending.platform_name) == (
        "PendingAuth",
        "Accounting",
        "Xero",
    )
    assert pending.link_url
    await complete_link(httpx.ASGITransport(app=sandbox.app), pending.link_url)
    assert (await payables.get_connection(company.id, pending.id)).status == "Linked"
