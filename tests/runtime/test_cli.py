"""The `billpay` command as a user meets it: the payables check, and a clear stop without Slack."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from rich.console import Console

from billpay.runtime import cli
from billpay.runtime.cli import check as check_command
from payables_sandbox.app import Sandbox, SandboxConfig
from testkit.payables import database_url_for


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


def test_check_prints_its_report_on_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["check"])
    captured = capsys.readouterr()
    assert code == 0
    assert "embedded payables sandbox" in captured.out
    assert "Larkspur Design Studio Ltd" in captured.out
    assert "£13,020.49" in captured.out
    assert "Larkspur" not in captured.err


def test_check_fits_an_80_column_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code = cli.main(["check"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    assert "…" not in out, out  # no header or cell cut short
    assert any("Larkspur Design Studio Ltd" in line for line in lines), out  # on one line
    for total in ("£13,020.49", "€8,875.50", "US$11,715.00"):
        assert total in out


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


def test_run_over_http_without_slack_credentials_says_what_to_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = run(capsys, "run", "--http")
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


def test_the_companies_table_wraps_a_long_name_within_80_columns() -> None:
    name = "The Extraordinarily Long-Named Architecture and Interior Design Partnership LLP"
    table = check_command._companies_table(
        1, [(name, "QuickBooks Online Sandbox", "1234", "567", "£1,234,567.89\nUS$98,765,432.10")]
    )
    buffer = io.StringIO()
    Console(file=buffer, width=80).print(table)
    out = buffer.getvalue()
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "£1,234,567.89" in out and "US$98,765,432.10" in out  # amounts are never cut
    assert "…" not in out, out
    cells = "".join(line.split("│")[1].strip() for line in out.splitlines() if "│" in line)
    assert name.replace(" ", "") in cells.replace(" ", "")  # wrapped, every letter kept


@pytest.mark.parametrize(("options", "status"), [((), 400), (("--lenient",), 200)])
async def test_billpay_sandbox_is_strict_unless_asked_to_be_lenient(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: tuple[str, ...],
    status: int,
) -> None:
    """A supplier query on a field the spec doesn't document is refused, as Codat would."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    code, _ = run(capsys, "sandbox", "--api-key", "cli-key", *options)
    assert code == 0
    (app,) = served
    sandbox = app.state.sandbox
    await sandbox.start()
    try:
        demo = sandbox.demo
        auth = {"Authorization": "Basic " + base64.b64encode(b"cli-key").decode()}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=auth) as c:
            path = f"/companies/{demo.company_id}/connections/{demo.connection_id}"
            query = {"query": "supplierName~pine"}
            response = await c.get(f"{path}/payables/suppliers", params=query)
        assert response.status_code == status
    finally:
        await sandbox.stop()


@pytest.mark.parametrize(
    ("options", "limit", "quota", "concurrent", "webhook"),
    [
        ((), "2000", 1000, 10, None),
        (
            (
                "--daily-quota",
                "5",
                "--concurrent-per-company",
                "off",
                "--webhook-url",
                "http://127.0.0.1:3000/webhooks/codat",
                "--webhook-secret",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
            "10",
            5,
            None,
            "http://127.0.0.1:3000/webhooks/codat",
        ),
    ],
)
async def test_billpay_sandbox_keeps_codats_allowance_unless_told_otherwise(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: tuple[str, ...],
    limit: str,
    quota: int,
    concurrent: int | None,
    webhook: str | None,
) -> None:
    """As Codat: 1,000 calls a day per company plus one company's worth, 10 at once; both
    can be changed or turned off, and webhooks sent where asked."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    code, _ = run(capsys, "sandbox", "--api-key", "cli-key", *options)
    assert code == 0
    (app,) = served
    sandbox = app.state.sandbox
    await sandbox.start()
    try:
        config = sandbox.config
        assert (config.daily_quota, config.concurrent_per_company) == (quota, concurrent)
        assert config.webhook_url == webhook
        auth = {"Authorization": "Basic " + base64.b64encode(b"cli-key").decode()}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=auth) as c:
            response = await c.get("/companies")
        assert response.headers["X-Rate-Limit-Limit"] == limit
    finally:
        await sandbox.stop()


def test_billpay_sandbox_refuses_a_limit_that_is_not_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsys, "sandbox", "--daily-quota", "0")
    assert exited.value.code == 2
    assert "a whole number of 1 or more, or 'off'" in capsys.readouterr().err
