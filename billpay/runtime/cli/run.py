"""`billpay run`: check the payables backend, then serve the bot to Slack (Socket Mode or
HTTP) or the local playground, on the embedded sandbox or, when asked loudly, the real
payables API."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
from typing import TYPE_CHECKING, Literal

from rich.markup import escape

from billpay.runtime.cli.check import report_backend
from billpay.runtime.cli.console import configure_logging, console, database_trouble

if TYPE_CHECKING:
    from billpay.config import Settings
    from billpay.payables.backend import PayablesBackend
    from billpay.runtime.cli.arguments import Commands
    from billpay.runtime.embedded import Listening
    from billpay.services import Services


Mode = Literal["socket", "http"]

SLACK_SETUP = """\
billpay connects to Slack with these settings (environment or .env):
  SLACK_BOT_TOKEN       xoxb-...  the app's Bot User OAuth Token (OAuth & Permissions page)
  SLACK_SIGNING_SECRET  ...       Basic Information > App Credentials > Signing Secret
  SLACK_APP_TOKEN       xapp-...  Basic Information > App-Level Tokens, scope connections:write
                                  (Socket Mode; without it billpay serves HTTP on BILLPAY_PORT)
No Slack app yet? Create one from manifest.yml: https://api.slack.com/apps > Create New App >
From an app manifest, paste manifest.yml, install it to your workspace, then copy the tokens.
See "Slack" in README.md."""


PLAYGROUND_READY = "Open {url} to try Bill Pay (no Slack workspace needed). {slack}"
SLACK_INSTEAD = "Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to connect to Slack instead."
SLACK_CONFIGURED = "Without --playground, billpay run connects to Slack with your settings."
PLAYGROUND_DEMO = (
    "The playground is a demo: the embedded payables sandbox and a bot database of its own "
    "(in {folder}); no real money can move."
)
PLAYGROUND_UNUSED = "Set but not used by the playground: {names}."
PLAYGROUND_LOOPBACK_ONLY = (
    "The playground listens on 127.0.0.1 only, not {host} ({source}): whoever reaches its page "
    "acts as its people. Unset BILLPAY_HOST or give --host 127.0.0.1. To use it from another "
    "machine, forward the port over SSH (ssh -L {port}:127.0.0.1:{port} this-machine) and open "
    "the address it prints, token included."
)
REAL_PAYABLES_FLAG = "--playground-with-real-payables"
REAL_PAYABLES_NEEDS = (
    REAL_PAYABLES_FLAG + " needs {name}: {why} Set it, or use --playground for the demo on the "
    "embedded payables sandbox."
)
REAL_PAYABLES_RISK = (
    "REAL MONEY: the playground's page drives the bot on {backend}, with the bot's database at "
    "{database}. Approve and Pay on the page record real payments in the accounting platform. "
    "Ana, Sam and Léa on the page may approve and pay, and whoever holds the page's address "
    "(its token) acts as them. Stop it with Ctrl-C when you are done."
)
"""What a person sees when asking for the real payables API behind the local page."""


def add_to(commands: Commands) -> None:
    """`billpay run` and its options."""
    run = commands.add_parser("run", help="run the bot (checks the payables backend first)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="serve Slack's HTTP request URLs")
    mode.add_argument(
        "--playground",
        action="store_true",
        help="a local Slack playground in the browser, even with Slack settings (the default "
        "without them): a demo on the embedded payables sandbox and its own database",
    )
    mode.add_argument(
        REAL_PAYABLES_FLAG,
        action="store_true",
        help="the local playground on the configured payables API and bot database: payments "
        "made on the page are real (needs CODAT_API_KEY and SLACK_SIGNING_SECRET)",
    )
    run.add_argument(
        "--host",
        default=None,
        help="the address to serve on (default: BILLPAY_HOST, 127.0.0.1); the playground "
        "serves on loopback only",
    )
    run.add_argument(
        "--port",
        type=_port,
        default=None,
        help="the port to serve on (default: BILLPAY_PORT, 3000)",
    )
    run.set_defaults(handler=_run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port: give a number from 1 to 65535")
    return port


def _run(args: argparse.Namespace) -> int:
    from billpay.config import load_settings

    settings = load_settings()
    serving = {"host": args.host, "port": args.port}
    settings = settings.model_copy(update={k: v for k, v in serving.items() if v is not None})
    configure_logging(settings)
    # With many workspaces (OAuth), their tokens come from their installations.
    token = ("SLACK_CLIENT_ID", settings.slack_client_id) if settings.oauth else None
    missing = [
        name
        for name, value in (
            token or ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
        )
        if value is None
    ]
    real_payables = bool(args.playground_with_real_payables)
    if real_payables or args.playground or (len(missing) == 2 and not (args.socket or args.http)):
        source = "--host" if args.host is not None else "BILLPAY_HOST"
        return _run_playground(settings, host_source=source, real_payables=real_payables)
    if args.socket and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN")
    socket = not args.http and settings.slack_app_token is not None
    try:
        return asyncio.run(_check_then_serve(settings, "socket" if socket else "http", missing))
    except DatabaseUnavailable as exc:
        return database_trouble(settings, exc.__cause__ or exc)


def _run_playground(settings: Settings, *, host_source: str, real_payables: bool) -> int:
    """The playground, once it is sure what it may reach: loopback only; the demo unless asked
    (loudly) for the real payables API, which must be configured with a signing secret."""
    from sqlalchemy.engine import make_url

    if not _loopback(settings.host):
        console.print(
            "[red]"
            + escape(
                PLAYGROUND_LOOPBACK_ONLY.format(
                    host=settings.host, source=host_source, port=settings.port
                )
            )
            + "[/red]",
            highlight=False,
        )
        return 2
    if real_payables:
        for name, value, why in (
            (
                "CODAT_API_KEY",
                settings.codat_api_key,
                "without it there is no real payables API to put behind the page.",
            ),
            (
                "SLACK_SIGNING_SECRET",
                settings.slack_signing_secret,
                "the page signs what a person does with it, and the bot checks each request "
                "against it, as it checks Slack's.",
            ),
        ):
            if value is None:
                console.print(
                    f"[red]{escape(REAL_PAYABLES_NEEDS.format(name=name, why=why))}[/red]",
                    highlight=False,
                )
                return 2
        risk = REAL_PAYABLES_RISK.format(
            backend=f"the payables API at {settings.codat_base_url}",
            database=make_url(settings.database_url).render_as_string(hide_password=True),
        )
        console.print(f"[bold red]{escape(risk)}[/bold red]", highlight=False)
    else:
        try:
            settings.playground_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            console.print(
                f"[red]The playground cannot keep its files in {escape(str(exc.filename))}: "
                f"{escape(exc.strerror or str(exc))}. Set BILLPAY_PLAYGROUND_DIR to a folder it "
                "can write to.[/red]",
                highlight=False,
            )
            return 2
    from billpay.runtime.embedded import playground_settings

    bot_settings = playground_settings(settings, real_payables=real_payables)
    status = asyncio.run(report_backend(bot_settings, console, bills=False))
    if status:
        return status
    if not real_payables:
        console.print(
            PLAYGROUND_DEMO.format(folder=escape(str(settings.playground_dir))), highlight=False
        )
        unused = _unused_by_playground(settings)
        if unused:
            console.print(PLAYGROUND_UNUSED.format(names=", ".join(unused)), highlight=False)
    try:
        return asyncio.run(_serve_playground(settings, real_payables=real_payables))
    except KeyboardInterrupt:  # Ctrl-C before the bot was up: nothing to finish
        return 0
    except DatabaseUnavailable as exc:
        if real_payables:
            return database_trouble(bot_settings, exc.__cause__ or exc)
        fix = f"Check that the playground's folder ({settings.playground_dir}) can be written, or "
        fix += "set BILLPAY_PLAYGROUND_DIR to one that can."
        return database_trouble(bot_settings, exc.__cause__ or exc, fix)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unused_by_playground(settings: Settings) -> list[str]:
    """The settings a person gave that the demo leaves aside (it takes nothing real)."""
    from billpay.config import Settings, env_name

    names = [
        env_name(field)
        for field in (
            "codat_api_key",
            "codat_webhook_secret",
            "slack_bot_token",
            "slack_signing_secret",
            "slack_app_token",
            "slack_client_id",
        )
        if getattr(settings, field) is not None
    ]
    names += [
        env_name(field)
        for field in ("codat_base_url", "database_url", "sandbox_database_url", "slack_api_url")
        if getattr(settings, field) != Settings.model_fields[field].default
    ]
    names += [env_name(field) for field in ("approvers", "payers") if getattr(settings, field)]
    return names


class DatabaseUnavailable(Exception):
    """The bot's database could not be reached or migrated at start-up."""


