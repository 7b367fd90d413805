"""The `billpay` command: run the bot, serve the payables sandbox, check the payables backend,
and the commands around them (preview, audit export, digest dry run, status, db upgrade)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.markup import escape

from billpay.core.clock import utcnow
from billpay.runtime import collector
from billpay.runtime.surfaces import SURFACES

if TYPE_CHECKING:
    from rich.table import Table

    from billpay.bills.audit import AuditRow
    from billpay.config import Settings
    from billpay.payables.backend import PayablesBackend
    from billpay.payables.models import Company
    from billpay.runtime.embedded import Listening
    from billpay.services import Services

# Each command imports what it uses when it runs: `billpay run` never loads the embedded
# sandbox, the playground, Alembic or the preview's builders unless it uses them, and a start
# pays for the bot's own modules only (`tests/runtime/test_cli_imports.py`). The settings
# (pydantic) and the database's helpers (SQLAlchemy) are imported in `main` too, once the
# garbage collector is held for the start (`collector.py`).
console = Console(stderr=True, soft_wrap=True)
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


def main(argv: Sequence[str] | None = None) -> int:
    with collector.while_starting():
        from billpay.config import ConfigError

        parser = _parser()
        args = parser.parse_args(argv)
        if not hasattr(args, "handler"):
            parser.print_help()
            return 2
        try:
            return int(args.handler(args) or 0)
        except ConfigError as exc:
            console.print(f"[red]{exc}[/red]", highlight=False)
            return 2
        except KeyboardInterrupt:
            return 130


def _parser() -> argparse.ArgumentParser:
    from billpay.config import SANDBOX_API_KEY

    parser = argparse.ArgumentParser(
        prog="billpay", description="Bill pay for Slack: approve and pay supplier bills in Slack."
    )
    commands = parser.add_subparsers(title="commands")

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

    check = commands.add_parser("check", help="check the payables backend and show what is due")
    check.set_defaults(handler=_check)

    sandbox = commands.add_parser("sandbox", help="serve the payables sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8900)
    sandbox.add_argument(
        "--api-key",
        default=None,
        help=f"the API key it accepts (default: BILLPAY_SANDBOX_API_KEY or '{SANDBOX_API_KEY}')",
    )
    sandbox.add_argument(
        "--database-url",
        default=None,
        help="where it keeps its records (default: BILLPAY_SANDBOX_DATABASE_URL)",
    )
    sandbox.add_argument("--reset", action="store_true", help="drop all data and re-seed")
    sandbox.add_argument("--today", type=_iso_date, help="the demo data's today (YYYY-MM-DD)")
    sandbox.add_argument("--page-size", type=int, default=100, help="records per page")
    sandbox.add_argument("--rate-limit", type=int, help="answer 429 past N requests per window")
    sandbox.add_argument("--rate-window", type=float, default=1.0, help="window in seconds")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of 503s (0 to 1)")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    strictness = sandbox.add_mutually_exclusive_group()
    strictness.add_argument(
        "--strict",
        dest="lenient",
        action="store_false",
        default=False,
        help="list bills and list suppliers take only the spec's query fields (the default)",
    )
    strictness.add_argument(
        "--lenient",
        action="store_true",
        help="any field in queries, for experiments with the query language",
    )
    sandbox.add_argument(
        "--paging", choices=["offset", "keyset"], default="offset", help="continuation tokens"
    )
    sandbox.add_argument("--public-url", help="the base of linkUrl, if not the address served")
    sandbox.add_argument(
        "--webhook-url",
        help="send Codat's webhooks there, e.g. http://127.0.0.1:3000/webhooks/codat",
    )
    sandbox.add_argument(
        "--webhook-secret",
        help="the whsec_ secret that signs them (default: CODAT_WEBHOOK_SECRET)",
    )
    sandbox.add_argument(
        "--daily-quota",
        type=_limit,
        default=1000,
        help="calls a day per active company, plus one company's worth, as Codat ("
        "1000 x (1 + companies)); 'off' for none",
    )
    sandbox.add_argument(
        "--concurrent-per-company",
        type=_limit,
        default=10,
        help="requests in progress at once per company, as Codat (10); 'off' for none",
    )
    sandbox.set_defaults(handler=_sandbox)

    preview = commands.add_parser(
        "preview", help="print the Block Kit JSON of each Slack surface, from the payables data"
    )
    preview.add_argument(
        "surfaces",
        nargs="*",
        metavar="SURFACE",
        help=f"one or more of: {', '.join(SURFACES)} (default: all)",
    )
    preview.add_argument(
        "--locale", default=None, help="e.g. fr_FR or fr-FR (default: BILLPAY_DEFAULT_LOCALE)"
    )
    preview.set_defaults(handler=_preview)

    audit = commands.add_parser("audit", help="the audit trail of every action")
    audit_commands = audit.add_subparsers(title="audit commands")
    export = audit_commands.add_parser("export", help="write the audit trail as CSV")
    export.add_argument(
        "--csv", required=True, metavar="FILE", help="where to write it (- for stdout)"
    )
    export.add_argument(
        "--since",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="only events from this date (YYYY-MM-DD)",
    )
    export.set_defaults(handler=_audit_export)

    digest = commands.add_parser(
        "digest", help="show the daily digest each linked channel would get (--dry-run)"
    )
    digest.add_argument(
        "--dry-run", action="store_true", help="compute and print the digests; post nothing"
    )
    digest.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="C",
        help="only this channel id (repeat for several; default: every linked channel)",
    )
    digest.add_argument(
        "--now",
        nargs="?",
        const="now",
        default=None,
        metavar="WHEN",
        help="as of now, or of WHEN (ISO date-time), instead of each channel's next digest",
    )
    digest.add_argument(
        "--live",
        action="store_true",
        help="read the bills live from the payables API instead of the mirror (costs calls)",
    )
    digest.set_defaults(handler=_digest)

    status = commands.add_parser(
        "status",
        help="what the bot left undone: claims past their lease, payments with no answer "
        "(exit status 1 when there are any)",
    )
    status.set_defaults(handler=_status)

    db = commands.add_parser("db", help="the bot's database")
    db_commands = db.add_subparsers(title="db commands")
    db_upgrade = db_commands.add_parser("upgrade", help="create or migrate the bot's tables")
    db_upgrade.set_defaults(handler=_db_upgrade)
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date: write it as YYYY-MM-DD (e.g. 2026-11-21)"
        ) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port: give a number from 1 to 65535")
    return port


def _configure_logging(settings: Settings) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=settings.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    # httpx logs every request at INFO; the client logs what matters (retries, failures).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _BoltTokenFromEnvironment) for f in bolt.filters):
        bolt.addFilter(_BoltTokenFromEnvironment())


class _BoltTokenFromEnvironment(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." warning.

    The app is built with the bot's own Web API client, which carries SLACK_BOT_TOKEN; Bolt also
    reads SLACK_BOT_TOKEN from the environment by itself (an empty `token` falls back to it) and
    then warns that it is unused: the same token, so a false alarm at every start.

    Bolt's log messages are not part of its API, so the words are written here; if Bolt rewords
    them, the warning merely shows again, and the start-up test that expects no warning fails."""

    BOLT_WORDS = "As you gave `client` as well, `token` will be unused."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.BOLT_WORDS


