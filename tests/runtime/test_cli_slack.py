"""The `billpay` commands around Slack as a user meets them: what `run` asks for before it can
connect, `db upgrade`, the audit trail's CSV export, and `preview` of every Slack surface."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from billpay.bills.audit import AuditRow, write_csv
from billpay.config import Settings, load_settings
from billpay.payables.backend import PayablesBackend
from billpay.runtime import cli
from billpay.runtime.cli import run as run_command
from billpay.runtime.cli.console import configure_logging
from billpay.runtime.preview import SURFACES
from billpay.slack.app import create_app
from billpay.store.db import Database
from billpay.store.migrate import current_revision, head_revision, upgrade
from billpay.store.models import AuditEvent, Base, BillCase, CompanyLink
from payables_sandbox.app import Sandbox, SandboxConfig
from slack_playground.blockkit import validate_message_blocks, validate_view
from testkit.payables import database_url_for, on_postgres
from testkit.world import reset_bot_tables

BUILDER = "https://app.slack.com/block-kit-builder/#"
CSV_HEADER = [
    "time",
    "actor",
    "actor_name",
    "action",
    "supplier",
    "reference",
    "amount",
    "currency",
    "details",
    "team_id",
    "channel_id",
    "company_id",
    "bill_id",
]
FORMULA_BILL = '=HYPERLINK("http://evil.example","Click")'
FORMULA_ACTOR = "=cmd|' /C calc'!A0"


@pytest.fixture(autouse=True)
async def offline_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """No Slack or Codat settings from the outside, no `.env`, and a bot database of its own
    (emptied of the bot's tables on PostgreSQL, which tests share); returns its URL."""
    for name in (
        "CODAT_API_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "BILLPAY_DEFAULT_LOCALE",
        "BILLPAY_LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BILLPAY_SANDBOX_DATABASE_URL", database_url_for(tmp_path, "cli"))
    monkeypatch.setenv("BILLPAY_SANDBOX_TODAY", "2026-11-22")
    url = database_url_for(tmp_path, "bot")
    monkeypatch.setenv("BILLPAY_DATABASE_URL", url)
    if on_postgres():
        await reset_bot_tables(url)
    return url


@pytest.fixture
async def empty_sandbox(tmp_path: Path) -> None:
    """An empty sandbox database, so the command seeds the demo afresh."""
    empty = Sandbox(
        SandboxConfig(database_url=database_url_for(tmp_path, "cli"), reset=True, seed=False)
    )
    await empty.start()
    await empty.stop()


def exit_code(argv: Sequence[str]) -> int:
    """The command's exit status, whether it returns it or argparse exits with it."""
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = exit_code(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# billpay run: what it needs from Slack


@pytest.mark.usefixtures("empty_sandbox")
def test_run_without_slack_credentials_serves_the_playground(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []

    async def playground(settings: Settings, *, real_payables: bool = False) -> int:
        served.append("playground")
        return 0

    async def serve(
        settings: Settings, mode: run_command.Mode, backend: PayablesBackend | None = None
    ) -> int:
        if backend is not None:
            await backend.aclose()
        served.append(mode)
        return 0

    monkeypatch.setattr(run_command, "_serve_playground", playground)
    monkeypatch.setattr(run_command, "_serve", serve)
    assert run(capsys, "run")[0] == 0
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-secretbot")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    assert run(capsys, "run")[0] == 0  # with Slack's settings: Slack, as before
    assert run(capsys, "run", "--playground")[0] == 0  # unless asked for the playground
    assert served == ["playground", "http", "playground"]


@pytest.mark.usefixtures("empty_sandbox")
def test_run_over_http_without_slack_credentials_checks_payables_then_explains_the_setup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "run", "--http")
    output = out + err
    assert code == 2
    missing = output.index("Missing: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET")
    assert output.index("Larkspur Design Studio Ltd") < missing  # payables proven first
    assert "SLACK_APP_TOKEN" not in output[missing : output.index("\n", missing)]
    assert "manifest.yml" in output[missing:]
    assert "Create New App" in output[missing:]
    assert "Traceback" not in output


@pytest.mark.usefixtures("empty_sandbox")
def test_run_in_socket_mode_without_an_app_token_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-secretbot")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    code, out, err = run(capsys, "run", "--socket")
    output = out + err
    assert code == 2
    assert "Missing: SLACK_APP_TOKEN\n" in output
    assert "connections:write" in output
    assert "xoxb-1-2-secretbot" not in output
    assert "signing-secret-value" not in output


def test_a_malformed_app_token_stops_start_up_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-secretbot")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-not-an-app-token")
    code, out, err = run(capsys, "run", "--socket")
    output = out + err
    assert code == 2
    assert "SLACK_APP_TOKEN: an app-level token starts with 'xapp-'" in output
    assert "Payables backend" not in output  # stopped before doing anything
    assert "xoxb-not-an-app-token" not in output


# billpay db upgrade


def test_db_upgrade_creates_the_bots_tables_and_prints_the_revision(
    capsys: pytest.CaptureFixture[str], offline_settings: str
) -> None:
    code, out, err = run(capsys, "db", "upgrade")
    assert code == 0
    assert f"revision {head_revision()}" in out + err
    assert asyncio.run(current_revision(offline_settings)) == head_revision()
    assert set(Base.metadata.tables) <= asyncio.run(table_names(offline_settings))


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


# billpay audit export


async def add_events(url: str, events: Sequence[Base]) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        async with db.write() as s:
            s.add_all(events)
    finally:
        await db.dispose()


async def add_link(url: str, link: CompanyLink) -> int:
    await add_events(url, [link])
    db = Database(url)
    try:
        async with db.read() as s:
            return int(
                await s.scalar(
                    select(CompanyLink.id).where(CompanyLink.channel_id == link.channel_id)
                )
            )
    finally:
        await db.dispose()


def bill_case(link_id: int, bill_id: str, supplier: str, reference: str | None) -> BillCase:
    return BillCase(
        link_id=link_id,
        bill_id=bill_id,
        supplier_name=supplier,
        reference=reference,
        currency="GBP",
        total_amount=Decimal("1250.10"),
        amount_due=Decimal("1250.10"),
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 11, 30),
        bill_status="Open",
    )


