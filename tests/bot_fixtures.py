"""Fixtures for the bot's own state: a migrated database per test (a copy of the run's
template), and a workflow linked to the sandbox's demo company in the channel `C0FIN` of team
`T0001`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from billpay.bills.workflow import Workflow
from billpay.payables.client import PayablesClient
from billpay.store.db import Database
from testkit.databases import TestDatabases
from testkit.world import ANA, CHANNEL, TEAM, bot_settings


@pytest.fixture
async def bot_database_url(tmp_path: Path, test_databases: TestDatabases) -> str:
    return await test_databases.bot_copy(tmp_path)


@pytest.fixture
async def bot_db(bot_database_url: str) -> AsyncIterator[Database]:
    db = Database(bot_database_url)
    yield db
    await db.dispose()


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
