"""The sandbox's webhooks, as a consumer receives them over real HTTP: signed as Codat's Svix
service signs them (checked with `svix.webhooks.Webhook.verify`), retried after a failure,
delivered twice when at-least-once is asked, with the payloads of webhooks.json, and sent when
what they announce is true (a payment or a change in the platform visible to reads)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from payables_sandbox.app import Sandbox
from payables_sandbox.config import SandboxConfig
from payables_sandbox.defaults import DEFAULT_WEBHOOK_SECRET
from payables_sandbox.seed import DemoIds
from testkit.payables import WebhookReceiver, bill_json

SECRET = DEFAULT_WEBHOOK_SECRET
QUICK = [timedelta(0), timedelta(milliseconds=50), timedelta(milliseconds=50)]
MOMENT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def serving() -> Iterator[tuple[WebhookReceiver, str]]:
    consumer = WebhookReceiver(SECRET)
    with consumer.serve() as url:
        yield consumer, url


@pytest.fixture
def receiver(serving: tuple[WebhookReceiver, str]) -> tuple[WebhookReceiver, str]:
    """The module's consumer (one server for the module), with nothing received yet."""
    serving[0].reset()
    return serving


async def webhook_sandbox(make_sandbox: object, url: str, **overrides: object) -> Sandbox:
    sandbox: Sandbox = make_sandbox(  # type: ignore[operator]
        webhook_url=url, webhook_retry_schedule=QUICK, **overrides
    )
    sandbox.clock.set(MOMENT)
    await sandbox.start()
    return sandbox


async def settled(sandbox: Sandbox) -> None:
    async with asyncio.timeout(10):
        await sandbox.settle_webhooks()


def payables(demo: DemoIds) -> str:
    return f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"


def client(sandbox: Sandbox) -> httpx.AsyncClient:
    from tests.payables_sandbox.conftest import AUTH

    return httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH)


async def test_connection_events_are_signed_and_shaped_as_codat_sends_them(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url)
    demo = sandbox.demo
    assert demo is not None
    await sandbox.deauthorize(demo.company_id, demo.connection_id)
    await sandbox.authorise(demo.company_id, demo.connection_id)
    await sandbox.fail_link(demo.company_id, demo.connection_id)
    await settled(sandbox)
    assert consumer.refused == []
    assert consumer.events() == [
        "connection.disconnected",
        "connection.reconnected",
        "connection.failed",
    ]
    _, disconnected = consumer.received[0]
    assert disconnected["type"] == "connection.disconnected"
    assert "eventType" not in disconnected
    assert disconnected["generatedDate"] == "2026-11-22T10:00:00.000Z"
    assert disconnected["payload"]["referenceCompany"]["id"] == demo.company_id
    assert disconnected["payload"]["connection"]["id"] == demo.connection_id
    assert disconnected["payload"]["connection"]["status"] == "Deauthorized"
    failed = consumer.received[2][1]["payload"]["connection"]
    assert failed["dataConnectionErrors"][0]["statusText"] == "User cancelled linking"


async def test_a_new_connections_first_link_is_followed_by_its_initial_read(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url)
    async with client(sandbox) as http:
        company = (await http.post("/companies", json={"name": "Newco"})).json()
        connection = (
            await http.post(f"/companies/{company['id']}/connections", json={"platformKey": "gbol"})
        ).json()
    await sandbox.authorise(company["id"], connection["id"])
    await settled(sandbox)
    assert consumer.events() == ["connection.connected", "read.completed.initial"]
    initial = consumer.received[1][1]
    assert initial["eventType"] == "read.completed.initial"
    assert {d["dataType"] for d in initial["payload"]["dataTypes"]} >= {"bills", "suppliers"}
    assert {d["connectionId"] for d in initial["payload"]["dataTypes"]} == {connection["id"]}


