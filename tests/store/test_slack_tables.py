"""The Slack installation tables: migration 0021 creates exactly the tables slack_sdk's async
SQLAlchemy stores read and write (their own definitions, compared column by column and index
by index), and the stores work on a migrated database, SQLite or PostgreSQL, without creating
anything themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import Table, inspect
from sqlalchemy.engine import Connection

from billpay.store.db import Database
from billpay.store.models import Base


def shape(table: Table) -> dict[str, Any]:
    return {
        "columns": [
            (c.name, repr(c.type), c.nullable, c.primary_key, c.autoincrement)
            for c in table.columns
        ],
        "indexes": sorted((i.name, [c.name for c in i.columns]) for i in table.indexes),
    }


def stores(db: Database) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
    return (
        AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=db.engine),
        AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=db.engine),
    )


async def test_the_bots_tables_are_slack_sdks_own(bot_db: Database) -> None:
    installations, states = stores(bot_db)
    theirs = [installations.installations, installations.bots, states.oauth_states]

    for table in theirs:
        assert shape(Base.metadata.tables[table.name]) == shape(table), table.name

    def migrated(conn: Connection) -> dict[str, Any]:
        found = inspect(conn)
        return {
            t.name: (
                [c["name"] for c in found.get_columns(t.name)],
                sorted((i["name"], i["column_names"]) for i in found.get_indexes(t.name)),
            )
            for t in theirs
        }

    async with bot_db.engine.connect() as conn:
        tables = await conn.run_sync(migrated)
    for table in theirs:
        assert tables[table.name] == (
            [c.name for c in table.columns],
            shape(table)["indexes"],
        ), table.name


async def test_the_stores_work_on_the_migrated_database(bot_db: Database) -> None:
    installations, states = stores(bot_db)
    await installations.async_save(
        Installation(
            app_id="A0BILLPAY",
            enterprise_id=None,
            team_id="T0001",
            team_name="Acme Ltd",
            user_id="U0ANA",
            bot_token="xoxb-1",
            bot_id="BBOT",
            bot_user_id="UBOT",
            bot_scopes="chat:write",
            installed_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp(),
        )
    )
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None and bot.bot_token == "xoxb-1"
    state = await states.async_issue()
    assert await states.async_consume(state)
    assert not await states.async_consume(state)  # once only

    await installations.async_delete_bot(enterprise_id=None, team_id="T0001")
    await installations.async_delete_installation(enterprise_id=None, team_id="T0001")

    assert await installations.async_find_bot(enterprise_id=None, team_id="T0001") is None
    assert await installations.async_find_installation(enterprise_id=None, team_id="T0001") is None
