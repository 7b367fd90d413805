"""What the client makes of answers that don't settle a payment's fate: a payment still in
progress under its key, a 202 Accepted (pending), and bills served with `amountDue: null`."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from billpay.payables.client import PayablesClient, new_idempotency_key
from billpay.payables.errors import BillNotOutstanding, PayablesConflict, PayablesError
from billpay.payables.models import BillPaymentPrototype, Ref
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import SleepRecorder, bill_by_reference


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoIds:
    assert sandbox.demo is not None
    return sandbox.demo


def ten_pounds(demo: DemoIds) -> BillPaymentPrototype:
    return BillPaymentPrototype(
        amount=Decimal("10.00"), date="2026-11-22", account_ref=Ref(id=demo.bank_accounts["GBP"])
    )


async def test_a_payment_in_progress_is_retried_then_reported_as_maybe_applied(
    payables: PayablesClient, demo: DemoIds, sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    ids = (demo.company_id, demo.connection_id, bill.id)
    key = new_idempotency_key()
    release = sandbox.faults.hold_next_payment(bill_id=bill.id)
    first = asyncio.create_task(
        payables.create_bill_payment(*ids, ten_pounds(demo), idempotency_key=key)
    )
    await release.reached()

    with pytest.raises(PayablesConflict) as caught:
        await payables.create_bill_payment(*ids, ten_pounds(demo), idempotency_key=key)
    assert caught.value.maybe_applied
    assert len(sleeps.waits) == payables.retry.max_attempts - 1  # retried, as the 409 asks

    release()
    landed = await first
    again = await payables.create_bill_payment(*ids, ten_pounds(demo), idempotency_key=key)
    assert again.id == landed.id
    assert len(await sandbox.payments(bill.id)) == 1


async def test_a_202_is_never_taken_for_a_recorded_payment(
    payables: PayablesClient, demo: DemoIds, sandbox: Sandbox
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    sandbox.faults.accept_next_payment(bill_id=bill.id)
    with pytest.raises(PayablesError) as caught:
        await payables.create_bill_payment(
            demo.company_id, demo.connection_id, bill.id, ten_pounds(demo)
        )
    assert caught.value.maybe_applied  # written after all: only a read of the bill can tell
    assert len(await sandbox.payments(bill.id)) == 1


@pytest.mark.sandbox(null_amount_due=True)
async def test_bills_served_without_an_amount_due_are_read(
    payables: PayablesClient, demo: DemoIds
) -> None:
    ids = (demo.company_id, demo.connection_id)
    listed = [bill async for bill in payables.iter_bills(*ids)]
    assert listed and all(bill.amount_due is None for bill in listed)
    partly_paid = [bill for bill in listed if bill.status == "PartiallyPaid"]
    assert partly_paid, "the seed has partly paid bills"
    again = await payables.get_bill(*ids, partly_paid[0].id)
    assert (again.status, again.amount_due) == ("PartiallyPaid", None)
    paid = await bill_by_reference(payables, demo, "NOS-55821")
    await payables.create_bill_payment(
        *ids,
        paid.id,
        BillPaymentPrototype(
            amount=paid.total_amount,
            date="2026-11-22",
            account_ref=Ref(id=demo.bank_accounts["GBP"]),
        ),
    )
    settled = await payables.get_bill(*ids, paid.id)
    assert (settled.status, settled.amount_due) == ("Paid", None)
    with pytest.raises(BillNotOutstanding):
        await payables.get_bill(*ids, "no-such-bill")
