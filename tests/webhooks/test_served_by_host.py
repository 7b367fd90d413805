"""The process host serves `/webhooks/codat` on its port in both modes (in Socket Mode, beside
`/healthz`), works the delivery after answering, and writes the calls it counted when it stops."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from billpay.runtime.host import Host
from billpay.services import build_services
from billpay.store.db import Database
from billpay.store.models import PayablesCallCount, WebhookDelivery
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, SIGNING_SECRET
from testkit.payables import CountingTransport, SleepRecorder, client_for
from testkit.slack import fake_slack_session
from testkit.webhooks import WEBHOOK_SECRET, delivery, read_completed
from testkit.world import ANA, CHANNEL, NOW, TEAM, bot_settings
from tests.runtime.test_host import _free_port, _healthy


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_the_host_serves_webhooks_in_either_mode(
    sandbox: Sandbox, bot_db: Database, bot_database_url: str, mode: str
) -> None:
    async with fake_slack_session(bot_token=BOT_TOKEN) as slack:
        if mode == "socket":
            slack.enable_socket_mode()
        settings = bot_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=slack.app_token if mode == "socket" else None,
            slack_api_url=slack.api_url,
            port=_free_port(),
            codat_webhook_secret=WEBHOOK_SECRET,
        )
        transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
        services = build_services(
            settings, db=bot_db, payables=client_for(transport, SleepRecorder()), clock=lambda: NOW
        )
        link, _ = await services.links.connect(TEAM, CHANNEL, ANA)
        host = Host(settings, services, mode=mode, announce=lambda text: None)  # type: ignore[arg-type]
        running = asyncio.create_task(host.run())
        await _healthy(settings.port)
        sent = delivery(read_completed(link.company_id, "bills"))
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"http://127.0.0.1:{settings.port}/webhooks/codat",
                content=sent.body,
                headers=sent.headers,
            )
        assert answer.status_code == 200
        host.stop()
        await asyncio.wait_for(running, timeout=10)

    check = Database(bot_database_url)  # the host closed the services' own
    try:
        async with check.read() as s:
            row = await s.scalar(select(WebhookDelivery))
            counted = list(await s.scalars(select(PayablesCallCount)))
    finally:
        await check.dispose()
    assert row is not None and row.outcome == "done"
    # The reads of linking the channel, written when the host stopped.
    assert sum(c.display for c in counted) >= 1
