"""Recording payments through the client: the rules that protect money, idempotent replay and
conflict, and the bill and supplier balances a finance team would check afterwards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billpay.payables.client import PayablesClient, new_idempotency_key
from billpay.payables.errors import (
    PayablesBadRequest,
    PayablesNotFound,
    PayablesServerError,
    PayablesUnprocessable,
)
from billpay.payables.models import (
    BankAccountPrototype,
    BillLineItem,
    BillPaymentPrototype,
    BillPrototype,
    Ref,
    SupplierPrototype,
    SupplierRef,
)
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import CountingTransport, bill_by_reference


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoIds:
    assert sandbox.demo is not None
    return sandbox.demo


async def supplier_balance(payables: PayablesClient, demo: DemoIds, supplier_id: str) -> Decimal:
    listed = payables.iter_suppliers(demo.company_id, demo.connection_id)
    (supplier,) = [s async for s in listed if s.id == supplier_id]
    assert supplier.balance is not None
    return supplier.balance


def gbp_payment(demo: DemoIds, amount: str, **extra: object) -> BillPaymentPrototype:
    return BillPaymentPrototype(
        amount=Decimal(amount),
        date="2026-11-22T00:00:00",
        account_ref=Ref(id=demo.bank_accounts["GBP"]),
        **extra,  # type: ignore[arg-type]
    )


async def test_partial_then_full_payment_moves_status_amount_due_and_balance(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "NOS-55821")  # £382.50, Northridge
    supplier_id = demo.suppliers["northridge"]
    assert (bill.status, bill.amount_due, bill.total_amount) == (
        "Open",
        Decimal("382.50"),
        Decimal("382.50"),
    )
    balance_before = await supplier_balance(payables, demo, supplier_id)

    paid = await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, gbp_payment(demo, "100.25", reference="P1")
    )
    assert paid.amount == Decimal("100.25")
    assert paid.reference == "P1"
    partial = await bill_by_reference(payables, demo, "NOS-55821")
    assert (partial.status, partial.amount_due) == ("PartiallyPaid", Decimal("282.25"))
    assert await supplier_balance(payables, demo, supplier_id) == balance_before - Decimal("100.25")

    await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, gbp_payment(demo, "282.25")
    )
    settled = await bill_by_reference(payables, demo, "NOS-55821")
    assert (settled.status, settled.amount_due) == ("Paid", Decimal("0"))
    assert await supplier_balance(payables, demo, supplier_id) == balance_before - Decimal("382.50")
    outstanding = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    assert bill.id not in outstanding


async def test_same_key_same_body_replays_the_first_payment(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    payment = gbp_payment(demo, "50.00")
    key = new_idempotency_key()

    first = await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, payment, idempotency_key=key
    )
    second = await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, payment, idempotency_key=key
    )

    assert second.id == first.id
    after = await bill_by_reference(payables, demo, "KC-40019")
    assert after.amount_due == bill.outstanding_amount - Decimal("50.00")  # charged once


async def test_same_key_other_body_is_a_422(payables: PayablesClient, demo: DemoIds) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    key = new_idempotency_key()
    await payables.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill.id,
        gbp_payment(demo, "50.00"),
        idempotency_key=key,
    )
    with pytest.raises(PayablesUnprocessable) as caught:
        await payables.create_bill_payment(
            demo.company_id,
            demo.connection_id,
            bill.id,
            gbp_payment(demo, "60.00"),
            idempotency_key=key,
        )
    assert caught.value.status_code == 422 and not caught.value.maybe_applied
    assert "Idempotency-Key" in (caught.value.error or "")
    after = await bill_by_reference(payables, demo, "KC-40019")
    assert after.amount_due == bill.outstanding_amount - Decimal("50.00")


async def test_a_rejected_request_keeps_its_key_and_its_refusal(
    payables: PayablesClient, demo: DemoIds
) -> None:
    """Codat stores 4xx answers too: the key is spent on the refusal, for the same request
    (replayed) and for another one (422)."""
    bill = await bill_by_reference(payables, demo, "KC-40019")
    too_much = gbp_payment(demo, str(bill.outstanding_amount + 1))
    key = new_idempotency_key()
    for _ in range(2):
        with pytest.raises(PayablesBadRequest) as caught:
            await payables.create_bill_payment(
                demo.company_id, demo.connection_id, bill.id, too_much, idempotency_key=key
            )
        assert "more than the amount due" in caught.value.user_message()
    with pytest.raises(PayablesUnprocessable):
        await payables.create_bill_payment(
            demo.company_id,
            demo.connection_id,
            bill.id,
            gbp_payment(demo, "1.00"),
            idempotency_key=key,
        )
    ok = await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, gbp_payment(demo, "1.00")
    )
    assert ok.amount == Decimal("1.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "must be more than 0"),
        ("-5.00", "must be more than 0"),
        ("12.345", "more than 2 decimal places"),
        ("10000.00", "more than the amount due"),
    ],
)
async def test_bad_amounts_are_rejected_with_a_validation_message(
    payables: PayablesClient, demo: DemoIds, amount: str, message: str
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_bill_payment(
            demo.company_id, demo.connection_id, bill.id, gbp_payment(demo, amount)
        )
    assert any(message in m for m in caught.value.validation_errors), caught.value
    after = await bill_by_reference(payables, demo, "KC-40019")
    assert after.amount_due == bill.amount_due


async def test_a_paid_bill_cannot_be_paid_again(payables: PayablesClient, demo: DemoIds) -> None:
    page = await payables.list_bills(demo.company_id, demo.connection_id, query="status=Paid")
    paid = page.results[0]
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_bill_payment(
            demo.company_id, demo.connection_id, paid.id, gbp_payment(demo, "1.00")
        )
    assert "only Open or PartiallyPaid bills can be paid" in caught.value.user_message()


async def test_a_foreign_currency_payment_needs_a_rate(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "AL-2026-124")  # €3,150.00
    from_gbp = gbp_payment(demo, "1000.00")
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_bill_payment(demo.company_id, demo.connection_id, bill.id, from_gbp)
    assert "currencyRate is required" in caught.value.user_message()
    assert "(GBP)" in caught.value.user_message() and "(EUR)" in caught.value.user_message()

    with_rate = gbp_payment(demo, "1000.00", currency_rate=Decimal("0.8612"))
    payment = await payables.create_bill_payment(
        demo.company_id, demo.connection_id, bill.id, with_rate
    )
    assert payment.currency_rate == Decimal("0.8612")
    after = await bill_by_reference(payables, demo, "AL-2026-124")
    assert (after.status, after.amount_due) == ("PartiallyPaid", Decimal("2150.00"))


async def test_unknown_and_archived_accounts_are_errors_not_crashes(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    for account, message in (
        ("no-such-account", "not found"),
        (demo.bank_accounts["OLD"], "archived"),
    ):
        payment = BillPaymentPrototype(
            amount=Decimal("1.00"), date="2026-11-22", account_ref=Ref(id=account)
        )
        with pytest.raises(PayablesBadRequest) as caught:
            await payables.create_bill_payment(
                demo.company_id, demo.connection_id, bill.id, payment
            )
        assert message in caught.value.user_message()


async def test_paying_an_unknown_bill_is_404(payables: PayablesClient, demo: DemoIds) -> None:
    with pytest.raises(PayablesNotFound):
        await payables.create_bill_payment(
            demo.company_id, demo.connection_id, "no-such-bill", gbp_payment(demo, "1.00")
        )


async def test_new_supplier_bill_and_bank_account(payables: PayablesClient, demo: DemoIds) -> None:
    supplier = await payables.create_supplier(
        demo.company_id,
        demo.connection_id,
        SupplierPrototype(supplier_name="Fenwick Joinery", default_currency="GBP"),
    )
    assert supplier.balance == 0
    bill = await payables.create_bill(
        demo.company_id,
        demo.connection_id,
        BillPrototype(
            supplier_ref=SupplierRef(id=supplier.id),
            issue_date="2026-11-22",
            due_date="2026-12-22T00:00:00",
            currency="GBP",
            reference="FJ-001",
            line_items=[
                BillLineItem(
                    unit_amount=Decimal("120.10"),
                    quantity=Decimal(3),
                    tax_amount=Decimal("72.06"),
                    account_ref=Ref(id=demo.expense_accounts["6800"]),
                    tax_rate_ref=Ref(id=demo.tax_rates["standard"]),
                )
            ],
        ),
    )
    assert (bill.status, bill.total_amount, bill.amount_due) == (
        "Open",
        Decimal("432.36"),
        Decimal("432.36"),
    )
    assert bill.supplier_ref.supplier_name == "Fenwick Joinery"
    assert await supplier_balance(payables, demo, supplier.id) == Decimal("432.36")

    account = await payables.create_bank_account(
        demo.company_id,
        demo.connection_id,
        BankAccountPrototype(
            name="Reserve", account_type="Debit", account_number="99887766", currency="GBP"
        ),
    )
    assert account.status == "Active"
    options = await payables.get_payment_mapping_options(demo.company_id, demo.connection_id)
    assert account.id in {b.id for b in options.bank_accounts}


async def test_bills_with_bad_lines_are_rejected(payables: PayablesClient, demo: DemoIds) -> None:
    prototype = BillPrototype(
        supplier_ref=SupplierRef(id=demo.suppliers["kestrel"]),
        issue_date="2026-11-22",
        due_date="2026-11-01",
        currency="GBP",
        line_items=[BillLineItem(unit_amount=Decimal(10), account_ref=Ref(id="nope"))],
    )
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_bill(demo.company_id, demo.connection_id, prototype)
    assert "dueDate must not be before issueDate" in caught.value.user_message()

    prototype.due_date = "2026-12-01"
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.create_bill(demo.company_id, demo.connection_id, prototype)
    assert "account 'nope' not found" in caught.value.user_message()


async def test_attachment_round_trip_is_byte_for_byte(
    payables: PayablesClient, demo: DemoIds
) -> None:
    bill = await bill_by_reference(payables, demo, "PF-2304")
    content = bytes(range(256)) * 40 + b"%PDF-1.7\r\n\x00\xff"

    uploaded = await payables.upload_bill_attachment(
        demo.company_id,
        demo.connection_id,
        bill.id,
        filename="invoice PF-2304.pdf",
        content=content,
        content_type="application/pdf",
    )
    listed = await payables.list_bill_attachments(demo.company_id, demo.connection_id, bill.id)
    downloaded = await payables.download_bill_attachment(
        demo.company_id, demo.connection_id, bill.id, uploaded.id
    )

    assert [(a.id, a.name, a.file_size, a.content_type) for a in listed] == [
        (uploaded.id, "invoice PF-2304.pdf", len(content), "application/pdf")
    ]
    assert downloaded == content


async def test_an_upload_keeps_its_key_across_retries_and_replays_under_it(
    payables: PayablesClient, demo: DemoIds, sandbox: Sandbox, transport: CountingTransport
) -> None:
    bill = await bill_by_reference(payables, demo, "PF-2304")
    ids = (demo.company_id, demo.connection_id, bill.id)
    before = len(transport.requests)
    sandbox.faults.fail_next_upload(bill_id=bill.id, after_write=True)  # landed, then 500
    key = new_idempotency_key()
    with pytest.raises(PayablesServerError) as caught:
        await payables.upload_bill_attachment(
            *ids, filename="inv.pdf", content=b"%PDF-1.4", idempotency_key=key
        )
    assert caught.value.maybe_applied
    sent = [r for r in transport.requests[before:] if r.method == "POST"]
    assert len(sent) > 1 and {r.headers["Idempotency-Key"] for r in sent} == {key}

    sandbox.clock.advance(timedelta(minutes=89))  # the same key, later: the stored answer
    with pytest.raises(PayablesServerError):
        await payables.upload_bill_attachment(
            *ids, filename="inv.pdf", content=b"%PDF-1.4", idempotency_key=key
        )
    (attached,) = await payables.list_bill_attachments(*ids)
    assert (attached.name, attached.file_size) == ("inv.pdf", 8)
