"""Mapping options: the ledger accounts and tax rates a bill's lines can be coded to, and the
bank accounts a payment can come from, each list filtered, ordered and paged in SQL (a
`statusQuery` on another field than `status` is evaluated in Python)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import query_sql, store, views
from payables_sandbox.service import listing, pages
from payables_sandbox.service.pages import Source

MAPPING_FIELDS = {"id", "name", "nominalCode", "status", "currency", "type", "accountType", "code"}

OPTION_STATUSES = ("Unknown", "Active", "Archived", "Pending")


async def _options(
    session: AsyncSession,
    connection: store.Connection,
    predicate: listing.RecordFilter | None,
    *,
    table: Any,
    order: tuple[Any, ...],
    view: Callable[[Any], dict[str, Any]],
    key: listing.SortKey,
) -> Source:
    mine = table.connection_id == connection.id
    fields = {"status": query_sql.Choice(table.status, OPTION_STATUSES)}
    condition = None if predicate is None else query_sql.to_sql(predicate, fields)
    if predicate is not None and condition is None:
        rows = (await session.scalars(select(table).where(mine))).all()
        return pages.in_memory(listing.filtered([view(row) for row in rows], predicate), key)
    statement = select(table).where(mine)
    if condition is not None:
        statement = statement.where(condition)
    return pages.Source(
        key=key, statement=statement, order=order, view=view, key_values=lambda k: tuple(k)
    )


async def bill_mapping_options(
    session: AsyncSession, connection: store.Connection, predicate: listing.RecordFilter | None
) -> tuple[Source, Source]:
    accounts = await _options(
        session,
        connection,
        predicate,
        table=store.LedgerAccount,
        order=(func.coalesce(store.LedgerAccount.nominal_code, ""), store.LedgerAccount.id),
        view=views.ledger_account_option,
        key=listing.nominal_key,
    )
    tax_rates = await _options(
        session,
        connection,
        predicate,
        table=store.TaxRate,
        order=(store.TaxRate.name_key, store.TaxRate.id),
        view=views.tax_rate_option,
        key=listing.name_key,
    )
    return accounts, tax_rates


async def payment_mapping_options(
    session: AsyncSession, connection: store.Connection, predicate: listing.RecordFilter | None
) -> Source:
    return await _options(
        session,
        connection,
        predicate,
        table=store.BankAccount,
        order=(store.BankAccount.name_key, store.BankAccount.id),
        view=views.bank_account_option,
        key=listing.name_key,
    )