@pytest.fixture
async def audit_trail(offline_settings: str) -> None:
    """Three events, stored out of time order: approve (20 Nov), reject at midnight on 21 Nov,
    pay (22 Nov); one bill id and one actor start with '=', as a spreadsheet formula would. The
    bot has cases of the paid bill and of the rejected one (whose supplier starts with '@')."""
    link_id = await add_link(
        offline_settings,
        CompanyLink(
            team_id="T0001",
            channel_id="C0FIN",
            company_id="co-1",
            connection_id="conn-1",
            company_name="Larkspur Design Studio Ltd",
            base_currency="GBP",
            linked_by="U0ANA",
        ),
    )
    await add_events(
        offline_settings,
        [
            bill_case(link_id, "bill-2", "Pinecrest Facilities", "INV-0042"),
            bill_case(link_id, "bill-3", "@Home Cleaning", None),
            AuditEvent(
                at=datetime(2026, 11, 22, 9, 15, 30, tzinfo=UTC),
                team_id="T0001",
                channel_id="C0FIN",
                actor=FORMULA_ACTOR,
                action="pay",
                company_id="co-1",
                bill_id="bill-2",
                details={"amount": Decimal("1250.10"), "currency": "GBP"},
            ),
            AuditEvent(
                at=datetime(2026, 11, 20, 16, 45, tzinfo=UTC),
                team_id="T0001",
                channel_id="C0FIN",
                actor="U0ANA",
                action="approve",
                company_id="co-1",
                bill_id=FORMULA_BILL,
                details={"amount": Decimal("1250.10")},
            ),
            AuditEvent(
                at=datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
                team_id="T0001",
                channel_id=None,
                actor="U0BEN",
                action="reject",
                company_id="co-1",
                bill_id="bill-3",
                details={"reason": "Duplicate"},
            ),
        ],
    )


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.usefixtures("audit_trail")
def test_audit_export_writes_one_row_per_event_oldest_first_with_exact_amounts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "audit.csv"
    code, out, err = run(capsys, "audit", "export", "--csv", str(target))
    assert code == 0
    assert err.strip() == f"Wrote 3 audit events to {target}"
    assert out == ""

    header, *rows = read_csv(target.read_text(encoding="utf-8"))
    assert header == CSV_HEADER
    assert [(row[0], row[3]) for row in rows] == [
        ("2026-11-20T16:45:00+00:00", "approve"),
        ("2026-11-21T00:00:00+00:00", "reject"),
        ("2026-11-22T09:15:30+00:00", "pay"),
    ]
    approve, reject, pay = (dict(zip(header, row, strict=True)) for row in rows)
    # The amount is written with its own digits: 1250.10, not 1250.1 nor a float.
    assert (approve["amount"], approve["currency"], approve["details"]) == ("1250.10", "", "")
    assert (pay["amount"], pay["currency"], pay["details"]) == ("1250.10", "GBP", "")
    assert json.loads(reject["details"]) == {"reason": "Duplicate"}
    assert reject["amount"] == reject["currency"] == ""
    assert reject["channel_id"] == ""  # no channel
    # The bill's supplier and reference, from the bot's case of it.
    assert (pay["supplier"], pay["reference"]) == ("Pinecrest Facilities", "INV-0042")
    assert (reject["supplier"], reject["reference"]) == ("'@Home Cleaning", "")
    assert approve["supplier"] == approve["reference"] == ""  # no case of that bill
    # Names are not looked up in Slack: none for people.
    assert (approve["actor"], approve["actor_name"]) == ("U0ANA", "")
    # Cells a spreadsheet would run as formulas are quoted; ordinary ones are left alone.
    assert approve["bill_id"] == "'" + FORMULA_BILL
    assert pay["actor"] == "'" + FORMULA_ACTOR
    assert pay["bill_id"] == "bill-2"


