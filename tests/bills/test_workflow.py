"""The bill's lifecycle without Slack: links, approvals, rejections and payments against the
payables sandbox and a real database, including the races that must never pay twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from billpay.bills.listing import parse_filter
from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.payments.form import AccountChoice, PaymentRequest
from billpay.payments.rules import new_payment_key
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import AuditEvent, BillCase, CaseState, Decision, Payment
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import TODAY, SleepRecorder, client_for, complete_link, on_postgres
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, TEAM, bot_settings, sandbox_payments


async def _gbp_bill(payables: PayablesClient, demo: DemoIds):
    async for bill in payables.iter_bills(demo.company_id, demo.connection_id):
        if bill.currency == "GBP" and bill.status == "Open" and bill.total_amount > 100:
            return bill
    raise AssertionError("the demo has no open GBP bill")


def _request(account: AccountChoice, amount: Decimal, **changes) -> PaymentRequest:
    values = {
        "account": account,
        "currency": "GBP",
        "amount": amount,
        "payment_date": TODAY,
        "reference": "Paid from Slack",
        "exchange_rate": None,
        "idempotency_key": new_payment_key(),
    }
    values.update(changes)
    return PaymentRequest(**values)


async def _gbp_account(services: Services) -> AccountChoice:
    link = await services.links.link_for(TEAM, CHANNEL)
    accounts = await services.payments.accounts_for(link, "GBP")
    return next(a for a in accounts if a.currency == "GBP")


async def _audit(db: Database) -> list[AuditEvent]:
    async with db.read() as s:
        return list(await s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


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
    assert [e.action for e in await _audit(bot_db)] == ["channel_linked", "channel_linked"]


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
    bill = await _gbp_bill(payables, sandbox.demo)
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


async def test_times_come_from_the_injected_clock(
    bot_db: Database, payables: PayablesClient, sandbox: Sandbox
) -> None:
    linked, approved, paid = (datetime(2025, 3, 4, 9, minute, tzinfo=UTC) for minute in (0, 1, 2))
    now = [linked]
    flow = build_services(bot_settings(), db=bot_db, payables=payables, clock=lambda: now[0])
    link, _ = await flow.links.connect(TEAM, CHANNEL, ANA)
    assert link.linked_at == linked
    bill = await _gbp_bill(payables, sandbox.demo)

    now[0] = approved
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    async with bot_db.read() as s:
        case = await s.scalar(select(BillCase).where(BillCase.bill_id == bill.id))
        decision = await s.scalar(select(Decision).where(Decision.case_id == case.id))
    assert case.updated_at == approved and decision.created_at == approved

    now[0] = paid
    account = await _gbp_account(flow)
    outcome = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, bill.outstanding_amount), TODAY
    )
    assert outcome.status == "recorded", outcome.message
    async with bot_db.read() as s:
        case = await s.scalar(select(BillCase).where(BillCase.bill_id == bill.id))
        payment = await s.scalar(select(Payment).where(Payment.case_id == case.id))
    assert case.updated_at == paid
    assert payment.created_at == payment.updated_at == paid

    assert [(e.action, e.at) for e in await _audit(bot_db)] == [
        ("channel_linked", linked),
        ("bill_approved", approved),
        ("payment_requested", paid),
        ("payment_recorded", paid),
    ]


async def test_a_message_rendered_twice_at_one_instant_bumps_its_version_twice(
    bot_db: Database, payables: PayablesClient
) -> None:
    """Cards detect crossed renders by the message's version: a frozen clock must not hide one."""
    frozen = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    flow = build_services(bot_settings(), db=bot_db, payables=payables, clock=lambda: frozen)
    link, _ = await flow.links.connect(TEAM, CHANNEL, ANA)
    await flow.messages.record(
        link,
        CHANNEL,
        "1700000000.000100",
        bill_filter=parse_filter(""),
        page=0,
        bill_ids=[],
        listed=[],
        locale="en_GB",
        time_zone="Europe/London",
        user_id=ANA,
    )
    versions = []
    for _ in range(2):
        async with flow.messages.locked(CHANNEL, "1700000000.000100") as held:
            assert held is not None
        message = await flow.messages.get(CHANNEL, "1700000000.000100")
        assert message is not None and message.updated_at == frozen
        versions.append(message.version)
    assert versions[1] == versions[0] + 1


