"""`billpay digest --dry-run` as a person meets it: the demo company's digest printed within 80
columns from the embedded sandbox, a linked channel's own settings and approvers, and a clear
answer without `--dry-run` (posting belongs to `billpay run`'s scheduler)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from billpay.config import load_settings
from billpay.digest.store import create_subscription, update_subscription
from billpay.runtime import cli
from billpay.runtime.startup import open_services
from billpay.store.db import Database
from billpay.store.migrate import upgrade
from billpay.store.models import CompanyLink, Policy
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.seed import demo_id
from testkit.payables import database_url_for, on_postgres
from testkit.world import reset_bot_tables


@pytest.fixture(autouse=True)
async def offline_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for name in ("CODAT_API_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BILLPAY_APPROVERS", raising=False)
    monkeypatch.delenv("BILLPAY_DEFAULT_LOCALE", raising=False)
    monkeypatch.chdir(tmp_path)
    sandbox_url = database_url_for(tmp_path, "cli")
    monkeypatch.setenv("BILLPAY_SANDBOX_DATABASE_URL", sandbox_url)
    monkeypatch.setenv("BILLPAY_SANDBOX_TODAY", "2026-11-22")  # a Sunday
    url = database_url_for(tmp_path, "bot")
    monkeypatch.setenv("BILLPAY_DATABASE_URL", url)
    if on_postgres():
        await reset_bot_tables(url)
    empty = Sandbox(SandboxConfig(database_url=sandbox_url, reset=True, seed=False))
    await empty.start()
    await empty.stop()
    return url


def flat(text: str) -> str:
    """The panel's text on one line: borders gone, wrapped lines joined."""
    lines = (line.strip().strip("│").strip() for line in text.splitlines())
    return " ".join(" ".join(lines).split())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_demo_company_digest_is_printed_as_of_its_next_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "digest", "--dry-run")

    assert code == 0, err
    assert "Larkspur Design Studio Ltd" in out
    # The demo's today is a Sunday: the next digest (09:00, Monday to Friday) is Monday's.
    assert "Bills due · Mon 23 Nov" in out
    assert "As of the next run, Mon 23 Nov 09:00 UTC." in flat(out)
    assert "Overdue            10 bills  £5,849.60 · €3,460.00 · US$3,585.00" in out
    assert "Mon 23" in out and "██████████  £6,311.60" in out
    assert "Pinecrest Facilities" in out and "31d overdue" in out
    assert "and 1 more (£233.96)" in out
    assert "No channel is linked yet" in err
    assert "1 message would be posted" in err and "nothing was posted" in err
    assert max(len(line) for line in out.splitlines()) <= 80


def test_now_shows_today_and_says_when_nothing_would_be_posted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "digest", "--dry-run", "--now")
    assert code == 0, err
    assert "Bills due · Sun 22 Nov" in out
    assert "Not a digest day: nothing would be posted." in flat(out)
    assert "0 messages would be posted" in err


async def _link_channel(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        async with db.write() as s:
            link = CompanyLink(
                team_id="T0001",
                channel_id="C0FIN",
                company_id=demo_id("company"),
                connection_id=demo_id("connection"),
                company_name="Larkspur Design Studio Ltd",
                base_currency="GBP",
                linked_by="U0ANA",
            )
            s.add(link)
            await s.flush()
            s.add(
                Policy(link_id=link.id, approvers=["U0ANA", "U0BEN"], payers=[], updated_by="U0ANA")
            )
            link_id = link.id
        sub = await create_subscription(db, link_id, created_by="U0ANA", time_zone="Europe/Paris")
        await update_subscription(db, sub.id, local_time="08:30", look_ahead_days=3)
    finally:
        await db.dispose()


def test_a_linked_channel_uses_its_own_settings_and_approvers(
    capsys: pytest.CaptureFixture[str], offline_settings: str
) -> None:
    asyncio.run(_link_channel(offline_settings))

    code, out, err = run(
        capsys, "digest", "--dry-run", "--channel", "C0FIN", "--now", "2026-11-23T07:30Z"
    )

    assert code == 0, err
    assert "#C0FIN · Larkspur Design Studio Ltd" in out
    assert "(08:30 Europe/Paris, Mon to Fri, 3 days ahead)" in out
    assert "As of Mon 23 Nov 08:30 Europe/Paris." in flat(out)
    assert "Due within 3 days" in out
    assert "waiting on U0ANA (14), U0BEN (14)" in flat(out)


def test_an_unlinked_channel_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "digest", "--dry-run", "--channel", "C0NOPE")
    assert code == 1
    assert "Channel C0NOPE is not linked to a company." in err


def test_without_dry_run_it_says_the_scheduler_posts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "digest")
    assert code == 2
    assert "posted by the scheduler inside `billpay run`" in out + err
    assert "billpay digest --dry-run" in out + err


def test_a_bad_now_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "digest", "--dry-run", "--now", "tomorrow-ish")
    assert code == 2
    assert "--now: 'tomorrow-ish' is not a date-time" in out + err


async def _fill_mirror(url: str) -> None:
    """What linking the channel does in `billpay run`: the company's mirror read whole."""
    await _link_channel(url)
    services = await open_services(load_settings())
    try:
        await services.mirror.outstanding_of(demo_id("company"), demo_id("connection"))
    finally:
        await services.aclose()


def test_a_filled_mirror_is_read_with_no_payables_call(
    capsys: pytest.CaptureFixture[str],
    offline_settings: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the scheduler's digest: the bills come from the mirror, which it says is as of its
    last sync; the payables API, failing every request meanwhile, is not called at all."""
    asyncio.run(_fill_mirror(offline_settings))
    monkeypatch.setenv("BILLPAY_SANDBOX_ERROR_RATE", "1.0")
    monkeypatch.setenv("BILLPAY_PAYABLES_BACKGROUND_DEADLINE_SECONDS", "1")

    code, out, err = run(
        capsys, "digest", "--dry-run", "--channel", "C0FIN", "--now", "2026-11-23T07:30Z"
    )

    assert code == 0, err
    assert "waiting on U0ANA (14), U0BEN (14)" in flat(out)
    assert "From the mirror, as of" in flat(out)
    assert "1 company read from the mirror, 0 live; 0 payables calls" in flat(err)

    code, out, err = run(
        capsys, "digest", "--dry-run", "--channel", "C0FIN", "--now", "2026-11-23T07:30Z", "--live"
    )
    assert code == 1  # asked to read live: the failing API is called, and says so
    assert "the payables API is not answering as expected" in flat(err)
    assert "0 companies read from the mirror, 1 live" in flat(err)


def test_a_company_never_filled_is_read_live_and_said_so(
    capsys: pytest.CaptureFixture[str], offline_settings: str
) -> None:
    asyncio.run(_link_channel(offline_settings))
    code, out, err = run(
        capsys, "digest", "--dry-run", "--channel", "C0FIN", "--now", "2026-11-23T07:30Z"
    )
    assert code == 0, err
    assert "this company's mirror was never filled" in flat(out)
    assert "0 companies read from the mirror, 1 live" in flat(err)
    assert "0 payables calls" not in flat(err)
