"""Payments that went wrong: a lost answer, a refusal, a stopped process, an unreadable or
ambiguous answer, and several replicas. Each is recorded, refused or in doubt, and a payment in
doubt is settled without paying twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.services import build_services
from billpay.store.db import Database
from billpay.store.models import CaseState, Payment
from payables_sandbox.app import Sandbox
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY, SleepRecorder, client_for, on_postgres
from testkit.world import ANA, CHANNEL, SAM, TEAM, bot_settings, sandbox_payments


class LosingTransport(httpx.AsyncBaseTransport):
    """Delivers payment requests to the sandbox but loses the answer `losses` times, as a
    network timeout would after the platform has recorded the payment."""

    def __init__(self, inner: httpx.AsyncBaseTransport, losses: int) -> None:
        self.inner = inner
        self.losses = losses
        self.delivered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/payment"):
            self.delivered += 1
            if self.losses > 0:
                self.losses -= 1
                await response.aread()
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


async def test_a_lost_answer_is_in_doubt_and_a_check_with_the_same_key_pays_once(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    losing = LosingTransport(httpx.ASGITransport(app=sandbox.app), losses=100)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(losing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = payment_request(await gbp_account(flow), bill.outstanding_amount)

    doubt = await flow.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
    assert doubt.status == "in_doubt" and doubt.case.state == CaseState.IN_DOUBT
    assert doubt.payment is not None and doubt.payment.in_doubt
    assert "We don't know yet whether" in doubt.message and "Nothing was paid" not in doubt.message
    assert losing.delivered > 1  # the client already retried, always with the same key
    assert await sandbox_payments(sandbox, bill.id) == 1
    with pytest.raises(Denied, match="isn't settled yet"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)

    losing.losses = 0
    checked = await flow.recovery.check_now(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert checked.status == "recorded" and checked.case.state == CaseState.PAID
    assert await sandbox_payments(sandbox, bill.id) == 1
    async with bot_db.read() as s:
        (payment,) = list(await s.scalars(select(Payment)))
    assert payment.status == "recorded" and payment.idempotency_key == request.idempotency_key
    assert payment.reconciled == "replay"


class RefusingTransport(httpx.AsyncBaseTransport):
    """Answers the next payment request with a 400, as a platform refusing it would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.refusals = 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/payment") and self.refusals:
            self.refusals -= 1
            body = {"statusCode": 400, "error": "The bank account is locked for this period."}
            return httpx.Response(400, json=body, request=request)
        return await self.inner.handle_async_request(request)


async def test_a_refused_payment_fails_and_a_new_payment_can_follow(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    refusing = RefusingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(refusing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(flow)
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, payment_request(account, Decimal(5)), TODAY
    )
    assert failed.status == "failed" and failed.case.state == CaseState.FAILED
    assert "locked for this period" in failed.message and "Nothing was paid" in failed.message
    assert failed.payment is not None and failed.payment.status == "refused"
    assert await sandbox_payments(sandbox, bill.id) == 0
    again = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, payment_request(account, Decimal(5)), TODAY
    )
    assert again.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1


@pytest.mark.slow
@pytest.mark.skipif(not on_postgres(), reason="several replicas need PostgreSQL (README)")
async def test_two_replicas_paying_the_same_submission_record_one_payment(
    bot_database_url: str, sandbox: Sandbox, payables: PayablesClient
) -> None:
    replicas = [Database(bot_database_url), Database(bot_database_url)]
    try:
        flows = [build_services(bot_settings(), db=db, payables=payables) for db in replicas]
        await flows[0].links.connect(TEAM, CHANNEL, ANA)
        bill = await open_gbp_bill(payables, sandbox.demo)
        await flows[1].approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
        request = payment_request(await gbp_account(flows[0]), bill.outstanding_amount)
        outcomes = await asyncio.gather(
            *(
                f.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
                for f in flows * 2
            )
        )
        assert [o.status for o in outcomes].count("recorded") == 1
        assert await sandbox_payments(sandbox, bill.id) == 1
    finally:
        for db in replicas:
            await db.dispose()


