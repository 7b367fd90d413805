"""Fixtures for the bot's own state: a migrated database per test (a copy of the run's
template), and the bot's services with the channel `C0FIN` of team `T0001` linked to the
sandbox's demo company."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from billpay.payables.client import PayablesClient
from billpay.services import Services, build_services
from billpay.store.db import Database
from testkit.databases import TestDatabases, WorldCopies
from testkit.linked import Linked
from testkit.world import ANA, CHANNEL, TEAM, bot_settings


@pytest.fixture
async def bot_database_url(
    tmp_path: Path, test_databases: TestDatabases, linked_copies: WorldCopies[Linked] | None
) -> str:
    if linked_copies is not None:
        return linked_copies.bot_url
    return await test_databases.bot_copy(tmp_path)


@pytest.fixture
async def bot_db(bot_database_url: str) -> AsyncIterator[Database]:
    db = Database(bot_database_url)
    yield db
    await db.dispose()


@pytest.fixture
def make_services(bot_db: Database, payables: PayablesClient) -> Callable[..., Services]:
    def factory(**settings: Any) -> Services:
        return build_services(bot_settings(**settings), db=bot_db, payables=payables)

    return factory


@pytest.fixture
async def services(make_services: Callable[..., Services]) -> Services:
    flow = make_services()
    await flow.links.connect(TEAM, CHANNEL, ANA)
    return flow
