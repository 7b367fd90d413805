"""The playground's embedded sandbox sends Codat's webhooks to the bot behind the page, out of
the box: a change made in the payables API outside the bot (here, the connection unlinked)
reaches the channel at once through `/webhooks/codat`, signed with a secret made for the run
that both sides share and no log shows, not an hour later through the scheduled check."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from billpay.config import Settings, load_settings
from billpay.runtime.embedded import Listening, webhook_address, with_playground
from billpay.store.models import AuditEvent
from payables_sandbox.seed import demo_id
from testkit.browser import free_port
from testkit.hosting import hosted_playground
from testkit.page import PageClient

PAUSED = "no longer lets Bill Pay record payments for"


@pytest.fixture
def fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` in a fresh clone: no Slack, Codat or webhook settings."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "CODAT_API_KEY",
        "CODAT_BASE_URL",
        "CODAT_WEBHOOK_SECRET",
        "BILLPAY_HOST",
        "BILLPAY_DATABASE_URL",
        "BILLPAY_SANDBOX_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BILLPAY_PLAYGROUND_DIR", str(tmp_path / "playground"))
    monkeypatch.setenv("BILLPAY_PORT", str(free_port()))
    monkeypatch.setenv("BILLPAY_LOG_LEVEL", "DEBUG")  # every line a log could hold
    monkeypatch.chdir(tmp_path)


@pytest.mark.slow  # a whole playground, page and bot: about 10 s
@pytest.mark.usefixtures("fresh_clone")
async def test_a_change_in_the_embedded_sandbox_reaches_the_channel_by_webhook(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = load_settings()
    assert settings.codat_webhook_secret is None
    addresses: list[str] = []
    secrets: list[str] = []
    audited: list[str] = []

    async def serve(bot_settings: Settings, listening: Listening) -> None:
        async with hosted_playground(bot_settings, listening) as services:
            assert services.settings.codat_webhook_secret is not None
            secrets.append(services.settings.codat_webhook_secret.get_secret_value())
            (url,) = addresses
            async with PageClient.opened(url) as page:
                await page.card("BW-88213")  # the channel is linked, its cards drawn
                assert PAUSED not in (await page.state())["channel"]

                # Someone unlinks the company's connection through the payables API.
                await services.payables.unlink_connection(demo_id("company"), demo_id("connection"))

                await page.wait_for(lambda s: PAUSED in s["channel"])
            assert services.webhooks is not None
            await services.webhooks.settled()
            async with services.db.read() as s:
                audited.extend(
                    await s.scalars(select(AuditEvent.action).where(AuditEvent.actor == "codat"))
                )

    await with_playground(settings, serve, addresses.append)

    (secret,) = secrets
    assert secret.startswith("whsec_") and len(secret) > 40
    assert audited  # the change came as Codat's webhook, not from a check of the connection
    assert secret not in caplog.text
    assert secret.removeprefix("whsec_") not in caplog.text


def test_a_server_on_every_address_gets_its_webhooks_on_loopback() -> None:
    assert webhook_address("http://0.0.0.0:3000") == "http://127.0.0.1:3000/webhooks/codat"
    assert webhook_address("http://127.0.0.1:41234") == "http://127.0.0.1:41234/webhooks/codat"
