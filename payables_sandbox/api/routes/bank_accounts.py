"""Bank accounts: create (`.../payables/bankAccounts`); they are listed as payment mapping
options."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from payables_sandbox import schemas
from payables_sandbox.api.deps import Writes, json_body
from payables_sandbox.api.routes.params import PAYABLES
from payables_sandbox.service import bank_accounts

router = APIRouter()

BankAccountBody = Annotated[
    schemas.BankAccountPrototype, Depends(json_body(schemas.BankAccountPrototype))
]


@router.post(PAYABLES + "/bankAccounts", operation_id="create-bank-account")
async def create_bank_account(
    companyId: str, connectionId: str, body: BankAccountBody, writes: Writes
) -> Response:
    return await writes.on_connection(
        companyId,
        connectionId,
        lambda session, connection: bank_accounts.create_bank_account(session, connection, body),
        status_code=201,
    )