async def _check_then_serve(settings: Settings, mode: Mode, missing: list[str]) -> int:
    """Prove the payables backend answers, then serve the bot, on one event loop and with one
    payables client (each new client loads the system's certificates)."""
    from billpay.runtime.startup import open_backend

    backend = await open_backend(settings)
    try:
        status = await report_backend(settings, console, bills=False, backend=backend)
        if not status and missing:
            console.print(f"[yellow]Missing: {', '.join(missing)}[/yellow]")
            console.print(SLACK_SETUP, highlight=False)
            status = 2
    except BaseException:
        await backend.aclose()
        raise
    if status:
        await backend.aclose()
        return status
    return await _serve(settings, mode, backend)


async def _open_services(settings: Settings, backend: PayablesBackend | None = None) -> Services:
    """The bot's services on its database, migrated first if it is behind; `backend` when the
    caller opened it already (the services then own it)."""
    from sqlalchemy.exc import DBAPIError

    from billpay.runtime.startup import open_services
    from billpay.store.revision import migrate_if_behind

    try:
        await migrate_if_behind(settings.database_url)
    except (OSError, DBAPIError) as exc:
        if backend is not None:
            await backend.aclose()
        raise DatabaseUnavailable from exc
    return await open_services(settings, backend)


async def _serve(settings: Settings, mode: Mode, backend: PayablesBackend | None = None) -> int:
    from billpay.runtime.host import Host

    services = await _open_services(settings, backend)
    host = Host(
        settings, services, mode=mode, announce=lambda text: console.print(text, highlight=False)
    )
    await host.run()
    return 0