async def test_a_payment_is_announced_as_written_then_as_read_once_reads_show_it(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url, payment_read_lag=timedelta(minutes=5))
    demo = sandbox.demo
    assert demo is not None
    async with client(sandbox) as http:
        bill = await bill_json(http, payables(demo), "KC-40019")
        paid = await http.post(
            f"{payables(demo)}/bills/{bill['id']}/payment",
            json={
                "amount": "10.00",
                "date": "2026-11-22",
                "accountRef": {"id": demo.bank_accounts["GBP"]},
            },
        )
        assert paid.status_code == 201, paid.text
        refused = await http.post(
            f"{payables(demo)}/bills/{bill['id']}/payment",
            json={
                "amount": "99999.00",
                "date": "2026-11-22",
                "accountRef": {"id": demo.bank_accounts["GBP"]},
            },
        )
        assert refused.status_code == 400
    await settled(sandbox)
    assert consumer.events() == [
        "billPayments.write.successful",
        "billPayments.write.unsuccessful",
    ]
    written = consumer.received[0][1]["payload"]
    assert written["record"] == {"id": paid.json()["id"]}
    assert written["type"] == "Create" and written["status"] == "Success"
    assert consumer.received[1][1]["payload"]["status"] == "Failed"

    sandbox.clock.advance(timedelta(minutes=5))
    await settled(sandbox)
    assert consumer.events()[-1] == "read.completed"
    read = consumer.received[-1][1]["payload"]
    assert {d["dataType"] for d in read["dataTypes"]} == {"bills", "billPayments", "suppliers"}


async def test_a_payment_made_in_the_platform_shows_and_is_announced_after_the_lag(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url, platform_read_lag=timedelta(minutes=10))
    demo = sandbox.demo
    assert demo is not None
    async with client(sandbox) as http:
        before = await bill_json(http, payables(demo), "KC-40019")
        await sandbox.pay_in_platform(before["id"], Decimal("20.00"))
        await settled(sandbox)
        assert consumer.events() == []
        assert (await bill_json(http, payables(demo), "KC-40019"))["amountDue"] == before[
            "amountDue"
        ]
        sandbox.clock.advance(timedelta(minutes=10))
        await settled(sandbox)
        assert consumer.events() == ["read.completed"]
        after = await bill_json(http, payables(demo), "KC-40019")
    assert Decimal(str(after["amountDue"])) == Decimal(str(before["amountDue"])) - 20
    assert after["status"] == "PartiallyPaid"


async def test_a_failed_delivery_is_retried_under_the_same_id(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    consumer.reset(answers=[500, 503])
    sandbox = await webhook_sandbox(make_sandbox, url)
    demo = sandbox.demo
    assert demo is not None
    await sandbox.deauthorize(demo.company_id, demo.connection_id)
    await settled(sandbox)
    ids = [message_id for message_id, _ in consumer.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    (delivery,) = sandbox.deliveries
    assert [a.status_code for a in delivery.attempts] == [500, 503, 200]
    assert delivery.delivered


async def test_at_least_once_delivers_each_message_twice(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url, webhook_duplicates=True)
    demo = sandbox.demo
    assert demo is not None
    await sandbox.deauthorize(demo.company_id, demo.connection_id)
    await settled(sandbox)
    assert consumer.events() == ["connection.disconnected"] * 2
    assert consumer.received[0] == consumer.received[1]


async def test_the_quota_running_out_and_resetting_are_announced(
    make_sandbox: object, receiver: tuple[WebhookReceiver, str]
) -> None:
    consumer, url = receiver
    sandbox = await webhook_sandbox(make_sandbox, url, daily_quota=1)
    sandbox.clock.set(datetime(2026, 11, 22, 23, 59, tzinfo=UTC))
    async with client(sandbox) as http:
        answers = [(await http.get("/companies")).status_code for _ in range(4)]
        assert answers == [200, 200, 429, 429]
        sandbox.clock.advance(timedelta(minutes=2))
        assert (await http.get("/companies")).status_code == 200
    await settled(sandbox)
    assert consumer.events() == ["client.rateLimit.reached", "client.rateLimit.reset"]
    reached = consumer.received[0][1]
    assert reached["payload"] == {
        "dailyQuota": 2,
        "quotaRemaining": 0,
        "expiryDate": "2026-11-23T00:00:00.000Z",
    }


def test_a_secret_not_in_svix_form_is_refused() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        SandboxConfig(webhook_secret="plain-secret")