async def test_approve_then_pay_in_full_marks_the_bill_paid(
    services: Services, payables: PayablesClient, sandbox: Sandbox, bot_db: Database
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    outcome = await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert outcome.case.state == CaseState.APPROVED and outcome.case.approvals == (ANA,)
    account = await _gbp_account(services)
    paid = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, bill.outstanding_amount), TODAY
    )
    assert paid.status == "recorded", paid.message
    assert paid.case.state == CaseState.PAID and paid.case.amount_due == 0
    fresh = await payables.get_bill(sandbox.demo.company_id, sandbox.demo.connection_id, bill.id)
    assert fresh.status == "Paid"
    actions = [e.action for e in await _audit(bot_db)]
    assert actions[-3:] == ["bill_approved", "payment_requested", "payment_recorded"]


async def test_a_partial_payment_leaves_the_rest_due_and_the_bill_payable(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await _gbp_account(services)
    first = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, Decimal("100.00")), TODAY
    )
    assert first.status == "recorded"
    assert first.case.state == CaseState.APPROVED
    assert first.case.amount_due == bill.outstanding_amount - Decimal("100.00")
    fresh = await payables.get_bill(sandbox.demo.company_id, sandbox.demo.connection_id, bill.id)
    assert fresh.status == "PartiallyPaid" and fresh.amount_due == first.case.amount_due


async def test_paying_needs_approval_first(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    with pytest.raises(Denied, match="needs approval"):
        await services.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    refused = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        _request(await _gbp_account(services), Decimal(1)),
        TODAY,
    )
    assert refused.status == "refused" and "approval" in refused.message
    assert await sandbox_payments(sandbox, bill.id) == 0


async def test_someone_the_policy_does_not_allow_changes_nothing(
    make_services: Callable[..., Services],
    payables: PayablesClient,
    sandbox: Sandbox,
    bot_db: Database,
) -> None:
    flow = make_services(approvers=[ANA], payers=[SAM])
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(payables, sandbox.demo)
    with pytest.raises(Denied, match="Only <@U0ANA> can approve"):
        await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), EVE)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    with pytest.raises(Denied, match="Only <@U0SAM> can pay"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    events = await _audit(bot_db)
    denied = [e for e in events if e.action == "permission_denied"]
    assert [(e.actor, e.details["attempted"]) for e in denied] == [(EVE, "approve"), (ANA, "pay")]
    (view,) = await flow.cases.case_views((await flow.links.link_for(TEAM, CHANNEL)).id, [bill.id])
    assert view.approvals == (ANA,)


async def test_above_the_threshold_two_different_approvers_are_needed(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services(dual_approval_threshold=Decimal(100))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(payables, sandbox.demo)
    first = await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert first.case.state == CaseState.PENDING and first.case.approvals_required == 2
    again = await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert again.notice and "already approved" in again.notice
    assert again.case.approvals == (ANA,) and again.case.state == CaseState.PENDING
    second = await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), BEN)
    assert second.case.state == CaseState.APPROVED and second.case.approvals == (ANA, BEN)


