"""The bot's database migrations: an empty database upgrades to the models' schema, upgrading
again keeps the data, the migration scripts describe exactly the tables the models map, a
downgrade to base removes the bot's tables without leaving it unable to upgrade again, and
data written before a migration comes through it as the new code expects."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from pprint import pformat
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from billpay.bills import listing_sql
from billpay.bills.duties import Origin, origin_of
from billpay.bills.listing import parse_filter
from billpay.bills.messages import MessageRef, MessageStore
from billpay.store import claims
from billpay.store.db import Database
from billpay.store.migrate import alembic_config, current_revision, head_revision, upgrade
from billpay.store.models import AuditEvent, Base, CompanyLink
from billpay.store.revision import HEAD_REVISION, at_head, migrate_if_behind
from testkit.payables import database_url_for, on_postgres
from testkit.world import reset_bot_tables

BOT_TABLES = set(Base.metadata.tables)


async def empty_database(tmp_path: Path) -> str:
    """A database without the bot's tables (PostgreSQL is shared by tests, so drop them)."""
    url = database_url_for(tmp_path, "bot")
    if on_postgres():
        await reset_bot_tables(url)
    return url


async def on_connection(url: str, work: Any) -> Any:
    """Run `work(sync_connection)` on a fresh connection to `url`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _not_the_bots(name: str | None) -> bool:
    """Tables that share the database but are not the bot's: the sandbox's and Alembic's."""
    return name is not None and (name.startswith("sandbox_") or name == "alembic_version")


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ == "table" and _not_the_bots(name))


