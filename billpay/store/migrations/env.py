"""Alembic environment for the bot's tables: async engines, one advisory lock on PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from billpay.store.models import Base

# Any number that no other part of the bot uses as an advisory lock id.
MIGRATION_LOCK_ID = 7_310_425_001


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_online() -> None:
    url = context.config.attributes["database_url"]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async(url))
    else:  # pragma: no cover - callers run migrations outside an event loop
        raise RuntimeError("run migrations with asyncio.to_thread() from async code")


_run_online()
