"""Whether the bot's database is at the schema this code was written for, read with one query,
so that a start on a database already migrated never loads Alembic (`billpay.store.migrate`,
its script directory and every migration): only a database behind is migrated.

`HEAD_REVISION` names the newest migration in `billpay/store/migrations/versions`;
`tests/store/test_migrations.py` fails when a migration is added without it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from billpay.config import async_database_url

HEAD_REVISION = "0026"


async def at_head(database_url: str) -> bool:
    """True when the database records exactly `HEAD_REVISION`; False when it records another
    revision or none (a new database). A database that cannot be reached raises."""
    engine = create_async_engine(async_database_url(database_url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            try:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            except DBAPIError:  # no alembic_version table: never migrated
                return False
            return list(result.scalars()) == [HEAD_REVISION]
    finally:
        await engine.dispose()


async def migrate_if_behind(database_url: str) -> None:
    """Bring the database to the head revision, unless it is there already (one query)."""
    if await at_head(database_url):
        return
    from billpay.store.migrate import upgrade

    await asyncio.to_thread(upgrade, database_url)
