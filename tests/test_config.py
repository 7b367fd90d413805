"""Settings: offline defaults, secrets kept secret, one clear message for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from billpay.config import ConfigError, Settings, async_database_url, load_settings

SLACK_AND_CODAT = (
    "CODAT_API_KEY",
    "CODAT_BASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_STATE_SECRET",
    "SLACK_REDIRECT_URI",
)
STATE_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SLACK_AND_CODAT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_the_embedded_sandbox() -> None:
    settings = load_settings()
    assert settings.uses_sandbox
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.payables_api_key.get_secret_value() == "billpay-sandbox"


def test_a_codat_key_switches_to_codat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODAT_API_KEY", "live-key-123")
    monkeypatch.setenv("CODAT_BASE_URL", "https://api.codat.io")
    settings = load_settings()
    assert not settings.uses_sandbox
    assert settings.payables_api_key.get_secret_value() == "live-key-123"
    assert "live-key-123" not in repr(settings)
    assert "live-key-123" not in str(settings.model_dump())


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nBILLPAY_DATABASE_URL=postgresql://u@db/billpay\n"
    )
    settings = load_settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert settings.database_url == "postgresql+asyncpg://u@db/billpay"


def test_every_problem_is_listed_with_its_variable_and_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "not-an-app-token")
    monkeypatch.setenv("CODAT_BASE_URL", "api.codat.io")
    monkeypatch.setenv("BILLPAY_DATABASE_URL", "mysql://root@localhost/billpay")
    monkeypatch.setenv("BILLPAY_PORT", "99999")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "SLACK_BOT_TOKEN: a bot token starts with 'xoxb-'" in message
    assert "SLACK_APP_TOKEN: an app-level token starts with 'xapp-'" in message
    assert "CODAT_BASE_URL: 'api.codat.io' must start with https://" in message
    assert "BILLPAY_DATABASE_URL: 'mysql://root@localhost/billpay' is not a database URL" in message
    assert "BILLPAY_PORT:" in message
    assert "xoxp-user-token" not in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


def test_the_default_locale_is_checked_at_start_up_and_taken_as_slack_writes_it() -> None:
    assert Settings(_env_file=None, default_locale="fr-FR").default_locale == "fr_FR"
    with pytest.raises(ValidationError, match="'zz' is not a locale"):
        Settings(_env_file=None, default_locale="zz")


def test_an_empty_value_in_dotenv_means_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "BILLPAY_DUAL_APPROVAL_THRESHOLD=\n"
        "BILLPAY_AUTO_APPROVE_BELOW=\n"
        "BILLPAY_SANDBOX_TODAY=\n"
        "BILLPAY_SANDBOX_RATE_LIMIT_REQUESTS=\n"
        "SLACK_APP_TOKEN=\n"
        "SLACK_BOT_TOKEN=\n"
        "CODAT_API_KEY=\n"
        "BILLPAY_PORT=\n"
        "BILLPAY_DATABASE_URL=\n"
        "BILLPAY_APPROVERS=\n"
        "BILLPAY_LOG_LEVEL=\n"
    )
    settings = load_settings()
    assert settings.dual_approval_threshold is None
    assert settings.auto_approve_below is None
    assert settings.sandbox_today is None
    assert settings.sandbox_rate_limit_requests is None
    assert settings.slack_app_token is None
    assert settings.slack_bot_token is None
    assert settings.uses_sandbox  # an empty Codat key is no key
    # Settings with a default keep it.
    assert settings.port == 3000
    assert settings.database_url == "sqlite+aiosqlite:///.billpay/billpay.db"
    assert settings.approvers == []
    assert settings.log_level == "INFO"


def test_an_empty_environment_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLPAY_DUAL_APPROVAL_THRESHOLD", "")
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    settings = load_settings()
    assert settings.dual_approval_threshold is None
    assert settings.slack_app_token is None


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/billpay",
        "billpay.db",
        "postgresql+psycopg://u@db/billpay",
        "postgresql://u@db:port/billpay",
    ],
)
def test_a_bad_database_url_is_quoted_as_typed(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BILLPAY_DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"BILLPAY_DATABASE_URL: '{url}' is not" in message
    assert "postgresql://" in message and "sqlite:///" in message  # what to write instead


def test_a_bad_database_url_hides_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLPAY_DATABASE_URL", "mysql://root:hunter2@localhost/billpay")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "'mysql://root:***@localhost/billpay' is not" in message
    assert "hunter2" not in message


def test_oauth_is_on_with_its_three_settings_and_keeps_its_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not load_settings().oauth  # one workspace's token is the default
    monkeypatch.setenv("SLACK_CLIENT_ID", "1765.1987")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("SLACK_STATE_SECRET", STATE_SECRET)
    settings = load_settings()
    assert settings.oauth and settings.serves_slack
    assert "client-secret-value" not in repr(settings)
    assert STATE_SECRET not in str(settings.model_dump())


def test_a_half_set_oauth_configuration_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1765.1987")
    monkeypatch.setenv("SLACK_STATE_SECRET", "short")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "SLACK_STATE_SECRET: use at least 32 random characters" in message

    monkeypatch.setenv("SLACK_STATE_SECRET", STATE_SECRET)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SLACK_CLIENT_ID, SLACK_STATE_SECRET are set but SLACK_CLIENT_SECRET is not" in str(
        caught.value
    )

    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-one-workspace")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SLACK_BOT_TOKEN is for one workspace" in str(caught.value)