def _run(args: argparse.Namespace) -> int:
    from billpay.config import load_settings

    settings = load_settings()
    serving = {"host": args.host, "port": args.port}
    settings = settings.model_copy(update={k: v for k, v in serving.items() if v is not None})
    _configure_logging(settings)
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
        return _database_trouble(settings, exc.__cause__ or exc)


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
    status = asyncio.run(_report_backend(bot_settings, console, bills=False))
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
            return _database_trouble(bot_settings, exc.__cause__ or exc)
        fix = f"Check that the playground's folder ({settings.playground_dir}) can be written, or "
        fix += "set BILLPAY_PLAYGROUND_DIR to one that can."
        return _database_trouble(bot_settings, exc.__cause__ or exc, fix)


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
        status = await _report_backend(settings, console, bills=False, backend=backend)
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


def _preview(args: argparse.Namespace) -> int:
    from babel import Locale, UnknownLocaleError

    from billpay.config import load_settings

    settings = load_settings()
    _configure_logging(settings)
    locale = (args.locale or settings.default_locale).replace("-", "_")  # Slack writes fr-FR
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        console.print(f"[red]'{locale}' is not a locale; use e.g. en_GB, en_US or fr_FR.[/red]")
        return 2
    unknown = [name for name in args.surfaces if name not in SURFACES]
    if unknown:
        console.print(
            f"[red]No surface called {', '.join(unknown)}; choose from {', '.join(SURFACES)}.[/red]"
        )
        return 2
    return asyncio.run(_print_previews(settings, args.surfaces or list(SURFACES), locale))


