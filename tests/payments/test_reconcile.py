"""A payment whose answer was lost is settled by reading the bill, never by resending blindly:
against the sandbox's Codat rules (keys replayed, errors included, for 90 minutes; a new write
after that), no payment is ever recorded twice, and none is left in doubt when the bill's
figures can tell."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from billpay.core.domain import CaseRef, CaseState
from billpay.core.errors import Denied
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.payments.reconcile import Reading, Reserved, Verdict, verdict
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Payment
from payables_sandbox.app import Sandbox
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY, SleepRecorder, client_for
from testkit.world import ANA, CHANNEL, NOW, SAM, TEAM, bot_settings, sandbox_payments

PAYMENT_POST = "/payment"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class LosingTransport(httpx.AsyncBaseTransport):
    """The payables API's network. `deliver` says whether a payment POST reaches the sandbox,
    `lose` whether its answer is then lost (a read timeout); `before_payment` runs just before a
    delivered payment (another payer acting meanwhile)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.deliver: Callable[[int], bool] = lambda n: True
        self.lose: Callable[[int], bool] = lambda n: False
        self.before_payment: Callable[[], Any] | None = None
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (request.method == "POST" and request.url.path.endswith(PAYMENT_POST)):
            return await self.inner.handle_async_request(request)
        self.posts += 1
        n = self.posts
        if not self.deliver(n):
            raise httpx.ConnectTimeout("no route", request=request)
        if self.before_payment is not None:
            meanwhile, self.before_payment = self.before_payment, None
            await meanwhile()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if self.lose(n):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


async def _flow(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> tuple[Services, LosingTransport]:
    transport = LosingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(
        bot_settings(), db=bot_db, payables=client_for(transport, sleeps), clock=clock
    )
    await flow.links.connect(TEAM, CHANNEL, ANA)
    return flow, transport


async def _payments(db: Database) -> list[Payment]:
    async with db.read() as s:
        return list(await s.scalars(select(Payment).order_by(Payment.id)))


async def _verdicts(db: Database) -> list[str]:
    async with db.read() as s:
        events = await s.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment_reconciled")
        )
        return [str(e.details["verdict"]) for e in events]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def test_a_5xx_after_the_payment_landed_is_settled_as_recorded(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)
    outcome = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(flow), Decimal("10.00")),
        TODAY,
    )
    assert outcome.status == "recorded" and outcome.case.state == CaseState.APPROVED
    assert outcome.case.amount_due == bill.outstanding_amount - Decimal("10.00")
    assert await sandbox_payments(sandbox, bill.id) == 1
    assert await _verdicts(bot_db) == [Verdict.LANDED]


async def test_a_5xx_before_anything_was_written_is_retried_as_attempt_two(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=False)
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(flow), Decimal("10.00")),
        TODAY,
    )
    assert failed.status == "failed" and failed.payment is not None
    assert not failed.payment.outcome_unknown and failed.payment.may_retry
    assert "Nothing was paid" in failed.message
    assert await sandbox_payments(sandbox, bill.id) == 0

    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
    first, second = await _payments(bot_db)
    assert (second.attempt, second.retry_of) == (2, first.id)
    assert first.idempotency_key != second.idempotency_key  # a new write needs a new key
    assert await _verdicts(bot_db) == [Verdict.NOT_LANDED]


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "never-arrived"])
async def test_past_the_replay_window_only_a_read_settles_a_lost_answer(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock, landed: bool
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    # Every try of the first payment goes unanswered: either it was written each time its key
    # arrived (and replayed), or it never arrived at all.
    transport.deliver = lambda n: landed
    transport.lose = lambda n: True
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(flow), Decimal("10.00")),
        TODAY,
    )
    assert failed.status == "failed" and failed.payment is not None
    assert failed.payment.outcome_unknown  # no answer: it may still be running
    posts = transport.posts

    clock.now = NOW + timedelta(minutes=91)  # the key's answer is no longer replayed
    transport.deliver, transport.lose = (lambda n: True), (lambda n: False)
    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
    sent_again = transport.posts - posts
    # Landed: nothing is sent again. Never arrived: one new attempt, with a new key.
    assert sent_again == (0 if landed else 1)
    assert len(await _payments(bot_db)) == (1 if landed else 2)


async def test_within_the_window_the_same_key_is_sent_first_and_its_answer_replayed(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    transport.lose = lambda n: True
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(flow), Decimal("10.00")),
        TODAY,
    )
    assert failed.payment is not None and failed.payment.outcome_unknown
    transport.lose = lambda n: False
    clock.now = NOW + timedelta(minutes=30)
    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
    (payment,) = await _payments(bot_db)
    assert payment.payables_payment_id is not None  # the replayed answer named the payment


