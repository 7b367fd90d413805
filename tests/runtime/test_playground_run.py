"""`billpay run --playground` (and `billpay run` without Slack settings) is a demo that can
never reach real money: whatever the environment holds (a Codat key and address, the bot's and
the sandbox's database URLs, Slack's settings, an approvers list), the bot behind the page runs
on the embedded payables sandbox and databases of its own, and the console says so truly. Its
page is served on loopback only; `--playground-with-real-payables` is the one, loud, way to put
the configured payables API behind it.

The configured payables address is a server here that records every request it gets: none may
arrive. The configured databases are SQLite files that must never be created."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response

from billpay.config import Settings, load_settings
from billpay.runtime import cli
from billpay.runtime.cli import run as run_command
from billpay.runtime.embedded import Listening, playground_settings, with_playground
from billpay.slack.blocks.ids import Action, Input
from payables_sandbox.app import Sandbox, SandboxConfig
from testkit.browser import free_port, playground_env, running_playground
from testkit.hosting import hosted_playground
from testkit.page import PageClient
from testkit.serve import serve_asgi
from testkit.world import sandbox_payments

ANA, SAM = "U0ANA", "U0SAM"
DEMO_LINE = (
    "The playground is a demo: the embedded payables sandbox and a bot database of its own "
    "(in {folder}); no real money can move."
)
UNUSED_LINE = (
    "Set but not used by the playground: CODAT_API_KEY, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, "
    "CODAT_BASE_URL, BILLPAY_DATABASE_URL, BILLPAY_SANDBOX_DATABASE_URL, BILLPAY_APPROVERS."
)


@dataclass
class Recorder:
    """A payables API that records every request and answers 401 (never retried)."""

    hits: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        async def anything(request: Request) -> Response:
            self.hits.append(f"{request.method} {request.url.path}")
            return Response('{"statusCode": 401, "error": "Unauthorized"}', status_code=401)

        return app


@dataclass
class Configured:
    """What a real deployment's environment holds, and where the playground's own files go."""

    env: dict[str, str]
    recorder: Recorder
    playground_dir: Path
    real_files: list[Path]  # the configured databases: never created by the playground


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Configured]:
    recorder = Recorder()
    with serve_asgi(recorder.app()) as payables_url:
        real_bot, real_sandbox = tmp_path / "real-bot.db", tmp_path / "real-sandbox.db"
        env = {
            "CODAT_API_KEY": "codat-key-of-a-real-company",
            "CODAT_BASE_URL": payables_url,
            "BILLPAY_DATABASE_URL": f"sqlite:///{real_bot}",
            "BILLPAY_SANDBOX_DATABASE_URL": f"sqlite:///{real_sandbox}",
            "SLACK_BOT_TOKEN": "xoxb-1-2-the-real-workspace",
            "SLACK_SIGNING_SECRET": "the-real-signing-secret",
            "BILLPAY_APPROVERS": "U0EVE",  # nobody on the page
            "BILLPAY_PLAYGROUND_DIR": str(tmp_path / "playground"),
            "BILLPAY_PAYMENT_HOLD_SECONDS": "0",  # paid at once, no undo window to wait out
            "BILLPAY_PORT": str(free_port()),
        }
        for name in ("SLACK_APP_TOKEN", "BILLPAY_HOST", "BILLPAY_LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)  # no .env from elsewhere
        yield Configured(env, recorder, tmp_path / "playground", [real_bot, real_sandbox])


@dataclass
class Served:
    """What `_serve_playground` was asked to do, instead of serving."""

    calls: list[tuple[Settings, bool]] = field(default_factory=list)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    served = Served()

    async def serve_playground(settings: Settings, *, real_payables: bool = False) -> int:
        served.calls.append((settings, real_payables))
        return 0

    monkeypatch.setattr(run_command, "_serve_playground", serve_playground)
    return served


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def lines(output: str) -> list[str]:
    return [line.rstrip() for line in output.splitlines()]


# What it reaches, and what the console says


@pytest.mark.parametrize("argv", [["run", "--playground"], ["run"]])
def test_the_playground_reports_its_own_sandbox_and_reaches_nothing_configured(
    capsys: pytest.CaptureFixture[str],
    configured: Configured,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    argv: Sequence[str],
) -> None:
    if argv == ["run"]:  # without Slack settings `billpay run` is the playground too
        monkeypatch.delenv("SLACK_BOT_TOKEN")
        monkeypatch.delenv("SLACK_SIGNING_SECRET")
    code, output = run(capsys, *argv)
    assert code == 0, output
    shown = lines(output)
    assert shown[0] == "Payables backend: embedded payables sandbox (in-process)"
    assert "Larkspur Design Studio Ltd" in output
    assert "Codat API" not in output
    assert DEMO_LINE.format(folder=configured.playground_dir) in shown
    unused = UNUSED_LINE
    if argv == ["run"]:
        unused = unused.replace(" SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,", "")
    assert unused in shown
    assert configured.recorder.hits == []
    assert not any(path.exists() for path in configured.real_files)
    ((settings, real_payables),) = served.calls
    assert not real_payables
    bot = playground_settings(settings)
    assert bot.uses_sandbox
    assert bot.database_url.endswith(f"{configured.playground_dir}/billpay.db")
    assert bot.approvers == ["U0ANA", "U0LEA"]  # the page's people, not BILLPAY_APPROVERS


async def test_the_function_behind_the_playground_pays_only_the_embedded_sandbox(
    configured: Configured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`with_playground`, given the settings of a real deployment, serves the bot behind the
    page as `billpay run --playground` does; Ana approves and Sam pays on the page."""
    # Not a newcomer's first run: the logging of the process running the tests stays as it is.
    monkeypatch.setenv("BILLPAY_LOG_LEVEL", "WARNING")
    settings = load_settings()
    addresses: list[str] = []
    paid_bill: list[str] = []

    async def serve(bot_settings: Settings, listening: Listening) -> None:
        async with hosted_playground(bot_settings, listening):
            (url,) = addresses
            async with PageClient.opened(url) as page:
                ts, bill_id = await page.card("BW-88213")
                await page.press(ts, bill_id, Action.APPROVE, user=ANA)
                await page.wait_for(lambda s: "Approved by" in s["channel"])
                await page.press(ts, bill_id, Action.PAY, user=SAM)
                answer = await page.submit_modal({Input.PAY_AMOUNT: "432.98"}, user=SAM)
                assert answer == {"ok": True}
                await page.wait_for(lambda s: "paid in full" in s["channel"], SAM)
                paid_bill.append(bill_id)

    await with_playground(settings, serve, addresses.append)
    (url,) = addresses
    assert url.startswith(f"http://127.0.0.1:{settings.port}/?token=")

    sandbox = Sandbox(
        SandboxConfig(
            database_url=f"sqlite+aiosqlite:///{configured.playground_dir / 'sandbox.db'}"
        )
    )
    await sandbox.start()
    try:
        assert await sandbox_payments(sandbox, paid_bill[0]) == 1
    finally:
        await sandbox.stop()
    assert configured.recorder.hits == []
    assert not any(path.exists() for path in configured.real_files)
    assert (configured.playground_dir / "billpay.db").exists()
    # The channel is kept beside the bot's database, for the next start.
    assert "BW-88213" in (configured.playground_dir / "channels.json").read_text(encoding="utf-8")


