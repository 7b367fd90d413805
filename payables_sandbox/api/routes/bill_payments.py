"""Bill payments: paying a bill (`.../payables/bills/{billId}/payment`), where the injected
payment faults strike, before anything is written or after the payment is committed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from payables_sandbox import schemas
from payables_sandbox.api.deps import FaultsDep, Writes, json_body
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.errors import injected_server_error
from payables_sandbox.faults import PaymentFault
from payables_sandbox.service import bill_payments

router = APIRouter()

PaymentBody = Annotated[
    schemas.BillPaymentPrototype, Depends(json_body(schemas.BillPaymentPrototype))
]


async def payment_fault(billId: str, faults: FaultsDep) -> PaymentFault | None:
    """The payment fault injected for this bill, taken before the body is read: one that
    strikes before the write answers at once; one that strikes after it is returned."""
    fault = faults.payment_fault(billId)
    if fault is not None and not fault.after_write:
        raise injected_server_error(fault.status_code)
    return fault


PendingFault = Annotated[PaymentFault | None, Depends(payment_fault)]


@router.post(PAYABLES + "/bills/{billId}/payment", operation_id="create-bill-payment")
async def create_bill_payment(
    companyId: str,
    connectionId: str,
    billId: str,
    fault: PendingFault,
    body: PaymentBody,
    writes: Writes,
) -> Response:
    response = await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: bill_payments.create_bill_payment(
            session, connection, billId, body
        ),
        status_code=201,
    )
    if fault is not None:
        raise injected_server_error(fault.status_code)  # the payment is committed
    return response