async def test_a_key_refused_as_reused_is_alerted_and_settled_by_reading(
    bot_db: Database,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    transport.lose = lambda n: True
    await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(flow), Decimal("10.00")),
        TODAY,
    )
    transport.lose = lambda n: False
    # A defect changes the stored payment after it was sent: the same key, another body.
    async with bot_db.write() as s:
        (payment,) = await s.scalars(select(Payment))
        payment.reference = "changed after sending"
    with caplog.at_level(logging.ERROR):
        retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert "refused its key as reused" in caplog.text
    assert retried.status == "recorded"  # the bill shows the first send landed
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_a_bill_paid_elsewhere_meanwhile_is_left_to_the_payer(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(flow)

    elsewhere = client_for(httpx.ASGITransport(app=sandbox.app), sleeps)

    async def someone_else_pays() -> None:
        demo = sandbox.demo
        await elsewhere.create_bill_payment(
            demo.company_id,
            demo.connection_id,
            bill.id,
            BillPaymentPrototype(
                amount=Decimal("25.00"),
                date=f"{TODAY.isoformat()}T00:00:00",
                account_ref=Ref(id=account.id),
            ),
        )

    transport.before_payment = someone_else_pays
    transport.lose = lambda n: n == 1
    transport.deliver = lambda n: n == 1
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, payment_request(account, Decimal("10.00")), TODAY
    )
    assert failed.payment is not None and failed.payment.outcome_unknown
    transport.deliver = lambda n: True
    clock.now = NOW + timedelta(minutes=91)
    unsure = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert unsure.payment is not None and unsure.payment.awaits_payer
    assert "can't tell whether this payment was recorded" in unsure.message
    assert await sandbox_payments(sandbox, bill.id) == 2  # nothing more was sent

    confirmed = await flow.recovery.confirm_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, landed=True
    )
    assert confirmed.status == "recorded"
    assert await _verdicts(bot_db) == [Verdict.MOVED]
    assert await sandbox_payments(sandbox, bill.id) == 2


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@given(due=amounts, paid=amounts, moved=amounts)
def test_only_the_exact_drop_counts_as_landed(due: Decimal, paid: Decimal, moved: Decimal) -> None:
    reserved = Reserved(amount=min(paid, due), due_before=due, status_before="Open")
    after = due - reserved.amount
    status = "Paid" if after == 0 else "PartiallyPaid"
    assert verdict(reserved, Reading(after, status)) == Verdict.LANDED
    assert verdict(reserved, Reading(due, "Open")) == Verdict.NOT_LANDED
    assert verdict(reserved, Reading(None, None)) == Verdict.MOVED
    other = Reading(due - moved, "PartiallyPaid")
    expected = (
        Verdict.LANDED
        if moved == reserved.amount
        else (Verdict.NOT_LANDED if moved == 0 else Verdict.MOVED)
    )
    assert verdict(reserved, other) == expected


@pytest.mark.parametrize("outstanding_only", [False, True], ids=["query-widens", "query-filters"])
async def test_a_full_payment_whose_answer_was_lost_under_either_reading_of_list_bills(
    bot_db: Database,
    make_sandbox: Callable[..., Sandbox],
    sleeps: SleepRecorder,
    clock: Clock,
    outstanding_only: bool,
) -> None:
    # The spec doesn't say whether a status query keeps list bills' outstanding-only default.
    sandbox = make_sandbox(strict=True, outstanding_only=outstanding_only)
    await sandbox.start()
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)
    request = payment_request(await gbp_account(flow), bill.outstanding_amount)
    outcome = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY
    )
    assert await sandbox_payments(sandbox, bill.id) == 1
    if outstanding_only:
        # A paid bill can't be read back at all: gone from the list is not proof of ours.
        assert outcome.payment is not None and outcome.payment.awaits_payer
        assert "no longer outstanding (paid or voided elsewhere)" in outcome.message
    else:
        assert outcome.status == "recorded" and outcome.case.state == CaseState.PAID
    assert "deleted" not in outcome.message


@pytest.mark.parametrize("outstanding_only", [False, True], ids=["query-widens", "query-filters"])
async def test_a_bill_paid_elsewhere_is_no_longer_outstanding_never_deleted(
    bot_db: Database,
    make_sandbox: Callable[..., Sandbox],
    sleeps: SleepRecorder,
    clock: Clock,
    outstanding_only: bool,
) -> None:
    sandbox = make_sandbox(strict=True, outstanding_only=outstanding_only)
    await sandbox.start()
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
    elsewhere = client_for(httpx.ASGITransport(app=sandbox.app), sleeps)
    demo = sandbox.demo
    await elsewhere.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill.id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount,
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=(await gbp_account(flow)).id),
        ),
    )
    if outstanding_only:
        with pytest.raises(Denied, match="no longer outstanding") as refused:
            await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
        assert "deleted" not in str(refused.value)
        (view,) = await flow.cases.case_views(
            (await flow.links.link_for(TEAM, CHANNEL)).id, [bill.id]
        )
        assert view.state == CaseState.CLOSED and "paid or voided" in (view.note or "")
    else:
        view = await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
        assert view.state == CaseState.CLOSED and view.note == "Paid in the accounting platform."