def test_audit_csv_keeps_other_details_as_json_and_names_the_bots_own_actors() -> None:
    event = AuditEvent(
        at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        team_id="T0001",
        channel_id="C0FIN",
        actor="scheduler",
        action="payment_held",
        company_id="co-1",
        bill_id="bill-2",
        details={
            "payment_id": 7,
            "amount": Decimal("99.90"),
            "currency": "EUR",
            "account": "=Current",
        },
    )
    buffer = io.StringIO()
    assert write_csv([AuditRow(event, "Pinecrest Facilities", "INV-0042")], buffer) == 1
    header, row = read_csv(buffer.getvalue())
    cells = dict(zip(header, row, strict=True))
    assert cells["actor_name"] == "billpay (scheduler)"
    assert (cells["amount"], cells["currency"]) == ("99.90", "EUR")
    assert json.loads(cells["details"]) == {"payment_id": 7, "account": "=Current"}
    assert cells["details"] == '{"payment_id":7,"account":"=Current"}'  # compact


@pytest.mark.usefixtures("audit_trail")
def test_audit_export_since_keeps_events_from_that_date_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "recent.csv"
    code, out, err = run(capsys, "audit", "export", "--csv", str(target), "--since", "2026-11-21")
    assert code == 0
    assert "Wrote 2 audit events" in out + err
    header, *rows = read_csv(target.read_text(encoding="utf-8"))
    assert header == CSV_HEADER
    assert [row[3] for row in rows] == ["reject", "pay"]  # midnight on the 21st is included


@pytest.mark.usefixtures("audit_trail")
def test_audit_export_to_stdout_prints_only_the_csv(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "audit", "export", "--csv", "-")
    assert code == 0
    header, *rows = read_csv(out)
    assert header == CSV_HEADER
    assert [row[3] for row in rows] == ["approve", "reject", "pay"]
    assert err.strip() == "Wrote 3 audit events to standard output"


def test_audit_export_of_a_new_database_writes_just_the_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "empty.csv"
    code, out, err = run(capsys, "audit", "export", "--csv", str(target))
    assert code == 0
    assert read_csv(target.read_text(encoding="utf-8")) == [CSV_HEADER]
    assert "Wrote 0 audit events" in out + err