async def test_a_foreign_bill_without_a_rate_counts_as_above_the_threshold(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services(dual_approval_threshold=Decimal(1_000_000))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    euro = None
    async for bill in payables.iter_bills(sandbox.demo.company_id, sandbox.demo.connection_id):
        if bill.currency == "EUR" and bill.currency_rate is None:
            euro = bill
            break
    assert euro is not None
    outcome = await flow.approvals.approve(CaseRef(TEAM, CHANNEL, euro.id), ANA)
    assert outcome.case.approvals_required == 2 and outcome.case.state == CaseState.PENDING


async def test_an_approver_may_be_kept_from_paying(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services(approver_may_pay=False)
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(payables, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    with pytest.raises(Denied, match="someone else to pay"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    form = await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert form.case.bill_id == bill.id


async def test_reject_records_who_and_why_and_closes_the_case(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    outcome = await services.approvals.reject(
        CaseRef(TEAM, CHANNEL, bill.id), BEN, "  Duplicate of INV-1001 "
    )
    assert outcome.case.state == CaseState.REJECTED
    assert (outcome.case.rejected_by, outcome.case.reject_reason) == (BEN, "Duplicate of INV-1001")
    late = await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert late.notice and "rejected by <@U0BEN>" in late.notice
    assert late.case.state == CaseState.REJECTED


async def test_pay_modal_lists_the_active_accounts_that_can_pay_the_bill_its_currency_first(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    euro = None
    async for bill in payables.iter_bills(sandbox.demo.company_id, sandbox.demo.connection_id):
        if bill.currency == "EUR":
            euro = bill
            break
    assert euro is not None
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, euro.id), ANA)
    form = await services.payments.prepare_payment(CaseRef(TEAM, CHANNEL, euro.id), SAM)
    assert form.accounts[0].currency == "EUR"
    assert "Old Savings" not in [a.name for a in form.accounts]  # archived
    # EUR or the company's GBP: a USD account can't pay a EUR bill (a third currency).
    assert {a.name for a in form.accounts} == {"Euro Account", "Business Current"}


async def test_a_foreign_currency_payment_sends_the_rate(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    euro = None
    async for bill in payables.iter_bills(sandbox.demo.company_id, sandbox.demo.connection_id):
        if bill.currency == "EUR" and bill.status == "Open":
            euro = bill
            break
    assert euro is not None
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, euro.id), ANA)
    account = await _gbp_account(services)
    done = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, euro.id),
        SAM,
        _request(account, euro.outstanding_amount, exchange_rate=Decimal("0.8612"), currency="EUR"),
        TODAY,
    )
    assert done.status == "recorded", done.message
    assert done.payment is not None and done.payment.exchange_rate == Decimal("0.8612")


async def test_a_later_date_schedules_the_payment_without_calling_the_api(
    services: Services, payables: PayablesClient, sandbox: Sandbox, bot_db: Database
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    later = TODAY + timedelta(days=5)
    outcome = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        _request(await _gbp_account(services), Decimal(50), payment_date=later),
        TODAY,
    )
    assert outcome.status == "scheduled" and outcome.case.state == CaseState.SCHEDULED
    assert await sandbox_payments(sandbox, bill.id) == 0
    async with bot_db.read() as s:
        (payment,) = list(await s.scalars(select(Payment)))
    assert (payment.status, payment.payment_date) == ("scheduled", later)


async def test_the_same_submission_twice_at_once_records_one_payment(
    services: Services, payables: PayablesClient, sandbox: Sandbox, bot_db: Database
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = _request(await _gbp_account(services), Decimal("10.00"))
    outcomes = await asyncio.gather(
        *(
            services.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
            for _ in range(4)
        )
    )
    assert sorted(o.status for o in outcomes).count("recorded") == 1
    assert {o.status for o in outcomes} <= {"recorded", "duplicate"}
    assert await sandbox_payments(sandbox, bill.id) == 1
    async with bot_db.read() as s:
        assert len(list(await s.scalars(select(Payment)))) == 1


async def test_two_payers_at_once_cannot_both_pay(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await _gbp_account(services)
    outcomes = await asyncio.gather(
        services.payments.submit_payment(
            CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, bill.outstanding_amount), TODAY
        ),
        services.payments.submit_payment(
            CaseRef(TEAM, CHANNEL, bill.id), BEN, _request(account, bill.outstanding_amount), TODAY
        ),
    )
    assert sorted(o.status for o in outcomes) == ["recorded", "refused"]
    assert await sandbox_payments(sandbox, bill.id) == 1


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


async def test_a_lost_answer_fails_safe_and_a_retry_with_the_same_key_pays_once(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    losing = LosingTransport(httpx.ASGITransport(app=sandbox.app), losses=100)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(losing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = _request(await _gbp_account(flow), bill.outstanding_amount)

    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY
    )
    assert failed.status == "failed" and failed.case.state == CaseState.FAILED
    assert failed.payment is not None and failed.payment.outcome_unknown
    assert "cannot pay twice" in failed.message
    assert losing.delivered > 1  # the client already retried, always with the same key
    assert await sandbox_payments(sandbox, bill.id) == 1
    with pytest.raises(Denied, match="Retry payment"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)

    losing.losses = 0
    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded" and retried.case.state == CaseState.PAID
    assert await sandbox_payments(sandbox, bill.id) == 1
    async with bot_db.read() as s:
        (payment,) = list(await s.scalars(select(Payment)))
    assert payment.status == "recorded" and payment.idempotency_key == request.idempotency_key


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
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await _gbp_account(flow)
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, Decimal(5)), TODAY
    )
    assert failed.status == "failed" and failed.case.state == CaseState.FAILED
    assert "locked for this period" in failed.message and "Nothing was paid" in failed.message
    assert failed.payment is not None and not failed.payment.outcome_unknown
    assert await sandbox_payments(sandbox, bill.id) == 0
    again = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, Decimal(5)), TODAY
    )
    assert again.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_a_bill_paid_elsewhere_closes_its_case_on_the_next_read(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await _gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    await payables.create_bill_payment(
        sandbox.demo.company_id,
        sandbox.demo.connection_id,
        bill.id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount,
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=sandbox.demo.bank_accounts["GBP"]),
        ),
    )
    view = await services.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
    assert view.state == CaseState.CLOSED and view.note == "Paid in the accounting platform."
    with pytest.raises(Denied, match="closed"):
        await services.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)


