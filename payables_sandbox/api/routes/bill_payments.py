"""Bill payments: paying a bill (`.../payables/bills/{billId}/payment`), where the injected
payment faults strike: before anything is written, or once the payment is committed (a 5xx, a
202 Accepted (pending), or an answer held back while the request stays in progress)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store
from payables_sandbox.api.deps import ConfigDep, FaultsDep, Writes, json_body
from payables_sandbox.api.responses import ApiResponse
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.errors import accepted_pending, injected_server_error
from payables_sandbox.faults import WriteFault
from payables_sandbox.service import bill_payments

router = APIRouter()

PaymentBody = Annotated[
    schemas.BillPaymentPrototype, Depends(json_body(schemas.BillPaymentPrototype))
]


async def payment_fault(billId: str, faults: FaultsDep) -> WriteFault | None:
    """The payment fault injected for this bill, taken before the body is read: one that
    strikes before the write answers at once; one that strikes after it is returned."""
    fault = faults.payment_fault(billId)
    if fault is not None and not fault.after_write:
        raise injected_server_error(fault.status_code)
    return fault


PendingFault = Annotated[WriteFault | None, Depends(payment_fault)]


@router.post(PAYABLES + "/bills/{billId}/payment", operation_id="create-bill-payment")
async def create_bill_payment(
    companyId: str,
    connectionId: str,
    billId: str,
    fault: PendingFault,
    body: PaymentBody,
    writes: Writes,
    config: ConfigDep,
) -> Response:
    async def pay(session: AsyncSession, connection: store.Connection) -> dict[str, Any]:
        return await bill_payments.create_bill_payment(
            session,
            connection,
            billId,
            body,
            approval_everywhere=config.payments_need_approval,
        )

    response = await writes.on_connection(companyId, connectionId, pay, status_code=201)
    # From here on the payment is committed.
    if fault is None:
        return response
    if fault.kind == "accept":
        return ApiResponse(accepted_pending(), status_code=202)
    if fault.kind == "hold" and fault.hold is not None:
        await fault.hold.hold()
        return response
    raise injected_server_error(fault.status_code)
