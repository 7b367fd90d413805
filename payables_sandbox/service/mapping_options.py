"""Mapping options: the ledger accounts and tax rates a bill's lines can be coded to, and the
bank accounts a payment can come from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store, views

MAPPING_FIELDS = {"id", "name", "nominalCode", "status", "currency", "type", "accountType", "code"}


async def bill_mapping_options(
    session: AsyncSession, connection: store.Connection
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    accounts = (
        await session.scalars(
            select(store.LedgerAccount)
            .where(store.LedgerAccount.connection_id == connection.id)
            .order_by(store.LedgerAccount.nominal_code, store.LedgerAccount.id)
        )
    ).all()
    tax_rates = (
        await session.scalars(
            select(store.TaxRate)
            .where(store.TaxRate.connection_id == connection.id)
            .order_by(store.TaxRate.name, store.TaxRate.id)
        )
    ).all()
    return (
        [views.ledger_account_option(a) for a in accounts],
        [views.tax_rate_option(t) for t in tax_rates],
    )


async def payment_mapping_options(
    session: AsyncSession, connection: store.Connection
) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(store.BankAccount)
            .where(store.BankAccount.connection_id == connection.id)
            .order_by(store.BankAccount.name, store.BankAccount.id)
        )
    ).all()
    return [views.bank_account_option(row) for row in rows]