def test_a_playground_folder_it_cannot_write_is_named_plainly(
    capsys: pytest.CaptureFixture[str],
    configured: Configured,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("BILLPAY_PLAYGROUND_DIR", str(tmp_path / "a-file" / "playground"))
    code, output = run(capsys, "run", "--playground")
    assert code == 2
    assert "The playground cannot keep its files in" in output
    assert "Set BILLPAY_PLAYGROUND_DIR to a folder it can write to." in output
    assert "Traceback" not in output
    assert served.calls == []


# Loopback only


@pytest.mark.parametrize(
    ("argv", "env_host", "named"),
    [
        (["--host", "0.0.0.0"], None, "0.0.0.0 (--host)"),  # noqa: S104
        (["--host", "192.0.2.10", "--playground"], None, "192.0.2.10 (--host)"),
        ([], "0.0.0.0", "0.0.0.0 (BILLPAY_HOST)"),  # noqa: S104
        (["--playground"], "::", ":: (BILLPAY_HOST)"),
    ],
)
def test_the_playground_refuses_to_listen_beyond_loopback(
    capsys: pytest.CaptureFixture[str],
    configured: Configured,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env_host: str | None,
    named: str,
) -> None:
    if "--playground" not in argv:
        monkeypatch.delenv("SLACK_BOT_TOKEN")
        monkeypatch.delenv("SLACK_SIGNING_SECRET")
    if env_host is not None:
        monkeypatch.setenv("BILLPAY_HOST", env_host)
    code, output = run(capsys, "run", *argv)
    assert code == 2
    assert f"The playground listens on 127.0.0.1 only, not {named}" in output
    assert "Unset BILLPAY_HOST or give --host 127.0.0.1" in output
    assert "Payables backend" not in output  # refused before anything started
    assert served.calls == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_addresses_are_accepted(
    capsys: pytest.CaptureFixture[str], configured: Configured, served: Served, host: str
) -> None:
    code, output = run(capsys, "run", "--playground", "--host", host)
    assert code == 0, output
    assert len(served.calls) == 1


# The loud way to real payables


@pytest.mark.parametrize("missing", ["CODAT_API_KEY", "SLACK_SIGNING_SECRET"])
def test_real_payables_behind_the_page_need_a_codat_key_and_a_signing_secret(
    capsys: pytest.CaptureFixture[str],
    configured: Configured,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    monkeypatch.delenv(missing)
    code, output = run(capsys, "run", "--playground-with-real-payables")
    assert code == 2
    assert f"--playground-with-real-payables needs {missing}:" in output
    assert "use --playground for the demo" in output
    assert served.calls == []
    assert configured.recorder.hits == []


def test_real_payables_behind_the_page_print_the_risk_first(
    capsys: pytest.CaptureFixture[str], configured: Configured, served: Served
) -> None:
    code, output = run(capsys, "run", "--playground-with-real-payables")
    risk = output.index("REAL MONEY: the playground's page drives the bot on the payables API")
    assert configured.env["CODAT_BASE_URL"] in output[risk:]
    assert "record real payments" in output
    assert risk < output.index("Payables backend: Codat API")
    # The configured API is the one asked (here it refuses the key: nothing is served).
    assert code == 1
    assert configured.recorder.hits == ["GET /companies"]
    assert served.calls == []


def test_real_payables_and_the_demo_are_different_modes(
    capsys: pytest.CaptureFixture[str], configured: Configured
) -> None:
    code, output = run(capsys, "run", "--playground", "--playground-with-real-payables")
    assert code == 2
    assert "not allowed with argument" in output


# The whole command, in a process of its own


@pytest.mark.slow  # a process of its own
async def test_run_playground_with_a_real_environment_pays_only_its_sandbox(
    configured: Configured,
) -> None:
    env = playground_env(configured.playground_dir, **configured.env)
    with running_playground(configured.playground_dir, "--playground", env=env) as running:
        async with PageClient.opened(running.url) as page:
            ts, bill_id = await page.card("BW-88213")
            await page.press(ts, bill_id, Action.APPROVE, user=ANA)
            await page.wait_for(lambda s: "Approved by" in s["channel"])
            await page.press(ts, bill_id, Action.PAY, user=SAM)
            assert await page.submit_modal({Input.PAY_AMOUNT: "432.98"}, user=SAM) == {"ok": True}
            await page.wait_for(lambda s: "paid in full" in s["channel"], SAM)
    assert running.process.returncode == 0, "".join(running.lines)
    shown = [line.rstrip() for line in running.lines]
    assert shown[0] == "Payables backend: embedded payables sandbox (in-process)"
    assert DEMO_LINE.format(folder=configured.playground_dir) in shown
    assert UNUSED_LINE in shown
    assert (
        f"Open {running.url} to try Bill Pay (no Slack workspace needed). Without --playground, "
        "billpay run connects to Slack with your settings."
    ) in shown
    assert not any("Codat API" in line or "Set SLACK_BOT_TOKEN" in line for line in shown)

    sandbox = Sandbox(
        SandboxConfig(
            database_url=f"sqlite+aiosqlite:///{configured.playground_dir / 'sandbox.db'}"
        )
    )
    await sandbox.start()
    try:
        assert await sandbox_payments(sandbox, bill_id) == 1
    finally:
        await sandbox.stop()
    assert configured.recorder.hits == []
    assert not any(path.exists() for path in configured.real_files)


def test_a_taken_port_is_named_with_the_command_that_uses_another(
    capsys: pytest.CaptureFixture[str], configured: Configured, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setenv("BILLPAY_PORT", str(port))
        code, output = run(capsys, "run", "--playground")
    assert code == 2, output
    assert f"Port {port} on 127.0.0.1 is taken" in output
    assert f"BILLPAY_PORT={port + 100 if port + 100 <= 65535 else port - 1} make run" in output
