"""`api_router`: the payables API's 25 operations, each resource's router behind Codat's
credentials and the operation faults a test injects."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from payables_sandbox.api.deps import authorise, operation_fault
from payables_sandbox.api.routes import (
    bank_accounts,
    bill_attachments,
    bill_payments,
    bills,
    companies,
    company_information,
    connections,
    mapping_options,
    suppliers,
)

api_router = APIRouter(dependencies=[Depends(authorise), Depends(operation_fault)])
for resource in (
    companies,
    connections,
    company_information,
    mapping_options,
    bills,
    bill_payments,
    bill_attachments,
    suppliers,
    bank_accounts,
):
    api_router.include_router(resource.router)
