"""A replica killed while it posts the day's digests: the other replica takes its runs over when
their lease has passed, and each channel gets that day's digest once.

Real parts throughout: two `billpay run --http` processes on one PostgreSQL database, the
payables sandbox served over HTTP to both, and the fake Slack's Web API on a port
(`testkit.replicas`). Both replicas run when the five channels' digests come due (in one
statement); whichever claims runs and posts first has that first `chat.postMessage` held by the
fake Slack before it acts on it, is killed with SIGKILL while it waits for the answer, and the
held call is dropped, never acted on. So the dead replica posted nothing, and no post was
answered but left unrecorded: each channel's digest must come exactly once, from the survivor.
"""

from __future__ import annotations

import asyncio
import json
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from billpay.core.clock import utcnow
from billpay.digest import store as digest_store
from billpay.digest.schedule import Subscription
from billpay.payables.client import PayablesClient
from billpay.services import build_services
from billpay.store import claims
from billpay.store.db import Database
from billpay.store.models import DigestSubscription
from payables_sandbox.app import Sandbox
from slack_playground import Call
from testkit.bot import BOT_TOKEN
from testkit.payables import on_postgres
from testkit.replicas import Replicas
from testkit.slack import fake_slack_session
from testkit.world import ANA, bot_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgres(), reason="several replicas need PostgreSQL (README)"),
]

# Five workspaces, each with its finance channel linked to the demo company.
CHANNELS = [(f"T000{n}", f"C0DIGEST{n}") for n in range(1, 6)]
LEASE_SECONDS = 5.0


def noon_somewhere() -> str:
    """A time zone where it is now 12:xx: a digest set for 12:00 there is due now, and stays
    due for the grace window, far from the local midnight."""
    hours = 12 - utcnow().hour
    return "UTC" if hours == 0 else f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


async def five_channels_paused(db: Database, payables: PayablesClient) -> list[Subscription]:
    """Five linked channels whose digest is due now, paused until the replicas run."""
    services = build_services(bot_settings(), db=db, payables=payables)
    subscriptions = []
    for team, channel in CHANNELS:
        link, _ = await services.links.connect(team, channel, ANA)
        sub = await digest_store.create_subscription(
            db, link.id, created_by=ANA, time_zone=noon_somewhere()
        )
        await digest_store.update_subscription(
            db, sub.id, local_time=time(12, 0), weekdays=range(1, 8), post_when_empty=True
        )
        subscriptions.append(await digest_store.pause_subscription(db, sub.id, "not yet"))
    return subscriptions


async def resume_all(db: Database, subscriptions: list[Subscription]) -> None:
    """All five come due at once: one statement, so a replica's tick sees all or none."""
    async with db.write() as s:
        await s.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id.in_([sub.id for sub in subscriptions]))
            .values(paused=False, paused_reason=None)
        )


def posted_in(slack_calls: list[Call], channel: str) -> list[Call]:
    return [c for c in slack_calls if c.ok and c.args.get("channel") == channel]


async def test_digests_claimed_by_a_replica_killed_while_posting_come_once_from_the_survivor(
    tmp_path: Path,
    sandbox: Sandbox,
    bot_db: Database,
    bot_database_url: str,
    payables: PayablesClient,
) -> None:
    subscriptions = await five_channels_paused(bot_db, payables)
    today = {sub.channel_id: sub.local_date(utcnow()) for sub in subscriptions}
    runs = {
        sub.channel_id: (
            sub.id,
            today[sub.channel_id],
            digest_store.run_subject(sub.id, today[sub.channel_id]),
        )
        for sub in subscriptions
    }

    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        Replicas(
            tmp_path,
            bot_database_url=bot_database_url,
            sandbox=sandbox,
            slack=slack,
            lease_seconds=LEASE_SECONDS,
        ) as replicas,
    ):
        first_post = slack.hold("chat.postMessage")
        both = await asyncio.gather(replicas.start("a"), replicas.start("b"))
        await resume_all(bot_db, subscriptions)

        (held,) = await first_post.wait(timeout=60)
        *_, held_subject = runs[held["channel"]]
        found = await claims.get(bot_db, "digest", held_subject)
        assert found is not None
        killed = replicas.holding(found[0].holder)
        (survivor,) = [replica for replica in both if replica is not killed]
        left = [
            subject
            for *_, subject in runs.values()
            if (claim := await claims.get(bot_db, "digest", subject)) is not None
            and killed.holds(claim[0].holder)
        ]
        await killed.kill()
        first_post.drop()  # it never reached Slack

        async def all_recorded() -> bool:
            for sub_id, day, _ in runs.values():
                run = await digest_store.get_run(bot_db, sub_id, day)
                if run is None or run.status != "posted":
                    return False
            return True

        await replicas.wait_until(all_recorded, what="the five digests posted and recorded")

    calls = slack.calls_to("chat.postMessage")
    assert "Bills due" in json.dumps(held)
    for channel, (sub_id, day, subject) in runs.items():
        (digest,) = posted_in(calls, channel)  # once, however often each replica ticked
        assert "Bills due" in json.dumps(digest.args)
        run = await digest_store.get_run(bot_db, sub_id, day)
        assert run is not None and run.message_ts == digest.response["ts"]
        found = await claims.get(bot_db, "digest", subject)
        assert found is not None
        claim, done_at = found
        assert survivor.holds(claim.holder) and done_at is not None
        assert claim.attempts == (2 if subject in left else 1)
    assert held_subject in left  # the run being posted when it died was taken over too
    assert not [c for c in calls if not c.ok]
    assert await claims.overdue(bot_db, utcnow() + timedelta(days=1)) == []