async def _serve_playground(settings: Settings, *, real_payables: bool = False) -> int:
    from billpay.runtime.embedded import PortTaken, with_playground
    from billpay.runtime.host import Host

    async def serve(bot_settings: Settings, listening: Listening) -> None:
        services = await _open_services(bot_settings)
        host = Host(
            bot_settings,
            services,
            mode="playground",
            announce=lambda text: console.print(text, highlight=False),
            on_listening=listening,
        )
        await host.run()

    slack_configured = settings.serves_slack and settings.slack_signing_secret is not None
    slack = SLACK_CONFIGURED if slack_configured else SLACK_INSTEAD

    def ready(page_url: str) -> None:
        console.print(PLAYGROUND_READY.format(url=page_url, slack=slack), highlight=False)

    try:
        await with_playground(settings, serve, ready, real_payables=real_payables)
    except PortTaken as exc:
        console.print(
            f"[red]Port {settings.port} on 127.0.0.1 is taken ({exc}). Use another: "
            f"BILLPAY_PORT={_another_port(settings.port)} make run (or billpay run --port N)."
            "[/red]",
            highlight=False,
        )
        return 2
    return 0


def _another_port(taken: int) -> int:
    """A port to suggest instead of a taken one: 3100 for the default 3000, else the next."""
    return taken + 100 if taken + 100 <= 65535 else taken - 1