class CrashingTransport(httpx.AsyncBaseTransport):
    """The process dies while the payment request is in flight (nothing reaches the API)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.crash = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.crash and request.method == "POST" and request.url.path.endswith("/payment"):
            raise SystemExit("the process stopped")
        return await self.inner.handle_async_request(request)


async def test_a_payment_left_by_a_stopped_process_is_taken_up_in_doubt_and_paid_once(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    crashing = CrashingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(crashing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = payment_request(await gbp_account(flow), bill.outstanding_amount)
    with pytest.raises(SystemExit):
        await flow.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
    crashing.crash = False

    # Soon after, the payment may still be in flight elsewhere: nobody may start another, and
    # the settler leaves it to its sender.
    assert (await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))).state == CaseState.PAYING
    with pytest.raises(Denied, match="isn't settled yet"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert await flow.settler.settle_due() == []

    async with bot_db.write() as s:
        (payment,) = list(await s.scalars(select(Payment)))
        payment.sent_at = payment.sent_at - timedelta(minutes=10)
    (settled,) = await flow.settler.settle_due()
    assert settled.outcome.status == "recorded"  # its key, replayed, was never used: paid now
    assert settled.outcome.case.state == CaseState.PAID
    assert await sandbox_payments(sandbox, bill.id) == 1
    assert await flow.settler.settle_due() == []


class AnswerTransport(httpx.AsyncBaseTransport):
    """Delivers the first payment request, then answers it with `first`; later payment
    requests get `then` without reaching the sandbox (None: delivered normally)."""

    def __init__(self, inner, first, then) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.first, self.then = inner, first, then
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (request.method == "POST" and request.url.path.endswith("/payment")):
            return await self.inner.handle_async_request(request)
        self.seen += 1
        if self.seen == 1:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return self.first(request)
        if self.then is None:
            return await self.inner.handle_async_request(request)
        return self.then(request)


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("the answer was lost", request=request)


def _in_progress(request: httpx.Request) -> httpx.Response:
    body = {"statusCode": 409, "error": "A request is in progress with the same idempotency key."}
    return httpx.Response(409, json=body, request=request)


def _html(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, text="<html>Created</html>", request=request)


async def test_a_created_answer_that_cannot_be_read_is_recorded(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = AnswerTransport(httpx.ASGITransport(app=sandbox.app), _html, None)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(transport, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = payment_request(await gbp_account(flow), Decimal("10.00"))
    settled = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY
    )
    # A 201 says the payment was written, whatever its body.
    assert settled.status == "recorded" and settled.case.state == CaseState.APPROVED
    assert settled.case.amount_due == bill.outstanding_amount - Decimal("10.00")
    assert settled.case.estimated  # the bot's arithmetic until a read shows the platform's
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_an_answer_that_may_hide_a_recorded_payment_is_never_taken_for_a_refusal(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = AnswerTransport(httpx.ASGITransport(app=sandbox.app), _timeout, _in_progress)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(transport, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = payment_request(await gbp_account(flow), Decimal("10.00"))
    doubt = await flow.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
    assert doubt.status == "in_doubt" and doubt.payment is not None and doubt.payment.in_doubt
    with pytest.raises(Denied, match="isn't settled yet"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    still = await flow.recovery.check_now(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert still.status == "in_doubt"  # 409 in progress again: nothing proven, nothing sent
    transport.then = None
    checked = await flow.recovery.check_now(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert checked.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_a_check_after_a_known_refusal_does_nothing(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    refusing = RefusingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(refusing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(flow)
    await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, payment_request(account, Decimal(5)), TODAY
    )
    refused = await flow.recovery.check_now(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert refused.status == "refused"
    assert await sandbox_payments(sandbox, bill.id) == 0