@pytest.mark.usefixtures("audit_trail")
def test_audit_export_to_an_unwritable_path_fails_plainly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "audit.csv"
    code, out, err = run(capsys, "audit", "export", "--csv", str(target))
    output = out + err
    assert code == 1
    assert f"Cannot write {target}" in output
    assert "Choose another path" in output
    assert "Traceback" not in output
    assert "Wrote" not in output
    assert not target.exists()


# billpay preview


def json_documents(text: str) -> list[Any]:
    """Every JSON document printed one after another."""
    decoder = json.JSONDecoder()
    documents, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return documents
        document, i = decoder.raw_decode(text, i)
        documents.append(document)


def builder_links(err: str) -> dict[str, Any]:
    """Each surface's Block Kit Builder link, decoded to the payload it opens."""
    links = {}
    for line in err.splitlines():
        name, sep, rest = line.partition(": open in Block Kit Builder: ")
        if sep:
            assert rest.startswith(BUILDER)
            links[name] = json.loads(unquote(rest.removeprefix(BUILDER)))
    return links


def previews(
    capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `billpay preview ARGV`; the surfaces printed (by name) and the links' payloads."""
    code, out, err = run(capsys, "preview", *argv)
    assert code == 0, err
    links = builder_links(err)
    documents = json_documents(out)
    assert len(documents) == len(links)
    return dict(zip(links, documents, strict=True)), links


def problems(surface: dict[str, Any]) -> list[str]:
    if surface.get("type") in ("modal", "home"):
        return validate_view(surface)
    return validate_message_blocks(surface["blocks"])


@pytest.mark.usefixtures("empty_sandbox")
def test_preview_bills_prints_a_builder_link_and_the_demo_companys_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    surfaces, links = previews(capsys, "bills")
    assert list(surfaces) == ["bills"]
    bills = surfaces["bills"]
    assert "Larkspur Design Studio Ltd" in json.dumps(bills["blocks"], ensure_ascii=False)
    assert links["bills"] == {"blocks": bills["blocks"]}  # the link opens this very message


@pytest.mark.usefixtures("empty_sandbox")
def test_preview_of_every_surface_is_valid_block_kit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    surfaces, links = previews(capsys)
    assert list(surfaces) == list(SURFACES)
    assert [surfaces[name].get("type") for name in ("pay-modal", "reject-modal", "home")] == [
        "modal",
        "modal",
        "home",
    ]
    found = {name: problems(surface) for name, surface in surfaces.items()}
    assert found == {name: [] for name in SURFACES}
    assert links["home"] == surfaces["home"]
    assert links["supplier"] == {"blocks": surfaces["supplier"]["blocks"]}


def amount_initial_value(modal: dict[str, Any]) -> str:
    (block,) = [b for b in modal["blocks"] if b.get("block_id") == "pay_amount"]
    return str(block["element"]["initial_value"])


@pytest.mark.usefixtures("empty_sandbox")
def test_preview_pay_modal_in_french_formats_the_amount_the_french_way(
    capsys: pytest.CaptureFixture[str],
) -> None:
    surfaces, _ = previews(capsys, "pay-modal", "--locale", "fr-FR")  # as Slack writes it
    modal = surfaces["pay-modal"]
    assert validate_view(modal) == []
    french = amount_initial_value(modal)
    assert "," in french and "." not in french  # a comma decimal separator
    assert "".join(ch for ch in french if not ch.isspace()) == "3000,00"

    british, _ = previews(capsys, "pay-modal", "--locale", "en_GB")
    assert amount_initial_value(british["pay-modal"]) == "3,000.00"


def test_preview_with_an_unknown_locale_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "preview", "bills", "--locale", "xx_YY")
    assert code == 2
    assert "'xx_YY' is not a locale" in err
    assert out == ""


@pytest.mark.usefixtures("empty_sandbox")
def test_preview_of_an_unknown_surface_exits_2_listing_the_surfaces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "preview", "bills", "invoices")
    assert code == 2
    assert "invoices" in err
    for name in SURFACES:
        assert name in err
    assert out == ""  # nothing half-printed before the error
    assert "Traceback" not in err


