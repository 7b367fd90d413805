"""Settings: offline defaults, secrets kept secret, one clear message for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, Settings, async_database_url, load_settings

SLACK_AND_CODAT = (
    "CODAT_API_KEY",
    "CODAT_BASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
)


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
    assert "BILLPAY_DATABASE_URL: 'mysql://' is not supported" in message
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
