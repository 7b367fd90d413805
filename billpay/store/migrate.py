"""Running the bot's Alembic migrations from code (`billpay db upgrade`, start-up and tests).

The migration scripts live in `billpay/store/migrations`; no `alembic.ini` is needed. On PostgreSQL
an advisory lock makes replicas that start together upgrade one after another.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from billpay.config import async_database_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = async_database_url(database_url)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`; safe to run when it is already there."""
    url = async_database_url(database_url)
    if url.startswith("sqlite+aiosqlite:///"):
        path = url.removeprefix("sqlite+aiosqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


async def current_revision(database_url: str) -> str | None:
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
