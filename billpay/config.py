"""Every setting of the bot, read from the environment and `.env`, with secrets as `SecretStr`.

Call `load_settings()` at start-up: a wrong or missing value stops the bot with one message that
lists each problem and how to fix it, instead of failing later mid-request.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATA_DIR = Path(".billpay")
# The OAuth state's signing secret, at least as long as a SHA-256 key should be.
MIN_STATE_SECRET = 32
# The key the embedded payables sandbox accepts unless BILLPAY_SANDBOX_API_KEY says otherwise.
SANDBOX_API_KEY = "billpay-sandbox"


class ConfigError(Exception):
    """The settings are wrong; the message lists every problem and its fix."""


class Settings(BaseSettings):
    """The bot's knobs. Environment names are given in each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="BILLPAY_",
        env_file=".env",
        env_file_encoding="utf-8",
        # `SLACK_APP_TOKEN=` in .env means unset (its default), not an empty token.
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    # Payables API: the embedded sandbox unless a Codat API key is set.
    codat_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CODAT_API_KEY", "BILLPAY_CODAT_API_KEY"),
        description="CODAT_API_KEY: use Codat's API instead of the embedded sandbox. The API key,"
        " or the portal's ready-made authorization header ('Basic ...'), sent as it is.",
    )
    codat_base_url: str = Field(
        default="https://api.codat.io",
        validation_alias=AliasChoices("CODAT_BASE_URL", "BILLPAY_CODAT_BASE_URL"),
        description="CODAT_BASE_URL: the payables API's address when CODAT_API_KEY is set.",
    )
    payables_timeout_seconds: float = Field(default=30.0, gt=0)
    payables_idempotency_window_minutes: int = Field(
        default=90,
        gt=10,
        description="BILLPAY_PAYABLES_IDEMPOTENCY_WINDOW_MINUTES: how long the payables API "
        "replays an Idempotency-Key's answer (Codat: 90 minutes).",
    )
    payables_background_deadline_seconds: float = Field(
        default=120.0, gt=0, description="How long a background job may wait and retry."
    )
    payables_payment_reserve: int = Field(
        default=200,
        ge=0,
        description="BILLPAY_PAYABLES_PAYMENT_RESERVE: calls of the payables API's daily quota "
        "kept for payments; under it, reads for display and background sync wait for the reset.",
    )
    payables_daily_quota: int | None = Field(
        default=None,
        ge=1,
        description="BILLPAY_PAYABLES_DAILY_QUOTA: the client's daily quota of calls, when the "
        "API does not say it (unset: Codat's 1,000 x (1 + linked companies)).",
    )
    call_count_flush_seconds: float = Field(
        default=30.0,
        gt=0,
        description="BILLPAY_CALL_COUNT_FLUSH_SECONDS: how often the calls counted in memory "
        "are written to the database.",
    )

    # Which payables companies each workspace may link (`billpay.bills.companies`).
    company_grants: dict[str, list[str]] = Field(
        default_factory=dict,
        description='BILLPAY_COMPANY_GRANTS: JSON, Slack team id (or "*": every workspace) to '
        'the ids of payables companies without a `slack_team` tag it may link as well ("*": '
        "every such company). A company tagged with a team is that team's alone. Unset: none "
        "on Codat; on the embedded sandbox, its untagged (demo) companies for every workspace.",
    )
    connect_wait_minutes: float = Field(
        default=60.0,
        gt=0,
        description="BILLPAY_CONNECT_WAIT_MINUTES: how long `/billpay connect` waits for a new "
        "connection to be authorised before it says it gave up.",
    )

    # Webhooks from Codat, at /webhooks/codat.
    codat_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CODAT_WEBHOOK_SECRET", "BILLPAY_CODAT_WEBHOOK_SECRET"),
        description="CODAT_WEBHOOK_SECRET: the signing secret of the webhook endpoint ('whsec_"
        "...', Codat portal > Settings > Webhooks > the endpoint); unset: webhooks are refused.",
    )
    webhook_retention_days: int = Field(
        default=3,
        ge=3,
        le=90,
        description="BILLPAY_WEBHOOK_RETENTION_DAYS: how long webhook message ids are kept to "
        "recognise a repeat (Codat retries for about 28 hours).",
    )

    # The embedded sandbox.
    sandbox_api_key: SecretStr = Field(
        default=SecretStr(SANDBOX_API_KEY),
        description="BILLPAY_SANDBOX_API_KEY: the key the embedded sandbox accepts.",
    )
    sandbox_database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'sandbox.db'}",
        description="BILLPAY_SANDBOX_DATABASE_URL: where the sandbox keeps its records.",
    )
    sandbox_today: date | None = Field(
        default=None, description="BILLPAY_SANDBOX_TODAY: the demo data's 'today' (YYYY-MM-DD)."
    )

    sandbox_rate_limit_requests: int | None = Field(
        default=None, ge=1, description="BILLPAY_SANDBOX_RATE_LIMIT_REQUESTS: 429 past N a second."
    )
    sandbox_error_rate: float = Field(
        default=0.0, ge=0, le=1, description="BILLPAY_SANDBOX_ERROR_RATE: share of 503 answers."
    )
    sandbox_latency_ms: int = Field(
        default=0, ge=0, description="BILLPAY_SANDBOX_LATENCY_MS: added to every request."
    )

    # The playground (`billpay run --playground`): a demo with databases of its own.
    playground_dir: Path = Field(
        default=DEFAULT_DATA_DIR / "playground",
        description="BILLPAY_PLAYGROUND_DIR: the folder of the playground's SQLite files (its "
        "own payables sandbox and bot database, and its channels); never the bot's database.",
    )

    # The bot's own state.
    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'billpay.db'}",
        description="BILLPAY_DATABASE_URL: the bot's own database (PostgreSQL for replicas).",
    )

    # Slack.
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "BILLPAY_SLACK_BOT_TOKEN"),
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "BILLPAY_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "BILLPAY_SLACK_APP_TOKEN"),
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "BILLPAY_SLACK_API_URL"),
    )
    # Many workspaces: the app is installed through OAuth (`/slack/install`), each workspace's
    # bot token kept in the bot's database; SLACK_BOT_TOKEN is then not used.
    slack_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_ID", "BILLPAY_SLACK_CLIENT_ID"),
        description="SLACK_CLIENT_ID: the app's Client ID (Basic Information > App Credentials);"
        " with SLACK_CLIENT_SECRET and SLACK_STATE_SECRET, workspaces install the app through "
        "/slack/install.",
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "BILLPAY_SLACK_CLIENT_SECRET"),
        description="SLACK_CLIENT_SECRET: the app's Client Secret (Basic Information > App "
        "Credentials).",
    )
    slack_state_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_STATE_SECRET", "BILLPAY_SLACK_STATE_SECRET"),
        description="SLACK_STATE_SECRET: a random string of at least 32 characters of your own "
        "that signs the OAuth flow's state (`openssl rand -hex 32`).",
    )
    slack_redirect_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_REDIRECT_URI", "BILLPAY_SLACK_REDIRECT_URI"),
        description="SLACK_REDIRECT_URI: https://<your host>/slack/oauth_redirect, as listed "
        "under the app's OAuth & Permissions > Redirect URLs (needed when it lists several).",
    )

    # Who may change the bot's settings besides the workspace's admins and owners.
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="BILLPAY_ADMINS: Slack user ids who may change the bot's settings (policy,"
        " admins) besides the workspace's admins and owners, comma-separated.",
    )
    # The approvals policy a channel starts with when it is linked; saved with the link, so a
    # later change here applies to channels linked after it.
    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="BILLPAY_APPROVERS: Slack user ids who may approve or reject, comma-separated;"
        " empty means anyone in the channel.",
    )
    payers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="BILLPAY_PAYERS: Slack user ids who may pay, comma-separated; empty means"
        " anyone in the channel.",
    )
    dual_approval_threshold: Decimal | None = Field(
        default=None,
        ge=0,
        description="BILLPAY_DUAL_APPROVAL_THRESHOLD: above this amount, in the company's base"
        " currency, two different approvers are needed; unset means one approval.",
    )
    approver_may_pay: bool = Field(
        default=False,
        description="BILLPAY_APPROVER_MAY_PAY: whether the person who approved a bill may pay it.",
    )
    default_locale: str = Field(
        default="en_GB",
        description="BILLPAY_DEFAULT_LOCALE: money and dates format when a user's is unknown.",
    )

    # The bot acting on its own.
    default_time_zone: str = Field(
        default="Europe/London",
        description="BILLPAY_DEFAULT_TIME_ZONE: a channel's time zone until its digest sets one.",
    )
    scheduled_payment_time: time = Field(
        default=time(8, 0),
        description="BILLPAY_SCHEDULED_PAYMENT_TIME: local time scheduled payments go out.",
    )
    payment_hold_seconds: int = Field(
        default=10,
        ge=0,
        le=300,
        description="BILLPAY_PAYMENT_HOLD_SECONDS: how long a payment can be undone before it "
        "is sent (0: sent at once).",
    )
    duplicate_look_back_days: int = Field(
        default=90,
        ge=1,
        le=3660,
        description="BILLPAY_DUPLICATE_LOOK_BACK_DAYS: a bill like one paid this many days ago "
        "or less is flagged as a possible duplicate.",
    )
    reminder_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description="BILLPAY_REMINDER_HOURS: remind approvers of a bill waiting this long, again "
        "every as many hours, on weekdays (0: no reminders).",
    )
    auto_approve_below: Decimal | None = Field(
        default=None,
        gt=0,
        description="BILLPAY_AUTO_APPROVE_BELOW: approve bills under this amount in the base "
        "currency after BILLPAY_AUTO_APPROVE_AFTER_HOURS (unset: never).",
    )
    auto_approve_after_hours: int = Field(default=48, ge=1, le=720)
    scheduler_tick_seconds: float = Field(
        default=30.0,
        gt=0,
        description="BILLPAY_SCHEDULER_TICK_SECONDS: how often due payments are looked for.",
    )
    digest_tick_seconds: float = Field(
        default=60.0,
        gt=0,
        description="BILLPAY_DIGEST_TICK_SECONDS: how often due digests (and digests a dead "
        "replica left) are looked for.",
    )
    reminder_tick_seconds: float = Field(
        default=300.0,
        gt=0,
        description="BILLPAY_REMINDER_TICK_SECONDS: how often due reminders, escalations and "
        "approvals by policy (and those a dead replica left) are looked for.",
    )
    payables_slot_lease_seconds: float = Field(
        default=90.0,
        gt=0,
        description="BILLPAY_PAYABLES_SLOT_LEASE_SECONDS: how long a replica that died holding "
        "one of a company's places for a payables request (10 in flight per company across "
        "replicas) keeps it; longer than BILLPAY_PAYABLES_TIMEOUT_SECONDS.",
    )
    claim_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="BILLPAY_CLAIM_LEASE_SECONDS: how long a replica holds work it claimed (a "
        "digest, a reminder) before another may take it over; longer than one piece of work "
        "takes and than the clock skew between replicas.",
    )

    # The mirror of each linked company's payables data (`billpay.mirror`).
    mirror_sync_seconds: float = Field(
        default=900.0,
        gt=0,
        description="BILLPAY_MIRROR_SYNC_SECONDS: how often each linked company's changed bills "
        "and suppliers are read into the mirror (webhooks ask sooner).",
    )
    mirror_overlap_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="BILLPAY_MIRROR_OVERLAP_SECONDS: how far before the latest change seen an "
        "incremental read starts again: platforms lag, so a change can show with an earlier "
        "last-modified time.",
    )
    mirror_full_sync_hours: float = Field(
        default=168.0,
        gt=0,
        description="BILLPAY_MIRROR_FULL_SYNC_HOURS: how often every outstanding bill of a "
        "company is read again, to catch a change older than the overlap or a bill deleted in "
        "the platform: a slice a day for a company of many bills (`billpay.mirror.slices`), "
        "whole at once for one of few.",
    )
    mirror_stale_seconds: float = Field(
        default=300.0,
        gt=0,
        description="BILLPAY_MIRROR_STALE_SECONDS: from how old a mirror's figures cards say "
        "when they were read.",
    )
    mirror_options_seconds: float = Field(
        default=600.0,
        ge=0,
        description="BILLPAY_MIRROR_OPTIONS_SECONDS: how long mirrored mapping options (the "
        "accounts of the payment and new-bill forms) are used before they are read again.",
    )

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("codat_base_url", "slack_api_url", "slack_redirect_uri")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with https:// (or http:// for local testing)")
        return value

    @field_validator("database_url", "sandbox_database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("a bot token starts with 'xoxb-' (OAuth & Permissions page)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError(
                "an app-level token starts with 'xapp-' (Basic Information > App-Level Tokens, "
                "scope connections:write)"
            )
        return value

    @field_validator("slack_state_secret")
    @classmethod
    def _state_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_STATE_SECRET:
            raise ValueError(
                f"use at least {MIN_STATE_SECRET} random characters (openssl rand -hex 32)"
            )
        return value

    @model_validator(mode="after")
    def _one_slack_mode(self) -> Settings:
        """OAuth (many workspaces) needs its three settings together, and is not mixed with
        one workspace's bot token: a half-set configuration says what is missing."""
        oauth = {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_STATE_SECRET": self.slack_state_secret,
        }
        given = [name for name, value in oauth.items() if value is not None]
        if given and len(given) < len(oauth):
            missing = [name for name in oauth if name not in given]
            raise ValueError(
                f"installing through OAuth (many workspaces) needs {', '.join(oauth)}; "
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not. "
                "For one workspace, unset them and set SLACK_BOT_TOKEN instead"
            )
        if given and self.slack_bot_token is not None:
            raise ValueError(
                "SLACK_BOT_TOKEN is for one workspace, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "for many (each workspace's token then comes from its installation): set one "
                "or the other"
            )
        return self

    @field_validator("codat_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError(
                "a webhook signing secret starts with 'whsec_' (Codat portal > Settings > "
                "Webhooks > your endpoint > signing secret)"
            )
        return value

    @field_validator("approvers", "payers", "admins", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s,]+", value) if part]
        if isinstance(value, list):
            for user_id in value:
                if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
                    raise ValueError(
                        f"'{user_id}' is not a Slack user id (like U024BE7LH: open the person's"
                        " profile, ⋮ > Copy member ID)"
                    )
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        """Babel's spelling (`fr_FR`) of a locale, given either way (Slack writes `fr-FR`)."""
        candidate = value.strip().replace("-", "_")
        try:
            Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            raise ValueError(
                f"'{value}' is not a locale (like en_GB, or fr-FR as Slack writes it)"
            ) from None
        return candidate

    @field_validator("default_time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone (like Europe/London)") from None
        return value

    @field_validator("dual_approval_threshold", "auto_approve_below", mode="before")
    @classmethod
    def _no_float_threshold(cls, value: object) -> object:
        return str(value) if isinstance(value, float) else value

    @property
    def oauth(self) -> bool:
        """Many workspaces, each installing the app through OAuth."""
        return self.slack_client_id is not None

    @property
    def serves_slack(self) -> bool:
        """Whether Slack is configured at all (one workspace's token, or OAuth)."""
        return self.slack_bot_token is not None or self.oauth

    @property
    def uses_sandbox(self) -> bool:
        return self.codat_api_key is None

    def grants_for(self, team_id: str) -> frozenset[str]:
        """The untagged companies `team_id` may link besides its own ("*": all of them)."""
        grants = self.company_grants or ({"*": ["*"]} if self.uses_sandbox else {})
        return frozenset(grants.get(team_id, [])) | frozenset(grants.get("*", []))

    @property
    def payables_api_key(self) -> SecretStr:
        return self.codat_api_key or self.sandbox_api_key


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL (`postgresql://` → asyncpg, `sqlite://`
    → aiosqlite), so people can paste the URL their provider gives them. A URL it cannot use is
    refused, quoted as typed (its password hidden)."""
    problem = (
        f"'{_hide_password(url)}' is not a database URL billpay can use; write "
        "postgresql://user:password@host:5432/name or sqlite:///path/to/file.db"
    )
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            url = driver + url[len(plain) :]
            break
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError(problem)
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(problem) from None
    return url


def _hide_password(url: str) -> str:
    """The URL as typed, but for the password between `user:` and `@`."""
    return re.sub(r"^([^:/]+://[^:/@]*:)[^@/]*@", r"\1***@", url)


_ENV_NAMES = {
    "codat_api_key": "CODAT_API_KEY",
    "codat_base_url": "CODAT_BASE_URL",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "codat_webhook_secret": "CODAT_WEBHOOK_SECRET",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
    "slack_state_secret": "SLACK_STATE_SECRET",
    "slack_redirect_uri": "SLACK_REDIRECT_URI",
}


def env_name(field: str) -> str:
    """The environment variable that sets `field` (validation errors may name either)."""
    key = field.lower().removeprefix("billpay_")
    return _ENV_NAMES.get(key, f"BILLPAY_{key.upper()}")


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or raise `ConfigError` naming each bad variable and its fix."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["The bot's configuration has problems:"]
        for err in exc.errors(include_url=False):
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                lines.append(f"  - {env_name(str(err['loc'][0]))}: {message}")
            else:  # a rule across settings names them itself
                lines.append(f"  - {message}")
        lines.append("Set these in the environment or in a .env file (see README.md).")
        raise ConfigError("\n".join(lines)) from None