def schema_diff(conn: Connection) -> list[Any]:
    """What autogenerate would add, drop or alter to make the database match the models."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_name": _include_name}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_upgrading_an_empty_database_creates_every_table_and_records_head(
    tmp_path: Path,
) -> None:
    url = await empty_database(tmp_path)
    assert await current_revision(url) is None

    await asyncio.to_thread(upgrade, url)

    assert await on_connection(url, table_names) >= BOT_TABLES
    assert await current_revision(url) == head_revision()


async def test_upgrading_twice_is_harmless_and_keeps_the_data(tmp_path: Path) -> None:
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        async with db.write() as s:
            s.add(
                AuditEvent(
                    at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
                    team_id="T0001",
                    actor="U0ANA",
                    action="approve",
                    details={"amount": Decimal("1250.10")},
                )
            )

        await asyncio.to_thread(upgrade, url)

        assert await current_revision(url) == head_revision()
        async with db.read() as s:
            (event,) = (await s.scalars(select(AuditEvent))).all()
        assert (event.actor, event.action) == ("U0ANA", "approve")
        assert event.details == {"amount": Decimal("1250.10")}
    finally:
        await db.dispose()


async def test_the_migrations_build_exactly_the_models_schema(tmp_path: Path) -> None:
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url)

    diff = await on_connection(url, schema_diff)

    assert diff == [], "migrations and models differ:\n" + pformat(diff)


async def test_downgrade_to_base_removes_the_tables_and_upgrade_rebuilds_them(
    tmp_path: Path,
) -> None:
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url)

    await asyncio.to_thread(command.downgrade, alembic_config(url), "base")

    assert await on_connection(url, table_names) & BOT_TABLES == set()
    assert await current_revision(url) is None

    await asyncio.to_thread(upgrade, url)

    assert await on_connection(url, table_names) >= BOT_TABLES
    assert await current_revision(url) == head_revision()
    assert await on_connection(url, schema_diff) == []


async def test_the_start_ups_check_names_the_newest_migration() -> None:
    # A migration added without moving HEAD_REVISION would be skipped at start-up.
    assert head_revision() == HEAD_REVISION


async def test_a_start_migrates_a_database_behind_and_leaves_one_at_head(tmp_path: Path) -> None:
    url = await empty_database(tmp_path)
    assert not await at_head(url)

    await migrate_if_behind(url)

    assert await current_revision(url) == head_revision()
    assert await at_head(url)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "-1")
    assert not await at_head(url)

    await migrate_if_behind(url)

    assert await current_revision(url) == head_revision()
    assert await on_connection(url, schema_diff) == []


async def test_messages_posted_before_0007_keep_their_cards_and_can_be_found_by_bill(
    tmp_path: Path,
) -> None:
    """A `/bills` message recorded before each message kept its cards in their own table is
    still found by its bills (so a change updates it) after the upgrade."""
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url, "0006")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO company_links (id, team_id, channel_id, company_id,"
                    " connection_id, company_name, base_currency, linked_by, linked_at, archived)"
                    " VALUES (1, 'T0001', 'C0FIN', 'co', 'cn', 'Larkspur', 'GBP', 'U0ANA',"
                    " :now, false)"
                ),
                {"now": datetime(2026, 11, 22, 9, 0)},  # stored as naive UTC
            )
            await conn.execute(
                text(
                    "INSERT INTO bill_messages (id, link_id, channel_id, ts, filter_text, page,"
                    " bill_ids, summary, locale, time_zone, posted_by, version, updated_at)"
                    " VALUES (1, 1, 'C0FIN', '1700000000.000100', '', 0, :bills, '{}',"
                    " 'en_GB', 'Europe/London', 'U0ANA', 1, :now)"
                ),
                {
                    "bills": '["bill-1", "bill-2", "bill-1"]',
                    "now": datetime(2026, 11, 22, 9, 0),
                },
            )
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    db = Database(url)
    try:
        store = MessageStore(db, lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
        assert await store.showing(1, "bill-2") == [MessageRef("C0FIN", "1700000000.000100")]
        message = await store.get("C0FIN", "1700000000.000100")
        assert message is not None and not message.cards_only and not message.out_of_date
        await store.retire([MessageRef("C0FIN", "1700000000.000100")])
        assert await store.showing(1, "bill-1") == []
        assert await store.is_out_of_date("C0FIN", "1700000000.000100")
    finally:
        await db.dispose()


async def test_digest_runs_left_claimed_before_0009_get_a_lease_already_passed(
    tmp_path: Path,
) -> None:
    """A run a process claimed and never recorded before leases existed is taken over by the
    first replica that ticks after the upgrade; one recorded keeps no claim open. Downgrading
    to 0008 drops the claims and keeps the runs."""
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url, "0008")
    claimed_at = datetime(2026, 11, 23, 9, 0)  # stored as naive UTC
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO company_links (id, team_id, channel_id, company_id,"
                    " connection_id, company_name, base_currency, linked_by, linked_at, archived)"
                    " VALUES (1, 'T0001', 'C0FIN', 'co', 'cn', 'Larkspur', 'GBP', 'U0ANA',"
                    " :now, false)"
                ),
                {"now": claimed_at},
            )
            await conn.execute(
                text(
                    "INSERT INTO digest_subscriptions (id, link_id, local_time, time_zone,"
                    " weekdays, look_ahead_days, post_when_empty, paused, created_by,"
                    " created_at, updated_at) VALUES (3, 1, '09:00:00', 'UTC', '[1,2,3,4,5]',"
                    " 7, false, false, 'U0ANA', :now, :now)"
                ),
                {"now": claimed_at},
            )
            for day, status in (("2026-11-20", "posted"), ("2026-11-23", "claimed")):
                await conn.execute(
                    text(
                        "INSERT INTO digest_runs (subscription_id, local_date, status,"
                        " created_at) VALUES (3, :day, :status, :now)"
                    ),
                    {"day": date.fromisoformat(day), "status": status, "now": claimed_at},
                )
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    db = Database(url)
    try:
        (left,) = await claims.overdue(db, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        assert (left.kind, left.subject, left.attempts) == ("digest", "3@2026-11-23", 1)
        assert left.lease_until == claimed_at.replace(tzinfo=UTC)
    finally:
        await db.dispose()

    await asyncio.to_thread(command.downgrade, alembic_config(url), "0008")

    assert "claims" not in await on_connection(url, table_names)
    assert await current_revision(url) == "0008"


async def test_bills_created_before_0011_keep_their_creator_from_approving_them(
    tmp_path: Path,
) -> None:
    """The creator of a bill made from Slack before origins were kept is read from its
    `bill_created` audit event: after the upgrade, separation of duties knows them."""
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url, "0010")
    created_at = datetime(2026, 11, 23, 9, 0)  # stored as naive UTC
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for actor, action, bill in (
                ("U0ANA", "bill_created", "bill-1"),
                ("U0BEN", "bill_approved", "bill-1"),
                ("U0SAM", "bill_created", "bill-2"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO audit_events (at, team_id, channel_id, actor, action,"
                        " company_id, bill_id, details) VALUES (:at, 'T0001', 'C0FIN', :actor,"
                        " :action, 'co', :bill, '{}')"
                    ),
                    {"at": created_at, "actor": actor, "action": action, "bill": bill},
                )
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    db = Database(url)
    try:
        async with db.read() as s:
            origins = {
                bill_id: await origin_of(s, "co", bill_id) for bill_id in ("bill-1", "bill-2")
            }
    finally:
        await db.dispose()
    assert origins == {"bill-1": Origin("U0ANA", None), "bill-2": Origin("U0SAM", None)}


async def test_bills_mirrored_before_0015_are_found_by_text_and_messages_keep_their_count(
    tmp_path: Path,
) -> None:
    """After the upgrade, a bill mirrored before is found by `/bills <text>` with accents and
    case ignored, and a new bill's own message (whose listing held only its card) still counts
    that card alone while a `/bills` page counts its filter's bills again; what it owes is
    summed as before."""
    url = await empty_database(tmp_path)
    await asyncio.to_thread(upgrade, url, "0014")
    at = datetime(2026, 11, 22, 9, 0)  # stored as naive UTC
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO company_links (id, team_id, channel_id, company_id,"
                    " connection_id, company_name, base_currency, linked_by, linked_at, archived)"
                    " VALUES (1, 'T0001', 'C0FIN', 'co', 'cn', 'Larkspur', 'GBP', 'U0ANA',"
                    " :at, false)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO mirrored_bills (company_id, connection_id, bill_id, status,"
                    " supplier_id, supplier_name, reference, issue_date, due_date, currency,"
                    " total_amount, amount_due, body, read_at) VALUES ('co', 'cn', 'bill-1',"
                    " 'Open', 's1', 'Müller GmbH', 'Façade-7', :issued, :due, 'GBP', 120.5,"
                    " 120.5, :body, :at)"
                ),
                {
                    "issued": date(2026, 11, 1),
                    "due": date(2026, 12, 1),
                    "at": at,
                    "body": '{"id": "bill-1", "supplierRef": {"id": "s1", "supplierName":'
                    ' "Müller GmbH"}, "reference": "Façade-7", "issueDate":'
                    ' "2026-11-01T00:00:00", "dueDate": "2026-12-01T00:00:00", "currency":'
                    ' "GBP", "status": "Open", "totalAmount": 120.5, "amountDue": 120.5}',
                },
            )
            for message_id, ts, bill_ids, listed in (
                (1, "1700000000.000100", '["bill-1"]', '[{"b": "bill-1"}]'),
                (2, "1700000000.000200", '["bill-1"]', '[{"b": "bill-1"}, {"b": "bill-9"}]'),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO bill_messages (id, link_id, channel_id, ts, filter_text,"
                        " page, bill_ids, listed, out_of_date, locale, time_zone, posted_by,"
                        " version, updated_at) VALUES (:id, 1, 'C0FIN', :ts, '', 0, :bills,"
                        " :listed, false, 'en_GB', 'Europe/London', 'U0ANA', 1, :at)"
                    ),
                    {"id": message_id, "ts": ts, "bills": bill_ids, "listed": listed, "at": at},
                )
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    db = Database(url)
    try:
        async with db.read() as s:
            link = await s.get(CompanyLink, 1)
            assert link is not None
            found = {
                typed: [
                    b.id
                    for b in (
                        await listing_sql.page(
                            s, link, parse_filter(typed), date(2026, 11, 22), 0, 1
                        )
                    )[0]
                ]
                for typed in ("muller", "FACADE", "overdue")
            }
            summary = await listing_sql.summary(s, link, parse_filter(""), date(2026, 11, 22))
        assert (summary.count, summary.totals) == (1, {"GBP": Decimal("120.5")})
        assert found == {"muller": ["bill-1"], "FACADE": ["bill-1"], "overdue": []}
        store = MessageStore(db, lambda: datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
        one = await store.get("C0FIN", "1700000000.000100")
        page = await store.get("C0FIN", "1700000000.000200")
        assert one is not None and one.cards_only
        assert page is not None and not page.cards_only
    finally:
        await db.dispose()
