"""The case book: times from the injected clock, versions bumped per write, a bill paid elsewhere
closing its case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from billpay.bills.listing import parse_filter
from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.client import PayablesClient
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import BillCase, CaseState, Decision, Payment
from payables_sandbox.app import Sandbox
from testkit.cases import audit_trail, gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY
from testkit.world import ANA, CHANNEL, SAM, TEAM, bot_settings


async def test_times_come_from_the_injected_clock(
    bot_db: Database, payables: PayablesClient, sandbox: Sandbox
) -> None:
    linked, approved, paid = (datetime(2025, 3, 4, 9, minute, tzinfo=UTC) for minute in (0, 1, 2))
    now = [linked]
    flow = build_services(bot_settings(), db=bot_db, payables=payables, clock=lambda: now[0])
    link, _ = await flow.links.connect(TEAM, CHANNEL, ANA)
    assert link.linked_at == linked
    bill = await open_gbp_bill(payables, sandbox.demo)

    now[0] = approved
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    async with bot_db.read() as s:
        case = await s.scalar(select(BillCase).where(BillCase.bill_id == bill.id))
        decision = await s.scalar(select(Decision).where(Decision.case_id == case.id))
    assert case.updated_at == approved and decision.created_at == approved

    now[0] = paid
    account = await gbp_account(flow)
    outcome = await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill.id),
        SAM,
        payment_request(account, bill.outstanding_amount),
        TODAY,
    )
    assert outcome.status == "recorded", outcome.message
    async with bot_db.read() as s:
        case = await s.scalar(select(BillCase).where(BillCase.bill_id == bill.id))
        payment = await s.scalar(select(Payment).where(Payment.case_id == case.id))
    assert case.updated_at == paid
    assert payment.created_at == payment.updated_at == paid

    assert [(e.action, e.at) for e in await audit_trail(bot_db)] == [
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


async def test_a_bill_paid_elsewhere_closes_its_case_on_the_next_read(
    services: Services, payables: PayablesClient, sandbox: Sandbox
) -> None:
    bill = await open_gbp_bill(payables, sandbox.demo)
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