async def _print_previews(settings: Settings, names: list[str], locale: str) -> int:
    from billpay.payables.errors import PayablesError
    from billpay.runtime.preview import NothingToPreview, builder_link, preview_surfaces
    from billpay.runtime.startup import open_backend

    backend = await open_backend(settings)
    try:
        today = _today(settings, backend)
        surfaces = await preview_surfaces(backend.client, settings, today, locale)
    except PayablesError as exc:
        console.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
        return 1
    except NothingToPreview as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    finally:
        await backend.aclose()
    out = Console(soft_wrap=True)
    for name in names:
        payload = surfaces[name]
        console.print(f"[bold]{name}[/bold]: open in Block Kit Builder: {builder_link(payload)}")
        out.print_json(json.dumps(payload, ensure_ascii=False))
    return 0


def _today(
    settings: Settings, backend: PayablesBackend, clock: Callable[[], datetime] = utcnow
) -> date:
    """The embedded sandbox's configured today (its demo data is dated from it), else the local
    date now."""
    if backend.embedded and settings.sandbox_today is not None:
        return settings.sandbox_today
    return clock().astimezone().date()


def _audit_export(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.bills.audit import write_csv
    from billpay.config import load_settings

    settings = load_settings()
    try:
        events = asyncio.run(_read_audit(settings, args.since))
    except (OSError, DBAPIError) as exc:
        return _database_trouble(settings, exc)
    if args.csv == "-":
        count = write_csv(events, sys.stdout)
    else:
        try:
            with open(args.csv, "w", newline="", encoding="utf-8") as out:
                count = write_csv(events, out)
        except OSError as exc:
            console.print(
                f"[red]Cannot write {escape(args.csv)}: {exc.strerror}. Choose another path.[/red]",
                highlight=False,
            )
            return 1
    where = "standard output" if args.csv == "-" else args.csv
    console.print(
        f"Wrote {count} audit event{'s' if count != 1 else ''} to {escape(where)}",
        highlight=False,
    )
    return 0


async def _read_audit(settings: Settings, since: date | None) -> list[AuditRow]:
    from billpay.bills.audit import audit_events
    from billpay.store.db import Database
    from billpay.store.revision import migrate_if_behind

    await migrate_if_behind(settings.database_url)
    db = Database(settings.database_url)
    try:
        return await audit_events(db, datetime.combine(since, time(), UTC) if since else None)
    finally:
        await db.dispose()


def _database_trouble(
    settings: Settings,
    exc: BaseException,
    fix: str = "Check BILLPAY_DATABASE_URL, and that the database server is running and reachable.",
) -> int:
    from sqlalchemy.engine import make_url

    where = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(
        f"[red]Cannot use the bot's database at {where}: {exc.__class__.__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}.[/red]\n{escape(fix)}"
    )
    return 1


def _db_upgrade(_args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.store.migrate import head_revision, upgrade

    settings = load_settings()
    try:
        upgrade(settings.database_url)
    except (OSError, DBAPIError) as exc:
        return _database_trouble(settings, exc)
    console.print(f"The bot's database is at revision {head_revision()}.")
    return 0


def _status(_args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.runtime.status import report

    settings = load_settings()
    try:
        return asyncio.run(report(settings, Console()))
    except (OSError, DBAPIError) as exc:
        return _database_trouble(settings, exc)


def _digest(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from billpay.config import load_settings
    from billpay.runtime.digest_dry_run import DIGEST_POSTING, parse_when, print_digests

    if not args.dry_run:
        console.print(DIGEST_POSTING, highlight=False)
        return 2
    try:
        when = parse_when(args.now)
    except ValueError as exc:
        console.print(f"[red]--now: {exc}[/red]", highlight=False)
        return 2
    settings = load_settings()
    _configure_logging(settings)
    try:
        return asyncio.run(print_digests(settings, args.channel, when, live=args.live))
    except (OSError, DBAPIError) as exc:
        return _database_trouble(settings, exc)


def _check(_args: argparse.Namespace) -> int:
    from billpay.config import load_settings

    settings = load_settings()
    _configure_logging(settings)
    return asyncio.run(_report_backend(settings, Console()))


async def _report_backend(
    settings: Settings, out: Console, *, bills: bool = True, backend: PayablesBackend | None = None
) -> int:
    """Prove the payables backend answers: list companies and, with `bills` (`billpay check`),
    summarise what is outstanding, printed on `out`; problems go to standard error. Starting
    the bot lists the companies only: reading every bill of every company would cost minutes
    and much of the day's payables quota before the bot answers (the mirror reads them).
    A `backend` given is the caller's to close."""
    from billpay.payables.errors import PayablesError
    from billpay.runtime.startup import open_backend

    own = backend is None
    if backend is None:
        backend = await open_backend(settings)
    today = _today(settings, backend)
    try:
        out.print(f"Payables backend: [bold]{backend.description}[/bold]")
        companies = await backend.client.list_companies(page_size=20)
        rows = await _company_rows(backend, companies.results, today, bills=bills)
        out.print(_companies_table(companies.total_results, rows, bills=bills))
        return 0
    except PayablesError as exc:
        console.print(f"[red]The payables API is not answering as expected: {exc}[/red]")
        if exc.status_code == 401:
            console.print("Check CODAT_API_KEY (or BILLPAY_SANDBOX_API_KEY for the sandbox).")
        return 1
    finally:
        if own:
            await backend.aclose()


async def _company_rows(
    backend: PayablesBackend, companies: Sequence[Company], today: date, *, bills: bool = True
) -> list[tuple[str, ...]]:
    """Company, platform, outstanding, overdue, amounts due: one row per accounting connection."""
    from billpay.bills.companies import accounting
    from billpay.bills.listing import summarise
    from billpay.core.money import format_money

    rows: list[tuple[str, ...]] = []
    for company in companies:
        # Only accounting connections hold bills (a bank feed has none to show).
        for connection in accounting(company.data_connections):
            platform = connection.platform_name or ""
            if connection.status != "Linked":
                rows.append((company.name, f"{platform} (not linked)", "", "", ""))
                continue
            if not bills:
                rows.append((company.name, platform, "", "", ""))
                continue
            listed = [bill async for bill in backend.client.iter_bills(company.id, connection.id)]
            summary = summarise(listed, today)
            rows.append(
                (
                    company.name,
                    platform,
                    str(summary.count),
                    str(summary.overdue),
                    "\n".join(format_money(v, k) for k, v in summary.totals.items()),
                )
            )
    return rows


def _companies_table(total: int, rows: list[tuple[str, ...]], *, bills: bool = True) -> Table:
    """Within 80 columns: short headers, the amounts never cut, long names wrapped, not cut."""
    from rich.table import Table

    table = Table(title=f"Companies ({total})")
    table.add_column("Company", overflow="fold")
    table.add_column("Platform", overflow="fold")
    if bills:
        table.add_column("Bills", justify="right", no_wrap=True)
        table.add_column("Overdue", justify="right", no_wrap=True)
        table.add_column("Amount due", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(row if bills else row[:2]))
    return table


def _limit(text: str) -> int | None:
    """A positive whole number, or "off"."""
    if text.strip().lower() == "off":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("a whole number of 1 or more, or 'off'")
    return value


def _sandbox(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from billpay.config import load_settings
    from billpay.runtime.embedded import sandbox_app

    settings = load_settings()
    try:
        app = sandbox_app(
            settings,
            api_key=args.api_key or settings.sandbox_api_key.get_secret_value(),
            database_url=args.database_url,
            reset=args.reset,
            today=args.today,
            page_size=args.page_size,
            strict=not args.lenient,
            paging=args.paging,
            public_url=args.public_url,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            error_rate=args.error_rate,
            latency_ms=args.latency_ms,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret
            or (
                settings.codat_webhook_secret.get_secret_value()
                if args.webhook_url and settings.codat_webhook_secret
                else None
            ),
            daily_quota=args.daily_quota,
            concurrent_per_company=args.concurrent_per_company,
        )
    except (ValidationError, ValueError) as exc:
        console.print(f"[red]billpay sandbox: {_options_problem(exc)}[/red]", highlight=False)
        return 2
    console.print(
        f"Payables sandbox on http://{args.host}:{args.port} "
        f"(Basic auth with the API key {'you gave' if args.api_key else 'from the settings'})"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


_OPTIONS = {
    "page_size": "--page-size",
    "rate_limit_requests": "--rate-limit",
    "rate_limit_window_seconds": "--rate-window",
    "error_rate": "--error-rate",
    "latency_ms": "--latency-ms",
    "api_key": "--api-key",
}


def _options_problem(exc: Exception) -> str:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return f"--database-url: {exc}"
    problems = []
    for err in exc.errors(include_url=False):
        option = _OPTIONS.get(str(err["loc"][-1]), str(err["loc"][-1]))
        problems.append(f"{option}: {err['msg']}")
    return "; ".join(problems)


if __name__ == "__main__":
    sys.exit(main())
