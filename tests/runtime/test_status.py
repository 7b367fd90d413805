"""`billpay status` as an operator meets it: exit status 0 and one line when nothing is stale;
1 with the claims past their lease (kind, subject, holder, since when) and the payments still
`requested` past the payables deadline, within 80 columns; what is not stale is not listed;
and a database not yet migrated is named as such."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from billpay.core.clock import utcnow
from billpay.runtime import cli
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment
from testkit.payables import database_url_for, on_postgres
from testkit.world import reset_bot_tables

DEAD = Claimant("web-1.billpay.internal:4242:a1b2c3", timedelta(minutes=5))


@pytest.fixture(autouse=True)
def bot_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bot_database_url: str) -> str:
    """A migrated bot database named by the settings, and no `.env` from elsewhere."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BILLPAY_DATABASE_URL", bot_database_url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("BILLPAY_PAYABLES_BACKGROUND_DEADLINE_SECONDS", raising=False)
    return bot_database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def cells(line: str) -> list[str]:
    """A table row's cells, without the borders."""
    return [cell.strip() for cell in line.strip("│").split("│")]


async def add_claim(url: str, kind: str, subject: str, held_at: datetime) -> None:
    db = Database(url)
    try:
        async with db.write() as s:
            claims.hold(s, DEAD, kind, subject, held_at)
    finally:
        await db.dispose()


async def add_payment(url: str, status: str, sent_at: datetime | None, key: str) -> None:
    db = Database(url)
    try:
        async with db.write() as s:
            link = await s.get(CompanyLink, 1)
            if link is None:
                link = CompanyLink(
                    id=1,
                    team_id="T0001",
                    channel_id="C0FIN",
                    company_id="co",
                    connection_id="cn",
                    company_name="Larkspur",
                    base_currency="GBP",
                    linked_by="U0ANA",
                )
                s.add(link)
                await s.flush()
                s.add(
                    BillCase(
                        id=1,
                        link_id=1,
                        bill_id="bill-0042",
                        state="paying",
                        supplier_name="Pinecrest Facilities",
                        currency="GBP",
                        total_amount=Decimal("1250.10"),
                        amount_due=Decimal("1250.10"),
                        issue_date=date(2026, 11, 1),
                        due_date=date(2026, 11, 30),
                        bill_status="Open",
                    )
                )
                await s.flush()
            s.add(
                Payment(
                    case_id=1,
                    idempotency_key=key,
                    status=status,
                    amount=Decimal("1250.10"),
                    currency="GBP",
                    account_id="acc-1",
                    account_name="Business Current",
                    account_currency="GBP",
                    payment_date=date(2026, 11, 22),
                    requested_by="U0SAM",
                    due_before=Decimal("1250.10"),
                    sent_at=sent_at,
                )
            )
    finally:
        await db.dispose()


def test_nothing_stale_says_so_and_exits_0(
    capsys: pytest.CaptureFixture[str], bot_database: str
) -> None:
    now = utcnow()
    asyncio.run(add_claim(bot_database, "digest", "3@2026-11-23", now))  # its lease runs
    asyncio.run(add_payment(bot_database, "requested", now, "k-recent"))  # within the deadline
    asyncio.run(add_payment(bot_database, "recorded", now - timedelta(hours=2), "k-recorded"))

    code, out = run(capsys, "status")

    assert code == 0, out
    assert out.startswith("Nothing stale: no claim is past its lease")
    assert "longer than 120 s" in out
    assert "Policy: 2 people needed to pay any bill: one approves, another pays." in out


def test_a_policy_that_lets_one_person_pay_alone_is_a_warning(
    capsys: pytest.CaptureFixture[str], bot_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLPAY_APPROVER_MAY_PAY", "true")
    monkeypatch.setenv("BILLPAY_DUAL_APPROVAL_THRESHOLD", "1000")

    code, out = run(capsys, "status")

    assert code == 0, out
    flat = " ".join(out.split())
    assert (
        "Policy: WARNING: One person can approve and pay a bill alone here; 2 above 1,000.00."
        in (flat)
    )


def test_claims_past_their_lease_and_payments_with_no_answer_exit_1_within_80_columns(
    capsys: pytest.CaptureFixture[str], bot_database: str
) -> None:
    long_ago = utcnow() - timedelta(minutes=20)
    asyncio.run(add_claim(bot_database, "digest", "3@2026-11-23", long_ago))
    asyncio.run(add_claim(bot_database, "approved_by_policy", "17@2026-11-23T09:00:00Z", long_ago))
    asyncio.run(add_claim(bot_database, "remind", "18@2026-11-23T09:00:00Z", utcnow()))
    asyncio.run(add_payment(bot_database, "requested", long_ago, "k-lost"))

    code, out = run(capsys, "status")

    assert code == 1, out
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "…" not in out, out
    rows = [cells(line) for line in out.splitlines() if line.startswith("│")]
    assert ["digest", DEAD.holder, f"{long_ago:%Y-%m-%d}"] in rows
    assert ["3@2026-11-23", "", f"{long_ago:%H:%M:%S}"] in rows
    assert ["approved_by_policy", DEAD.holder, f"{long_ago:%Y-%m-%d}"] in rows
    assert ["17@2026-11-23T09:00:00Z", "", f"{long_ago:%H:%M:%S}"] in rows
    assert ["", "", "hold 1 of 3"] in rows
    assert "18@" not in out  # its lease runs
    assert "Claims past their lease (2)" in out
    assert "Payments with no answer over 120 s or waiting for a person (1)" in out
    assert ["1", "C0FIN", "bill-0042", "£1,250.10", f"{long_ago:%Y-%m-%d %H:%M:%S}"] in rows


@pytest.mark.usefixtures("bot_database")
def test_a_database_not_migrated_yet_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = database_url_for(tmp_path, "empty")
    if on_postgres():
        asyncio.run(reset_bot_tables(url))
    monkeypatch.setenv("BILLPAY_DATABASE_URL", url)

    code, out = run(capsys, "status")

    assert code == 1
    assert "at revision none" in out and "billpay db upgrade" in out
