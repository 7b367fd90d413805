"""Scheduled payments go out on their date, in the channel's time zone, and never while another
payment of the same bill is in flight or in doubt: they wait, the card says so, and they go once
that payment is settled, without forcing the case's state."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from billpay.bills.policy_store import PolicyChoice
from billpay.core.domain import CaseRef, CaseState
from billpay.digest.store import create_subscription
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import Payment
from payables_sandbox.app import Sandbox
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY, SleepRecorder, client_for
from testkit.world import ANA, CHANNEL, NOW, SAM, TEAM, bot_settings, sandbox_payments


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Unanswered(httpx.AsyncBaseTransport):
    """Payment requests never get through while `cut` is set: their fate is unknown."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut and request.method == "POST" and request.url.path.endswith("/payment"):
            raise httpx.ReadTimeout("no answer", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_scheduled_payment_waits_while_another_of_the_bill_is_in_doubt(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    clock = Clock(NOW)
    network = Unanswered(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(
        bot_settings(), db=bot_db, payables=client_for(network, sleeps), clock=clock
    )
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await flow.approvals.approve(ref, ANA)
    account = await gbp_account(flow)
    tomorrow = TODAY + timedelta(days=1)
    later = payment_request(account, Decimal("40.00"), payment_date=tomorrow)
    assert (await flow.payments.submit_payment(ref, SAM, later, TODAY)).status == "scheduled"
    # The next morning, before the scheduled one's time, a payer pays 10.00 more: no answer.
    clock.now = datetime.combine(tomorrow, time(7, 50), UTC)
    network.cut = True
    now = await flow.payments.submit_payment(
        ref, SAM, payment_request(account, Decimal("10.00"), payment_date=tomorrow), tomorrow
    )
    assert now.status == "in_doubt" and now.case.state == CaseState.IN_DOUBT
    assert now.case.scheduled is not None  # the card names the scheduled one as waiting

    clock.now = datetime.combine(tomorrow, time(8, 0), UTC)
    (due,) = await flow.scheduled.due_payments(clock.now)
    assert await flow.scheduled.send_scheduled(due) is None  # waits: nothing sent
    view = await flow.cases.case_view(await flow.links.link_for(TEAM, CHANNEL), bill.id)
    assert view is not None and view.state == CaseState.IN_DOUBT  # not forced by the wait
    assert await sandbox_payments(sandbox, bill.id) == 0

    network.cut = False
    (settled,) = await flow.settler.settle_due()  # the first's key arrives now: recorded
    assert settled.outcome.status == "recorded"
    assert settled.outcome.case.state == CaseState.SCHEDULED  # the other still to go
    sent = await flow.scheduled.send_scheduled(due)
    assert sent is not None and sent.outcome.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 2


async def test_scheduled_payments_go_out_at_the_set_time_in_the_channels_time_zone(
    services: Services, bot_db: Database, sandbox: Sandbox
) -> None:
    link = await services.links.link_for(TEAM, CHANNEL)
    digest = await create_subscription(
        bot_db, link.id, created_by=ANA, time_zone="Pacific/Auckland"
    )
    assert digest.time_zone == "Pacific/Auckland"
    bill = await open_gbp_bill(services.reads, sandbox.demo)
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await services.approvals.approve(ref, ANA)
    tomorrow = TODAY + timedelta(days=1)
    request = payment_request(await gbp_account(services), Decimal("5.00"), payment_date=tomorrow)
    await services.payments.submit_payment(ref, SAM, request, TODAY)
    # 08:00 in Auckland on the payment's date is 19:00 UTC the day before.
    auckland_eight = datetime.combine(TODAY, time(19, 0), UTC)
    assert await services.scheduled.due_payments(auckland_eight - timedelta(minutes=1)) == []
    async with bot_db.read() as s:
        (payment,) = list(await s.scalars(select(Payment)))
    assert await services.scheduled.due_payments(auckland_eight) == [payment.id]


async def test_a_scheduled_payment_its_approver_may_no_longer_make_is_not_sent(
    bot_db: Database, sandbox: Sandbox, payables: Any
) -> None:
    """Scheduled while the policy let an approver pay, sent after it stopped: the policy in
    force when it goes out decides, and nothing is paid."""
    clock = Clock(NOW)
    lenient = build_services(
        bot_settings(approver_may_pay=True, admins=SAM), db=bot_db, payables=payables, clock=clock
    )
    link, _ = await lenient.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(lenient.reads, sandbox.demo)
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await lenient.approvals.approve(ref, ANA)
    account = await gbp_account(lenient)
    tomorrow = TODAY + timedelta(days=1)
    later = payment_request(account, Decimal("40.00"), payment_date=tomorrow)
    assert (await lenient.payments.submit_payment(ref, ANA, later, TODAY)).status == "scheduled"

    choice = PolicyChoice((), None, (), None, approver_may_pay=False, reminder_hours=24)
    await lenient.policies.save(link, SAM, choice)
    strict = build_services(bot_settings(), db=bot_db, payables=payables, clock=clock)
    clock.now = datetime.combine(tomorrow, time(8, 0), UTC)
    (due,) = await strict.scheduled.due_payments(clock.now)
    sent = await strict.scheduled.send_scheduled(due)
    assert sent is not None and sent.outcome.status == "not_sent"
    assert "you approved this bill, and the policy now asks someone else to pay it." in (
        sent.outcome.message
    )
    assert await sandbox_payments(sandbox, bill.id) == 0
