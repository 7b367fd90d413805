"""Bank accounts: the accounts a company pays its bills from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import schemas, store, views


async def create_bank_account(
    session: AsyncSession, connection: store.Connection, body: schemas.BankAccountPrototype
) -> dict[str, Any]:
    row = store.BankAccount(
        connection_id=connection.id,
        nominal_code=body.nominal_code,
        name=body.name.strip(),
        account_type=body.account_type,
        account_number=body.account_number,
        sort_code=body.sort_code,
        currency=body.currency.upper(),
        status="Active",
    )
    session.add(row)
    await session.flush()
    return views.bank_account(row)
