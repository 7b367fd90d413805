"""The embedded defaults, and the product's one door to its stand-ins: the payables sandbox
(served in-process when no Codat key is set, or on a port by `billpay sandbox`) and the local
Slack playground (`billpay run` without Slack settings). Nothing else in `billpay/` imports
`payables_sandbox` or `slack_playground`, so the product never depends on how they work.

The playground is a demo: the bot behind it runs on the embedded sandbox and databases of its
own whatever the environment says (`playground_settings`), so a page on a laptop is never a
door to real money. Only `--playground-with-real-payables` puts the configured payables API
behind it.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from billpay.config import Settings, async_database_url
from billpay.payables.backend import PayablesBackend, background_retry
from billpay.payables.client import PayablesClient
from payables_sandbox.app import Sandbox, SandboxConfig, create_sandbox_app
from payables_sandbox.defaults import DEFAULT_WEBHOOK_SECRET
from payables_sandbox.faults import FaultConfig
from payables_sandbox.seed import DEMO_COMPANY_NAME
from slack_playground.markup import Notice
from slack_playground.page import APPROVERS, PAYERS, Playground, new_credentials

log = logging.getLogger(__name__)

SANDBOX_BASE_URL = "http://payables-sandbox.invalid"
# The playground's channels, kept beside the bot's database across restarts.
CHANNEL_HISTORY = "channels.json"


def new_webhook_secret() -> SecretStr:
    """A signing secret in Svix's form, `whsec_` and 32 random bytes in base64."""
    return SecretStr("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


def webhook_address(base_url: str) -> str:
    """The bot's webhook route from its server's base URL; a server listening on every
    address is reached on loopback."""
    url = httpx.URL(base_url)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(url.host, url.host)  # noqa: S104
    return str(url.copy_with(host=host, path="/webhooks/codat"))


async def sandbox_backend(settings: Settings) -> PayablesBackend:
    """The sandbox started in this process and a client that reaches it without a port. It
    sends Codat's webhooks to the bot's own `/webhooks/codat` once the bot listens
    (`PayablesBackend.listening`), signed with CODAT_WEBHOOK_SECRET or, unset, a secret made
    for this run, which the bot then checks them with (`billpay.runtime.startup`)."""
    secret = settings.codat_webhook_secret or new_webhook_secret()
    sandbox = Sandbox(
        SandboxConfig(
            api_key=settings.sandbox_api_key.get_secret_value(),
            database_url=settings.sandbox_database_url,
            today=settings.sandbox_today,
            webhook_secret=secret.get_secret_value(),
            faults=FaultConfig(
                rate_limit_requests=settings.sandbox_rate_limit_requests,
                error_rate=settings.sandbox_error_rate,
                latency_ms=settings.sandbox_latency_ms,
            ),
        )
    )
    # On a thread and loop of its own, so its work never holds up the bot's acks; its
    # failures arrive as 500 answers, as they would over the network.
    await sandbox.start_on_own_thread()
    client = PayablesClient(
        base_url=SANDBOX_BASE_URL,
        api_key=settings.sandbox_api_key,
        transport=sandbox.transport(),
        retry=background_retry(settings),
        timeout=settings.payables_timeout_seconds,
    )

    def listening(base_url: str) -> None:
        address = webhook_address(base_url)
        sandbox.config = sandbox.config.model_copy(update={"webhook_url": address})
        log.info("the embedded payables sandbox sends its webhooks to %s", address)

    return PayablesBackend(
        client,
        "embedded payables sandbox (in-process)",
        embedded=True,
        stop=sandbox.stop,
        webhook_secret=secret,
        listening=listening,
    )


def sandbox_app(
    settings: Settings,
    *,
    api_key: str,
    database_url: str | None,
    reset: bool,
    today: date | None,
    page_size: int,
    strict: bool,
    paging: Literal["offset", "keyset"],
    public_url: str | None,
    rate_limit: int | None,
    rate_window: float,
    error_rate: float | None,
    latency_ms: int | None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    daily_quota: int | None = SandboxConfig.model_fields["daily_quota"].default,
    concurrent_per_company: int | None = SandboxConfig.model_fields[
        "concurrent_per_company"
    ].default,
) -> Any:
    """The sandbox as an ASGI app to serve on a port (`billpay sandbox`); the options override
    the settings. `webhook_url` (and its `whsec_` secret) makes it send Codat's webhooks there;
    `daily_quota` and `concurrent_per_company` are Codat's limits (None: off). Raises
    `pydantic.ValidationError` (or `ValueError` for the database URL)."""
    config = SandboxConfig(
        api_key=api_key,
        database_url=async_database_url(database_url)
        if database_url
        else settings.sandbox_database_url,
        reset=reset,
        today=today or settings.sandbox_today,
        page_size=page_size,
        strict=strict,
        paging=paging,
        public_url=public_url,
        webhook_url=webhook_url,
        daily_quota=daily_quota,
        concurrent_per_company=concurrent_per_company,
        webhook_secret=webhook_secret or DEFAULT_WEBHOOK_SECRET,
        faults=FaultConfig(
            rate_limit_requests=rate_limit or settings.sandbox_rate_limit_requests,
            rate_limit_window_seconds=rate_window,
            error_rate=error_rate or settings.sandbox_error_rate,
            latency_ms=latency_ms or settings.sandbox_latency_ms,
        ),
    )
    return create_sandbox_app(config)


class PortTaken(Exception):
    """The playground's port is in use."""


Listening = Callable[[str], Awaitable[None]]

DEMO_NOTICE = Notice(
    "A demo on the payables sandbox: its bills, suppliers and payments are made up, and no "
    "real money can move from this page."
)
REAL_PAYABLES_NOTICE = Notice(
    "Real payables: Approve and Pay on this page act on your accounting platform, and "
    "payments made here are real.",
    danger=True,
)


def playground_settings(settings: Settings, *, real_payables: bool = False) -> Settings:
    """The settings of the bot behind the playground. The demo takes nothing real from
    `settings`: the embedded payables sandbox (whatever CODAT_API_KEY and CODAT_BASE_URL say)
    and a bot database of its own, both SQLite files in `settings.playground_dir` (whatever the
    database URLs say). With `real_payables`, the configured payables API and bot database.
    Either way the page's people approve and pay (nobody else can use the page), and
    `with_playground` gives the bot the playground's own Slack credentials."""
    update: dict[str, object] = {"approvers": list(APPROVERS), "payers": list(PAYERS)}
    if not real_payables:
        folder = settings.playground_dir
        update |= {
            "codat_api_key": None,
            "codat_base_url": SANDBOX_BASE_URL,
            "codat_webhook_secret": None,  # the sandbox makes one of its own
            "database_url": f"sqlite+aiosqlite:///{folder / 'billpay.db'}",
            "sandbox_database_url": f"sqlite+aiosqlite:///{folder / 'sandbox.db'}",
        }
    return settings.model_copy(update=update)


async def with_playground(
    settings: Settings,
    serve: Callable[[Settings, Listening], Awaitable[None]],
    ready: Callable[[str], None],
    *,
    real_payables: bool = False,
) -> None:
    """Start the local Slack playground on `settings.port`, then `serve(bot_settings,
    on_listening)` the bot against it: `playground_settings`, the playground's Web API, a
    fresh bot token and signing secret (with `real_payables`, the configured
    SLACK_SIGNING_SECRET, which it requires), and its request URL on loopback, told to the
    playground once the bot listens (then `ready(page_url)`, the address with the page's
    token). Raises `PortTaken`."""
    if settings.log_level == "INFO":
        # A newcomer's first run: the start-up chatter of migrations, the scheduler and the
        # bot's internal HTTP server would bury the one line that matters.
        for name in ("alembic", "apscheduler", "uvicorn", "uvicorn.error"):
            logging.getLogger(name).setLevel(logging.WARNING)
    token, secret = new_credentials()
    if real_payables:
        if settings.slack_signing_secret is None:
            raise ValueError("the playground with real payables needs SLACK_SIGNING_SECRET")
        secret = settings.slack_signing_secret.get_secret_value()
    playground = Playground(
        signing_secret=secret,
        bot_token=token,
        notice=REAL_PAYABLES_NOTICE if real_payables else DEMO_NOTICE,
        history=settings.playground_dir / CHANNEL_HISTORY,
        # On the sandbox the page links its demo company; otherwise it opens the connect form.
        connect_text="connect" if real_payables else f"connect {DEMO_COMPANY_NAME}",
    )
    try:
        await playground.start(settings.port)
    except OSError as exc:
        raise PortTaken(exc.strerror) from exc
    try:
        update: dict[str, object] = {
            "slack_bot_token": SecretStr(token),
            "slack_signing_secret": SecretStr(secret),
            "slack_app_token": None,
            "slack_api_url": playground.api_url,
            # The bot's own request URL: loopback, on a port the system picks.
            "host": "127.0.0.1",
            "port": 0,
        }

        async def listening(base_url: str) -> None:
            playground.request_url = f"{base_url}/slack/events"
            ready(playground.page_url)

        bot = playground_settings(settings, real_payables=real_payables)
        await serve(bot.model_copy(update=update), listening)
    finally:
        await playground.stop()