@pytest.mark.usefixtures("empty_sandbox")
def test_run_host_and_port_options_override_the_settings_for_that_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-secretbot")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    monkeypatch.setenv("BILLPAY_PORT", "3100")
    served: list[tuple[str, int, str]] = []

    async def serve(
        settings: Settings, mode: run_command.Mode, backend: PayablesBackend | None = None
    ) -> int:
        if backend is not None:
            await backend.aclose()
        served.append((settings.host, settings.port, mode))
        return 0

    monkeypatch.setattr(run_command, "_serve", serve)
    assert run(capsys, "run", "--http", "--host", "192.0.2.7", "--port", "4100")[0] == 0
    assert run(capsys, "run", "--http")[0] == 0  # the settings again on the next run
    assert served == [("192.0.2.7", 4100, "http"), ("127.0.0.1", 3100, "http")]


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_run_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str) -> None:
    code, _out, err = run(capsys, "run", "--port", port)
    assert code == 2
    assert "--port" in err
    assert "1 to 65535" in err
    assert "Traceback" not in err


async def test_start_up_logs_no_warning_about_the_bot_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given the bot's own Web
    API client as well, warns that the token will be unused: a false alarm at every start."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-3")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    settings = load_settings()
    configure_logging(settings)
    services = await run_command._open_services(settings)
    try:
        with caplog.at_level(logging.INFO):
            create_app(services)
    finally:
        await services.aclose()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("since", ["21/11/2026", "yesterday", "2026-11-31"])
def test_audit_export_with_a_bad_since_says_the_format(
    capsys: pytest.CaptureFixture[str], since: str
) -> None:
    code, out, err = run(capsys, "audit", "export", "--csv", "-", "--since", since)
    assert code == 2
    assert f"--since: '{since}' is not a date: write it as YYYY-MM-DD (e.g. 2026-11-21)" in err
    assert out == ""


def card_texts(message: dict[str, Any]) -> list[tuple[str, str]]:
    """Each card's main text and status line."""
    blocks = {b.get("block_id", ""): b for b in message["blocks"]}
    return [
        (b["text"]["text"], blocks["card_status:" + key]["elements"][0]["text"])
        for key, b in ((k.removeprefix("card:"), b) for k, b in blocks.items())
        if b.get("block_id", "").startswith("card:")
    ]


@pytest.mark.usefixtures("empty_sandbox")
def test_preview_bills_summary_counts_what_the_cards_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    surfaces, _ = previews(capsys, "bills")
    message = surfaces["bills"]
    summary = message["blocks"][0]["text"]["text"]
    cards = card_texts(message)
    paid = [(text, status) for text, status in cards if status.startswith(":moneybag: Paid")]
    assert len(paid) == 1  # the preview shows a card of each state, one of them paid
    ((paid_text, paid_status),) = paid
    paid_amount = Decimal(paid_status.split("£")[1].split(" ")[0].replace(",", ""))
    # 25 bills are outstanding in the demo, 7 of them overdue, £13,020.49, €8,875.50 and
    # US$11,715.00 owed: the paid card's bill is no longer among them, nor the rejected card's
    # (which is on the page, so not counted as a rejected bill "not shown").
    ((rejected_text, _),) = [c for c in cards if c[1].startswith(":no_entry: Rejected")]
    owed = {"£": Decimal("13020.49"), "€": Decimal("8875.50"), "US$": Decimal("11715.00")}
    owed["£"] -= paid_amount
    rejected_amount = rejected_text.split("\n")[1].split("*")[1]
    symbol = next(s for s in ("US$", "£", "€") if rejected_amount.startswith(s))
    owed[symbol] -= Decimal(rejected_amount.removeprefix(symbol).replace(",", ""))
    overdue = 7
    for text in (paid_text, rejected_text):
        found = re.search(r"Due (\d+ \w+ \d{4})", text)
        assert found is not None, text
        overdue -= datetime.strptime(found[1], "%d %b %Y").date() < date(2026, 11, 22)
    assert f": 23 outstanding bills · {overdue} overdue · " in summary, summary
    for symbol, amount in owed.items():
        assert f"{symbol}{amount:,} due" in summary, summary
    assert "rejected bill" not in summary
