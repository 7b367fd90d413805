"""Approving and rejecting against the payables sandbox and a real database: the policy checked at
click time, two approvers above the threshold, who rejected and why."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.services import Services
from billpay.store.db import Database
from billpay.store.models import CaseState
from payables_sandbox.app import Sandbox
from testkit.cases import audit_trail, open_gbp_bill
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, TEAM


async def test_someone_the_policy_does_not_allow_changes_nothing(
    make_services: Callable[..., Services],
    payables: PayablesClient,
    sandbox: Sandbox,
    bot_db: Database,
) -> None:
    flow = make_services(approvers=[ANA], payers=[SAM])
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(payables, sandbox.demo)
    with pytest.raises(Denied, match="Only <@U0ANA> can approve"):
        await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), EVE)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    with pytest.raises(Denied, match="Only <@U0SAM> can pay"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    events = await audit_trail(bot_db)
    denied = [e for e in events if e.action == "permission_denied"]
    assert [(e.actor, e.details["attempted"]) for e in denied] == [(EVE, "approve"), (ANA, "pay")]
    (view,) = await flow.cases.case_views((await flow.links.link_for(TEAM, CHANNEL)).id, [bill.id])
    assert view.approvals == (ANA,)


async def test_above_the_threshold_two_different_approvers_are_needed(
    make_services: Callable[..., Services], payables: PayablesClient, sandbox: Sandbox
) -> None:
    flow = make_services(dual_approval_threshold=Decimal(100))
    await flow.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(payables, sandbox.demo)
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


async def test_reject_records_who_and_why_and_closes_the_case(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
    outcome = await services.approvals.reject(
        CaseRef(TEAM, CHANNEL, bill.id), BEN, "  Duplicate of INV-1001 "
    )
    assert outcome.case.state == CaseState.REJECTED
    assert (outcome.case.rejected_by, outcome.case.reject_reason) == (BEN, "Duplicate of INV-1001")
    late = await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    assert late.notice and "rejected by <@U0BEN>" in late.notice
    assert late.case.state == CaseState.REJECTED
