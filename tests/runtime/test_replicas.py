"""The replicas harness (`testkit.replicas`) itself, one process at a time so it runs on SQLite
too: a replica started from its environment serves Slack's signed requests, reads the sandbox
it is given over HTTP and answers through the fake Slack, stops cleanly on SIGTERM; a killed
one is gone at once; a claim's holder names the replica that made it; and the sandbox's answers
can be held after it acted, then sent or never sent."""

from __future__ import annotations

import asyncio
import base64
import signal
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from billpay.core.clock import utcnow
from billpay.store import claims
from billpay.store.claims import Claimant
from billpay.store.db import Database
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN
from testkit.replicas import Replicas
from testkit.slack import fake_slack_session
from testkit.world import ANA, CONNECT_DEMO


@pytest.mark.slow
async def test_a_replica_serves_slack_stops_cleanly_and_a_killed_one_is_gone(
    tmp_path: Path, sandbox: Sandbox, bot_database_url: str, bot_db: Database
) -> None:
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        Replicas(
            tmp_path, bot_database_url=bot_database_url, sandbox=sandbox, slack=slack
        ) as replicas,
    ):
        first = await replicas.start()
        response = await first.send(
            replicas.requests.command("/billpay", CONNECT_DEMO, user_id=ANA)
        )
        assert response.status_code == 200
        (said,) = await slack.wait_for_responses(timeout=30)
        assert "Larkspur Design Studio Ltd" in said["text"]
        assert await first.stop() == 0

        second = await replicas.start()
        async with bot_db.write() as s:
            claims.hold(
                s, Claimant(f"host:{second.pid}:a1b2c3"), "digest", "1@2026-11-23", utcnow()
            )
        # (A fill of the mirror cut short by the first replica's stop is left to another.)
        overdue = await claims.overdue(bot_db, utcnow() + timedelta(days=1))
        (held,) = [claim for claim in overdue if claim.kind == "digest"]
        assert replicas.holding(held.holder) is second

        await second.kill()
        assert second.process.returncode == -signal.SIGKILL and not second.running


async def test_the_sandboxs_answers_are_held_after_it_acted_then_sent_or_never(
    tmp_path: Path, sandbox: Sandbox, bot_database_url: str
) -> None:
    key = base64.b64encode(sandbox.config.api_key.encode()).decode()
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        Replicas(
            tmp_path, bot_database_url=bot_database_url, sandbox=sandbox, slack=slack
        ) as replicas,
        httpx.AsyncClient(
            base_url=replicas.payables_url, headers={"Authorization": f"Basic {key}"}
        ) as http,
    ):
        lost = replicas.hold_payables("POST", "/companies")
        posting = asyncio.create_task(http.post("/companies", json={"name": "Never Told Ltd"}))
        assert await lost.wait() == ["/companies"]
        listed = await http.get("/companies")  # another method: not held
        assert "Never Told Ltd" in listed.text and not posting.done()  # acted on, not answered
        lost.drop()
        assert (await posting).status_code == 500

        late = replicas.hold_payables("POST", "/companies")
        posting = asyncio.create_task(http.post("/companies", json={"name": "Told Late Ltd"}))
        await late.wait()
        late.release()
        answer = await posting
        assert answer.status_code == 200 and answer.json()["name"] == "Told Late Ltd"
