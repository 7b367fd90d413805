"""The world every test of the bot starts from: the frozen moment, the workspace and its people,
the bot's settings for tests, and its database migrated from empty."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from billpay.config import Settings
from billpay.store.migrate import upgrade
from billpay.store.models import Base
from payables_sandbox import store as sandbox_store
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DEMO_COMPANY_NAME
from testkit.payables import TODAY, database_url_for, on_postgres

TEAM = "T0001"
CHANNEL = "C0FIN"
# `/billpay connect` naming the demo company: links the channel to it at once.
CONNECT_DEMO = f"connect {DEMO_COMPANY_NAME}"
ANA, BEN, SAM, EVE = "U0ANA", "U0BEN", "U0SAM", "U0EVE"
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=UTC)


async def reset_bot_tables(url: str) -> None:
    """Drop the bot's tables (and Alembic's version table) so each test migrates from empty."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()


async def migrated_database_url(tmp_path: Path) -> str:
    url = database_url_for(tmp_path, "bot")
    if on_postgres():
        await reset_bot_tables(url)
    await asyncio.to_thread(upgrade, url)
    return url


def bot_settings(**overrides: Any) -> Settings:
    # Payments go out at once unless a test holds them for the undo window on purpose.
    values: dict[str, Any] = {"_env_file": None, "sandbox_today": TODAY, "payment_hold_seconds": 0}
    values.update(overrides)
    return Settings(**values)


async def sandbox_payments(sandbox: Sandbox, bill_id: str) -> int:
    """How many payments the payables sandbox holds against a bill."""
    async with sandbox.db.read() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(sandbox_store.BillPayment)
                .where(sandbox_store.BillPayment.bill_id == bill_id)
            )
            or 0
        )
