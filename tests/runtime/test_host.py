"""The process host: in HTTP mode it serves Slack's request URL and `/healthz`; in Socket Mode
it connects to Slack and serves `/healthz` only; either way it runs the scheduler, and stopping
it waits for running work, then closes the services."""

from __future__ import annotations

import asyncio
import gc
import socket

import httpx
import pytest

from billpay.runtime import collector
from billpay.runtime.host import Host
from billpay.services import build_services
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from slack_playground import FakeSlack, SlackRequests
from testkit.bot import BOT_TOKEN, SIGNING_SECRET
from testkit.payables import CountingTransport, SleepRecorder, client_for
from testkit.slack import fake_slack_session
from testkit.world import ANA, CONNECT_DEMO, NOW, bot_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _host(sandbox: Sandbox, bot_db: Database, slack: FakeSlack, mode: str) -> Host:
    settings = bot_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=slack.app_token if mode == "socket" else None,
        slack_api_url=slack.api_url,
        port=_free_port(),
        scheduler_tick_seconds=1.0,
    )
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    services = build_services(
        settings, db=bot_db, payables=client_for(transport, SleepRecorder()), clock=lambda: NOW
    )
    return Host(settings, services, mode=mode, announce=lambda text: None)  # type: ignore[arg-type]


async def _healthy(port: int) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                return await http.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.ConnectError:
                await asyncio.sleep(0.02)
    raise AssertionError("the host never answered /healthz")


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_the_host_serves_its_mode_and_stops_cleanly(
    sandbox: Sandbox, bot_db: Database, mode: str
) -> None:
    async with fake_slack_session(bot_token=BOT_TOKEN) as slack:
        if mode == "socket":
            socket_mode = slack.enable_socket_mode()
        host = await _host(sandbox, bot_db, slack, mode)
        running = asyncio.create_task(host.run())
        port = host.settings.port
        assert (await _healthy(port)).json() == {"status": "ok"}
        assert host.services.scheduler is not None  # the scheduler runs inside the host
        requests = SlackRequests(SIGNING_SECRET, slack)
        command = requests.command("/billpay", CONNECT_DEMO, user_id=ANA)
        async with httpx.AsyncClient() as http:
            events = await http.post(
                f"http://127.0.0.1:{port}/slack/events",
                content=command.body,
                headers=command.headers,
            )
        if mode == "http":
            assert events.status_code == 200
        else:
            assert events.status_code == 404  # Slack reaches a Socket Mode app over its socket
            await socket_mode.connected()
            payload = requests.command_payload("/billpay", CONNECT_DEMO, ANA, "ana", "C0FIN")
            assert (await socket_mode.send("slash_commands", payload))["envelope_id"]
        await slack.wait_for_responses(where=lambda r: "linked this channel" in str(r))
        host.stop()
        await asyncio.wait_for(running, timeout=10)
        assert host.services.scheduler is None
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as http:
                await http.get(f"http://127.0.0.1:{port}/healthz")


async def test_collections_held_for_the_start_run_again_once_the_host_serves(
    sandbox: Sandbox, bot_db: Database
) -> None:
    # Held by `billpay run` from its first import: a bot that served with the collector still
    # held would never free the cycles its requests leave behind.
    frozen = gc.get_freeze_count()
    with collector.while_starting():
        async with fake_slack_session(bot_token=BOT_TOKEN) as slack:
            host = await _host(sandbox, bot_db, slack, "http")
            assert not gc.isenabled()
            running = asyncio.create_task(host.run())
            assert (await _healthy(host.settings.port)).status_code == 200
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen
            host.stop()
            await asyncio.wait_for(running, timeout=10)
    assert gc.isenabled()


async def test_a_start_with_the_workspace_gone_and_its_token_revoked_says_what_to_do(
    sandbox: Sandbox, bot_db: Database
) -> None:
    async with fake_slack_session(bot_token=BOT_TOKEN) as slack:
        host = await _host(sandbox, bot_db, slack, "http")
        said: list[str] = []
        host.announce = said.append
        departures = host.services.departures
        assert departures is not None
        await departures.mark(slack.team_id, "app_uninstalled")
        slack.uninstall(slack.team_id)
        running = asyncio.create_task(host.run())
        await _healthy(host.settings.port)
        host.stop()
        await asyncio.wait_for(running, timeout=10)
        slack.take_problems()  # Slack refused the revoked token, as it does
    assert any("Reinstall the app" in text and "SLACK_BOT_TOKEN" in text for text in said)
    assert await departures.away() == {slack.team_id}
