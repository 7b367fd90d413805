"""The `billpay` command as a user meets it: the payables check, and a clear stop without Slack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import cli
from bot.sandbox.app import Sandbox, SandboxConfig
from tests.conftest import database_url_for


@pytest.fixture(autouse=True)
async def offline_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CODAT_API_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = database_url_for(tmp_path, "cli")
    monkeypatch.setenv("BILLPAY_SANDBOX_DATABASE_URL", url)
    monkeypatch.setenv("BILLPAY_SANDBOX_TODAY", "2026-11-22")
    # An empty database, so the command seeds the demo afresh (PostgreSQL is shared by tests).
    empty = Sandbox(SandboxConfig(database_url=url, reset=True, seed=False))
    await empty.start()
    await empty.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_check_shows_the_demo_company_and_what_is_due(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = run(capsys, "check")
    assert code == 0
    assert "embedded payables sandbox" in output
    assert "Larkspur Design Studio Ltd" in output
    assert "£13,020.49" in output  # the GBP still owed across the 25 outstanding bills
    assert "€8,875.50" in output


def test_check_counts_overdue_bills_from_the_sandbox_today(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = run(capsys, "check")
    assert code == 0
    # 25 outstanding, 7 of them due before the demo's today (not the wall clock's).
    assert re.search(r"│\s*25\s*│\s*7\s*│", output), output


def test_run_without_slack_credentials_says_what_to_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = run(capsys, "run")
    assert code == 2
    assert "Larkspur Design Studio Ltd" in output  # the payables side was proven first
    assert "Missing: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in output
    assert "SLACK_APP_TOKEN       xapp-" in output


def test_an_unreachable_payables_api_is_reported_plainly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODAT_API_KEY", "some-key")
    monkeypatch.setenv("CODAT_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("BILLPAY_PAYABLES_BACKGROUND_DEADLINE_SECONDS", "0.3")
    code, output = run(capsys, "check")
    assert code == 1
    assert "Codat API at http://127.0.0.1:9" in output
    assert "The payables API is not answering as expected" in output
    assert "some-key" not in output


def test_bad_configuration_stops_with_the_list_of_fixes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "nope")
    code, output = run(capsys, "run")
    assert code == 2
    assert "SLACK_BOT_TOKEN: a bot token starts with 'xoxb-'" in output


def test_sandbox_faults_come_from_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLPAY_SANDBOX_ERROR_RATE", "1")
    monkeypatch.setenv("BILLPAY_PAYABLES_BACKGROUND_DEADLINE_SECONDS", "0.5")
    code, output = run(capsys, "check")
    assert code == 1
    assert "503" in output
