"""A replica killed between a payment's POST and the record of its answer: the payables API has
the payment, the dead replica's row says `requested`, and the surviving replica's settler takes
it up, replays its key and records it. One payment; nobody sent a second.

Real parts throughout (`testkit.replicas`): two `billpay run --http` processes on one PostgreSQL
database, the payables sandbox served over HTTP to both, whose answer to the payment is held
after it recorded it, and the fake Slack's Web API on a port. The payer pays from the first
replica's `/bills`; it is killed with SIGKILL while it waits for the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseRef, PaymentStatus
from billpay.payables.client import PayablesClient
from billpay.services import build_services
from billpay.slack.blocks.ids import Action, Callback
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Payment
from payables_sandbox.app import Sandbox
from slack_playground import FakeSlack
from testkit.bot import BOT_TOKEN, bill_ids
from testkit.cases import open_gbp_bill
from testkit.payables import on_postgres
from testkit.replicas import Replica, Replicas
from testkit.slack import fake_slack_session
from testkit.world import ANA, CHANNEL, SAM, TEAM, bot_settings, sandbox_payments

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgres(), reason="several replicas need PostgreSQL (README)"),
]


async def _ok(replica: Replica, replicas: Replicas, request: Any) -> None:
    response = await replica.send(request)
    assert response.status_code == 200, response.text


async def _pay_in_full(slack: FakeSlack, replicas: Replicas, replica: Replica, bill: str) -> None:
    """SAM runs `/bills` and pays the bill in full from its card, through `replica`."""
    before = len(slack.calls_to("chat.postMessage"))
    await _ok(replica, replicas, replicas.requests.command("/bills", "", user_id=SAM))
    (posted, *_) = (await slack.wait_for("chat.postMessage", count=before + 1))[before:]
    message = slack.message(CHANNEL, posted.response["ts"])
    assert bill in bill_ids(message)
    opened = len(slack.calls_to("views.open"))
    click = replicas.requests.click(
        message, Action.PAY, user_id=SAM, block_id_prefix=f"card_actions:{bill}"
    )
    await _ok(replica, replicas, click)
    view_id = (await slack.wait_for("views.open", count=opened + 1))[-1].response["view"]["id"]

    async def form_shown() -> bool:  # the form itself, not the placeholder a slow read opens
        return slack.views[view_id].get("callback_id") == Callback.PAY

    await replicas.wait_until(form_shown, what="the Pay form")
    form = slack.views[view_id]
    await _ok(replica, replicas, replicas.requests.view_submission(form, user_id=SAM))


async def test_a_replica_killed_between_the_post_and_the_record_pays_once_by_the_survivor(
    tmp_path: Path,
    sandbox: Sandbox,
    bot_db: Database,
    bot_database_url: str,
    payables: PayablesClient,
) -> None:
    services = build_services(bot_settings(), db=bot_db, payables=payables)
    await services.links.connect(TEAM, CHANNEL, ANA)
    bill = await open_gbp_bill(payables, sandbox.demo)
    await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)

    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        Replicas(
            tmp_path,
            bot_database_url=bot_database_url,
            sandbox=sandbox,
            slack=slack,
            payment_hold_seconds="0",
            # A payment still `requested` this long after it was sent has lost its sender.
            payables_background_deadline_seconds="2",
        ) as replicas,
    ):
        first = await replicas.start("first")
        await replicas.start("survivor")
        answer = replicas.hold_payables("POST", "/payment")
        await _pay_in_full(slack, replicas, first, bill.id)
        await answer.wait(timeout=60)  # the payables API recorded it; the answer is held
        await first.kill()
        answer.drop()
        assert await sandbox_payments(sandbox, bill.id) == 1

        async def settled() -> bool:
            async with bot_db.read() as s:
                payment = await s.scalar(select(Payment))
            return payment is not None and payment.status == PaymentStatus.RECORDED

        await replicas.wait_until(settled, what="the survivor settled the payment")

    async with bot_db.read() as s:
        (payment,) = list(await s.scalars(select(Payment)))
        actions = [e.action for e in await s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert payment.reconciled == "replay"  # its own key, replayed: the API's first answer
    assert "payment_in_doubt" in actions and actions[-1] == "payment_recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
