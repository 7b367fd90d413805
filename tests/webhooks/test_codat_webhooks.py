"""Codat's webhooks reach the bot's web app over HTTP, signed by Svix as Codat sends them: a
good one is answered at once and worked once (after a repeat, on two replicas, after the
replica that received it died); a forged or stale one is refused with 401 and leaves nothing
behind; both spellings of the event name are read; an unknown event is answered and left."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billpay.core.clock import utcnow
from billpay.payables.budget import PayablesBudgetExhausted, Priority
from billpay.payables.client import PayablesClient
from billpay.runtime.web import create_web_app
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Claim, WebhookDelivery
from testkit.webhooks import (
    WEBHOOK_SECRET,
    Delivery,
    Recorder,
    connection_event,
    delivery,
    rate_limit_event,
    read_completed,
    write_event,
)
from testkit.world import ANA, CHANNEL, TEAM, bot_settings


@dataclass
class Replica:
    services: Services
    http: httpx.AsyncClient

    async def post(self, sent: Delivery) -> httpx.Response:
        return await self.http.post("/webhooks/codat", content=sent.body, headers=sent.headers)

    async def settled(self) -> None:
        assert self.services.webhooks is not None
        await self.services.webhooks.settled()


@dataclass
class World:
    db: Database
    payables: PayablesClient
    recorder: Recorder
    company_id: str
    connection_id: str
    replicas: list[Replica]

    def services(self, clock: Callable[[], datetime] = utcnow) -> Services:
        return build_services(
            bot_settings(codat_webhook_secret=WEBHOOK_SECRET),
            db=self.db,
            payables=self.payables,
            clock=clock,
            mirror_reactions=self.recorder,
            health_reactions=self.recorder,
        )

    async def replica(self, clock: Callable[[], datetime] = utcnow) -> Replica:
        services = self.services(clock)
        web = create_web_app(services, slack_requests=False)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web, raise_app_exceptions=False),
            base_url="http://bot.test",
        )
        replica = Replica(services, http)
        self.replicas.append(replica)
        return replica

    async def deliveries(self) -> list[WebhookDelivery]:
        async with self.db.read() as s:
            return list(await s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))

    async def audit(self) -> list[AuditEvent]:
        async with self.db.read() as s:
            return list(await s.scalars(select(AuditEvent).where(AuditEvent.actor == "codat")))


@pytest.fixture
async def world(bot_db: Database, payables: PayablesClient) -> AsyncIterator[World]:
    first = build_services(bot_settings(), db=bot_db, payables=payables)
    link, _created = await first.links.connect(TEAM, CHANNEL, ANA)
    w = World(bot_db, payables, Recorder(), link.company_id, link.connection_id, [])
    yield w
    for replica in w.replicas:
        await replica.settled()
        await replica.http.aclose()


@pytest.fixture
async def bot(world: World) -> Replica:
    return await world.replica()


async def test_a_signed_delivery_is_answered_at_once_and_worked_once(
    world: World, bot: Replica
) -> None:
    sent = delivery(read_completed(world.company_id, "bills", "suppliers"))
    answer = await bot.post(sent)
    assert answer.status_code == 200
    await bot.settled()

    assert world.recorder.calls == [
        ("data_changed", world.company_id, "bills"),
        ("data_changed", world.company_id, "suppliers"),
    ]
    (row,) = await world.deliveries()
    assert (row.message_id, row.event_type, row.company_id) == (
        sent.message_id,
        "read.completed",
        world.company_id,
    )
    assert row.processed_at is not None and row.outcome == "done"
    (audit,) = await world.audit()
    assert (audit.channel_id, audit.action) == (CHANNEL, "data_read")
    assert audit.details["message_id"] == sent.message_id


async def test_a_repeated_delivery_is_answered_and_worked_once(world: World, bot: Replica) -> None:
    sent = delivery(read_completed(world.company_id, "bills", name="read.completed.initial"))
    assert (await bot.post(sent)).status_code == 200
    await bot.settled()
    # Codat retries what it thinks failed, with the same id (and a new signature time).
    again = delivery(json.loads(sent.body), message_id=sent.message_id)
    assert (await bot.post(again)).status_code == 200
    assert (await bot.post(sent)).status_code == 200
    await bot.settled()

    assert world.recorder.calls == [("data_changed", world.company_id, "bills")]
    assert len(await world.deliveries()) == 1
    assert len(await world.audit()) == 1


async def test_two_replicas_receiving_the_same_delivery_work_it_once(
    world: World, bot: Replica
) -> None:
    other = await world.replica()
    sent = delivery(write_event(world.company_id, "bills.write.successful", "bill-1"))
    answers = await asyncio.gather(bot.post(sent), other.post(sent), bot.post(sent))
    assert [a.status_code for a in answers] == [200, 200, 200]
    await bot.settled()
    await other.settled()

    assert world.recorder.calls == [
        ("write_finished", world.company_id, "bills", True),
        ("data_changed", world.company_id, "bills"),
    ]
    (row,) = await world.deliveries()
    assert row.outcome == "done"
    (audit,) = await world.audit()
    assert (audit.action, audit.bill_id) == ("write_finished", "bill-1")


async def test_a_delivery_left_by_a_replica_that_died_is_worked_by_another(
    world: World,
) -> None:
    dead = world.services()
    assert dead.webhooks is not None
    sent = delivery(connection_event(world.company_id, world.connection_id))
    # Recorded and answered, then the process died before working it.
    accepted = await dead.webhooks.accept(sent.body, sent.headers)
    assert accepted.new
    assert world.recorder.calls == []

    later = utcnow() + timedelta(seconds=dead.settings.claim_lease_seconds + 1)
    live = world.services(clock=lambda: later)
    assert live.webhooks is not None
    assert await live.webhooks.recover() == 1
    assert await live.webhooks.recover() == 0

    assert world.recorder.calls == [
        ("connection_changed", world.company_id, world.connection_id, "Unlinked", None)
    ]
    (row,) = await world.deliveries()
    assert row.processed_at == later


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("forged signature", lambda d: d.headers.update({"webhook-signature": "v1,Zm9yZ2Vk"})),
        ("signed with another secret", None),
        ("body changed after signing", lambda d: d.__setattr__("body", d.body + b" ")),
        ("no signature", lambda d: d.headers.pop("webhook-signature")),
        ("no id", lambda d: d.headers.pop("webhook-id")),
    ],
)
async def test_a_delivery_not_signed_by_codat_is_refused_and_leaves_nothing(
    world: World, bot: Replica, what: str, change: Callable[[Delivery], Any] | None
) -> None:
    event = write_event(world.company_id, "bills.write.successful", "bill-1")
    if change is None:
        sent = delivery(event, secret="whsec_" + "QUJDREVGR0hJSktMTU5PUA==")
    else:
        sent = delivery(event)
        sent = Delivery(sent.body, dict(sent.headers))
        change(sent)
    answer = await bot.post(sent)
    assert answer.status_code == 401, what
    assert json.loads(sent.body)["eventType"] not in answer.text
    await bot.settled()
    assert world.recorder.calls == []
    assert await world.deliveries() == []


@pytest.mark.parametrize("off", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_a_delivery_timed_more_than_five_minutes_off_is_refused(
    world: World, bot: Replica, off: timedelta, caplog: pytest.LogCaptureFixture
) -> None:
    event = read_completed(world.company_id, "bills")
    sent = delivery(event, at=datetime.now(UTC) + off)
    assert (await bot.post(sent)).status_code == 401
    assert await world.deliveries() == []
    # The log says why, never what the body said.
    assert "refused a webhook" in caplog.text
    assert world.company_id not in caplog.text
    # Within the window, the same delivery is taken.
    assert (await bot.post(delivery(event, at=datetime.now(UTC) - off * 0.6))).status_code == 200


async def test_connection_events_name_themselves_in_type_and_others_in_event_type(
    world: World, bot: Replica
) -> None:
    connected = connection_event(
        world.company_id,
        world.connection_id,
        "connection.reconnected",
        status="Linked",
        linkUrl="https://link.codat.io/x",
    )
    older_spelling = write_event(world.company_id, "bill.write.unsuccessful")
    payments = write_event(world.company_id, "billPayments.write.successful", "pay-1")
    suppliers = write_event(world.company_id, "suppliers.write.successful", "sup-1")
    for event in (connected, older_spelling, payments, suppliers):
        assert (await bot.post(delivery(event))).status_code == 200
        await bot.settled()

    assert world.recorder.calls == [
        (
            "connection_changed",
            world.company_id,
            world.connection_id,
            "Linked",
            "https://link.codat.io/x",
        ),
        ("write_finished", world.company_id, "bills", False),
        ("write_finished", world.company_id, "billPayments", True),
        ("data_changed", world.company_id, "billPayments"),
        ("write_finished", world.company_id, "suppliers", True),
        ("data_changed", world.company_id, "suppliers"),
    ]
    actions = [a.action for a in await world.audit()]
    assert sorted(actions) == sorted(
        ["connection_changed", "write_failed", "write_finished", "write_finished"]
    )


@pytest.mark.parametrize(
    "event",
    [
        {"eventType": "company.created", "payload": {"referenceCompany": {"id": "c"}}},
        {"type": "DataSyncCompleted", "CompanyId": "c"},
        {"eventType": "invoices.write.successful", "payload": {}},
        {"something": "else"},
    ],
)
async def test_an_event_the_bot_has_no_use_for_is_answered_and_left(
    world: World, bot: Replica, event: dict[str, Any]
) -> None:
    assert (await bot.post(delivery(event))).status_code == 200
    await bot.settled()
    assert world.recorder.calls == []
    (row,) = await world.deliveries()
    assert row.outcome == "ignored" and row.processed_at is not None
    assert await world.audit() == []


async def test_the_rate_limit_events_pause_reads_until_the_reset(
    world: World, bot: Replica
) -> None:
    budget = bot.services.budget
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    reached = rate_limit_event("client.rateLimit.reached", expiry.isoformat())
    assert (await bot.post(delivery(reached))).status_code == 200
    await bot.settled()
    assert budget.sync_paused()
    with pytest.raises(PayablesBudgetExhausted) as refused:
        await bot.services.reads.list_companies()
    assert refused.value.reset_at == expiry
    # A payment's calls still go.
    await bot.services.reads.with_priority(Priority.PAYMENT).list_companies()

    assert (await bot.post(delivery(rate_limit_event("client.rateLimit.reset")))).status_code == 200
    await bot.settled()
    assert not budget.sync_paused()
    await bot.services.reads.list_companies()


async def test_without_a_secret_webhooks_are_refused(world: World) -> None:
    services = build_services(bot_settings(), db=world.db, payables=world.payables)
    web = create_web_app(services, slack_requests=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://bot.test"
    ) as http:
        sent = delivery(read_completed(world.company_id, "bills"))
        answer = await http.post("/webhooks/codat", content=sent.body, headers=sent.headers)
    assert answer.status_code == 404
    assert await world.deliveries() == []


async def test_deliveries_are_kept_three_days_then_forgotten(world: World, bot: Replica) -> None:
    sent = delivery(read_completed(world.company_id, "bills"))
    assert (await bot.post(sent)).status_code == 200
    await bot.settled()
    assert bot.services.webhooks is not None
    assert await bot.services.webhooks.prune() == 0

    later = utcnow() + timedelta(days=3, minutes=1)
    aged = world.services(clock=lambda: later)
    assert aged.webhooks is not None
    assert await aged.webhooks.prune() == 1
    assert await world.deliveries() == []
    async with world.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Claim)) == 0


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(
        [
            "read.completed",
            "connection.failed",
            "bills.write.successful",
            "client.rateLimit.reached",
        ]
    ),
    key=st.sampled_from(["eventType", "type"]),
    payload=_json,
)
async def test_any_signed_body_is_answered_and_never_fails_the_bot(
    world: World, bot: Replica, name: str, key: str, payload: Any
) -> None:
    """Codat's body shapes vary by event and over time: whatever a signed body holds, it is
    answered 200 and worked to an outcome."""
    world.recorder.calls.clear()
    sent = delivery({key: name, "payload": payload})
    assert (await bot.post(sent)).status_code == 200
    await bot.settled()
    async with world.db.read() as s:
        row = await s.scalar(
            select(WebhookDelivery).where(WebhookDelivery.message_id == sent.message_id)
        )
    assert row is not None and row.processed_at is not None
    await bot.services.budget.rate_limit_reset()
