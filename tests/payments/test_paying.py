"""Paying a bill against the payables sandbox and a real database: who may pay, the accounts
offered, full, partial, foreign and scheduled payments, and the races that must never pay twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.services import Services
from billpay.store.db import Database
from billpay.store.models import CaseState, Payment
from payables_sandbox.app import Sandbox
from testkit.cases import audit_trail, gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY
from testkit.world import ANA, BEN, CHANNEL, SAM, TEAM, sandbox_payments


async def test_approve_then_pay_in_full_marks_the_bill_paid(
    services: Services, payables: PayablesClient, sandbox: Sandbox, bot_db: Database
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
    outcome = await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert outcome.case.state == CaseState.APPROVED and outcome.case.approvals == (ANA,)
    account = await gbp_account(services)
    paid = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(account, bill.outstanding_amount),
        TODAY,
    )
    assert paid.status == "recorded", paid.message
    assert paid.case.state == CaseState.PAID and paid.case.amount_due == 0
    fresh = await payables.get_bill(sandbox.demo.company_id, sandbox.demo.connection_id, bill.id)
    assert fresh.status == "Paid"
    actions = [e.action for e in await audit_trail(bot_db)]
    assert actions[-3:] == ["bill_approved", "payment_requested", "payment_recorded"]


async def test_a_partial_payment_leaves_the_rest_due_and_the_bill_payable(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(services)
    first = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id), SAM, payment_request(account, Decimal("100.00")), TODAY
    )
    assert first.status == "recorded"
    assert first.case.state == CaseState.APPROVED
    assert first.case.amount_due == bill.outstanding_amount - Decimal("100.00")
    fresh = await payables.get_bill(sandbox.demo.company_id, sandbox.demo.connection_id, bill.id)
    assert fresh.status == "PartiallyPaid" and fresh.amount_due == first.case.amount_due


async def test_paying_needs_approval_first(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
    with pytest.raises(Denied, match="needs approval"):
        await services.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    refused = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(services), Decimal(1)),
        TODAY,
    )
    assert refused.status == "refused" and "approval" in refused.message
    assert await sandbox_payments(sandbox, bill.id) == 0


async def test_an_approver_may_be_kept_from_paying(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services(approver_may_pay=False)
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(payables, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    with pytest.raises(Denied, match="someone else to pay"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    form = await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert form.case.bill_id == bill.id


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
    account = await gbp_account(services)
    done = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, euro.id),
        SAM,
        payment_request(
            account, euro.outstanding_amount, exchange_rate=Decimal("0.8612"), currency="EUR"
        ),
        TODAY,
    )
    assert done.status == "recorded", done.message
    assert done.payment is not None and done.payment.exchange_rate == Decimal("0.8612")


async def test_a_later_date_schedules_the_payment_without_calling_the_api(
    services: Services, payables: PayablesClient, sandbox: Sandbox, bot_db: Database
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    later = TODAY + timedelta(days=5)
    outcome = await services.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(await gbp_account(services), Decimal(50), payment_date=later),
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
    bill = await open_gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    request = payment_request(await gbp_account(services), Decimal("10.00"))
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
    bill = await open_gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(services)
    outcomes = await asyncio.gather(
        services.payments.submit_payment(
            CaseRef(TEAM, CHANNEL, bill.id),
            SAM,
            payment_request(account, bill.outstanding_amount),
            TODAY,
        ),
        services.payments.submit_payment(
            CaseRef(TEAM, CHANNEL, bill.id),
            BEN,
            payment_request(account, bill.outstanding_amount),
            TODAY,
        ),
    )
    assert sorted(o.status for o in outcomes) == ["recorded", "refused"]
    assert await sandbox_payments(sandbox, bill.id) == 1
