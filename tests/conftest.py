"""Shared fixtures: the database under test, a seeded payables sandbox, and a client for it.

Every database test runs on SQLite (a file per test) by default, and on PostgreSQL when
`BILLPAY_TEST_DATABASE_URL` is set; the sandbox drops and re-creates its own tables per test.

The sandbox runs strict (`SandboxConfig.strict`): list bills takes only the query fields the spec
documents, so a test passes only if the client and the bot use nothing else. A test of the
query language on other fields asks for `@pytest.mark.sandbox(strict=False)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from billpay.payables.client import PayablesClient
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.faults import FaultConfig
from testkit.payables import (
    SANDBOX_KEY,
    SANDBOX_URL,
    TODAY,
    CountingTransport,
    SleepRecorder,
    bill_by_reference,
    client_for,
    database_url_for,
    on_postgres,
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return database_url_for(tmp_path)


@pytest.fixture
async def make_sandbox(database_url: str) -> AsyncIterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def factory(**overrides: object) -> Sandbox:
        settings: dict[str, object] = {
            "api_key": SANDBOX_KEY,
            "database_url": database_url,
            "reset": True,
            "today": TODAY,
            "strict": True,  # Codat as documented; a test's marker may turn it off
        }
        config = SandboxConfig.model_validate({**settings, **overrides})
        sandbox = Sandbox(config)
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The seeded sandbox; `@pytest.mark.sandbox(page_size=4, ...)` overrides its config."""
    marker = request.node.get_closest_marker("sandbox")
    sandbox = make_sandbox(**(marker.kwargs if marker else {}))
    await sandbox.start()
    return sandbox


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def transport(sandbox: Sandbox) -> CountingTransport:
    return CountingTransport(httpx.ASGITransport(app=sandbox.app, raise_app_exceptions=False))


@pytest.fixture
async def payables(
    transport: CountingTransport, sleeps: SleepRecorder
) -> AsyncIterator[PayablesClient]:
    async with client_for(transport, sleeps) as client:
        yield client


__all__ = [
    "SANDBOX_KEY",
    "SANDBOX_URL",
    "TODAY",
    "CountingTransport",
    "FaultConfig",
    "SleepRecorder",
    "bill_by_reference",
    "client_for",
    "database_url_for",
    "on_postgres",
]

# The bot's own fixtures live beside these; imported last, as they build on the ones above.
from tests.bot_fixtures import (  # noqa: E402
    bot_database_url,
    bot_db,
    make_services,
    services,
)

__all__ += ["bot_database_url", "bot_db", "make_services", "services"]