@pytest.mark.slow
@pytest.mark.skipif(not on_postgres(), reason="several replicas need PostgreSQL (README)")
async def test_two_replicas_paying_the_same_submission_record_one_payment(
    bot_database_url: str, sandbox: Sandbox, payables: PayablesClient
) -> None:
    replicas = [Database(bot_database_url), Database(bot_database_url)]
    try:
        flows = [build_services(bot_settings(), db=db, payables=payables) for db in replicas]
        await flows[0].links.connect(TEAM, CHANNEL, ANA)
        bill = await _gbp_bill(payables, sandbox.demo)
        await flows[1].approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
        request = _request(await _gbp_account(flows[0]), bill.outstanding_amount)
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


async def test_a_payment_abandoned_by_a_stopped_process_can_be_retried_once(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    crashing = CrashingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(crashing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = _request(await _gbp_account(flow), bill.outstanding_amount)
    with pytest.raises(SystemExit):
        await flow.payments.submit_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY)
    crashing.crash = False

    # Soon after, the payment may still be in flight elsewhere: nobody may start another.
    assert (await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))).state == CaseState.PAYING
    with pytest.raises(Denied, match="being recorded"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)

    async with bot_db.write() as s:
        (payment,) = list(await s.scalars(select(Payment)))
        payment.updated_at = payment.updated_at - timedelta(minutes=10)
    view = await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
    assert view.state == CaseState.FAILED and view.last_payment is not None
    assert view.last_payment.outcome_unknown
    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1


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


async def test_an_unreadable_answer_is_settled_at_once_by_reading_the_bill(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = AnswerTransport(httpx.ASGITransport(app=sandbox.app), _html, None)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(transport, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = _request(await _gbp_account(flow), Decimal("10.00"))
    settled = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY
    )
    # The answer couldn't be read, but the bill's amount due dropped by exactly the payment.
    assert settled.status == "recorded" and settled.case.state == CaseState.APPROVED
    assert settled.case.amount_due == bill.outstanding_amount - Decimal("10.00")
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_an_answer_that_may_hide_a_recorded_payment_is_never_taken_for_a_refusal(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = AnswerTransport(httpx.ASGITransport(app=sandbox.app), _timeout, _in_progress)
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(transport, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = _request(await _gbp_account(flow), Decimal("10.00"))
    failed = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, request, TODAY
    )
    assert failed.status == "failed" and failed.payment is not None
    assert failed.payment.outcome_unknown and "cannot pay twice" in failed.message
    with pytest.raises(Denied, match="Retry payment"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    transport.then = None
    retried = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert retried.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_retry_is_refused_after_a_known_refusal(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    refusing = RefusingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(bot_settings(), db=bot_db, payables=client_for(refusing, sleeps))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await _gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await _gbp_account(flow)
    await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, _request(account, Decimal(5)), TODAY
    )
    refused = await flow.recovery.retry_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert refused.status == "refused"
    assert await sandbox_payments(sandbox, bill.id) == 0
