"""Fixtures for the bot's own state: a migrated database per test, settings for the bot, and a
workflow linked to the sandbox's demo company in the channel `C0FIN` of team `T0001`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.db import Database
from bot.payables.client import PayablesClient
from bot.sandbox import store as sandbox_store
from bot.sandbox.app import Sandbox
from bot.store.migrate import upgrade
from bot.store.models import Base
from bot.workflow import Workflow
from tests.support import TODAY, database_url_for, on_postgres

TEAM = "T0001"
CHANNEL = "C0FIN"
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


@pytest.fixture
async def bot_database_url(tmp_path: Path) -> str:
    return await migrated_database_url(tmp_path)


@pytest.fixture
async def bot_db(bot_database_url: str) -> AsyncIterator[Database]:
    db = Database(bot_database_url)
    yield db
    await db.dispose()


def bot_settings(**overrides: Any) -> Settings:
    # Payments go out at once unless a test holds them for the undo window on purpose.
    values: dict[str, Any] = {"_env_file": None, "sandbox_today": TODAY, "payment_hold_seconds": 0}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_workflow(bot_db: Database, payables: PayablesClient) -> Callable[..., Workflow]:
    def factory(**settings: Any) -> Workflow:
        return Workflow(bot_db, payables, bot_settings(**settings))

    return factory


@pytest.fixture
async def workflow(make_workflow: Callable[..., Workflow]) -> Workflow:
    flow = make_workflow()
    await flow.connect(TEAM, CHANNEL, ANA)
    return flow


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
