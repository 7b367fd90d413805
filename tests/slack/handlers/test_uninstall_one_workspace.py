"""One workspace (`SLACK_BOT_TOKEN`) uninstalling the app: what the bot does on its own there
stops (no digest, scheduled payments wait), for every replica; when a start finds the token
answering again, the payments that came due meanwhile are called off, not sent late, and those
dated later go on their day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from billpay.core.domain import CaseRef
from billpay.digest import store as digest_store
from billpay.runtime.scheduler import Scheduler
from billpay.slack.returning import come_back
from billpay.store.models import AuditEvent, Payment, PaymentStatus
from testkit.bot import Bot
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY
from testkit.world import ANA, CHANNEL, SAM, TEAM, sandbox_payments
from tests.slack.test_many_workspaces import handled


def _at(bot: Bot, on: date, hour: int = 10) -> None:
    bot.services.clock.set(lambda: datetime(on.year, on.month, on.day, hour, 0, tzinfo=UTC))


def _digests(bot: Bot) -> list[object]:
    return [
        c
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == CHANNEL and "Bills due" in json.dumps(c.args)
    ]


async def _actions(bot: Bot) -> list[str]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(AuditEvent.action).where(AuditEvent.team_id == TEAM)))


async def _scheduled(bot: Bot, on: date) -> str:
    bill = await open_gbp_bill(bot.services.payables, bot.sandbox.demo)
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await bot.services.approvals.approve(ref, ANA)
    account = await gbp_account(bot.services)
    outcome = await bot.services.payments.submit_payment(
        ref, SAM, payment_request(account, Decimal("100.00"), payment_date=on), TODAY
    )
    assert outcome.status == "scheduled", outcome.message
    return bill.id


async def _uninstall(bot: Bot) -> None:
    bot.slack.uninstall(TEAM)
    for event in (
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
    ):
        response = await bot.send(bot.requests.event(event))
        assert response.status_code == 200
    await handled(bot, TEAM, {"app_uninstalled", "tokens_revoked"})


async def test_an_uninstalled_workspace_gets_no_payment_nor_digest_until_the_app_is_back(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    sub = await digest_store.subscription_for_link(bot.services.db, link.id)
    assert sub is not None
    await digest_store.update_subscription(
        bot.services.db, sub.id, time_zone="UTC", post_when_empty=True
    )
    missed_on, later_on = (
        TODAY + timedelta(days=2),
        TODAY + timedelta(days=8),
    )  # a Tuesday, a Monday
    missed = await _scheduled(bot, missed_on)
    later = await _scheduled(bot, later_on)

    await _uninstall(bot)
    actions = await _actions(bot)
    assert "app_uninstalled" in actions and "tokens_revoked" in actions
    assert actions.count("payment_waiting") == 2  # said once for the two events

    # The first payment's day comes (a weekday, at 09:00 its digest is due) while it is away.
    _at(bot, missed_on, hour=9)
    scheduler = Scheduler(bot.services)
    await scheduler.send_due_digests()
    await scheduler.send_due_payments()
    assert await sandbox_payments(bot.sandbox, missed) == 0
    assert _digests(bot) == []
    _at(bot, missed_on, hour=10)
    # A restart with the token still revoked says so, and the payments still wait.
    said = await come_back(bot.services)
    assert said is not None and "Reinstall the app" in said and "SLACK_BOT_TOKEN" in said
    assert [p.split(":")[0] for p in bot.slack.take_problems()] == ["auth.test"]
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, missed) == 0

    # The app is installed again with the token configured: the start finds it back.
    bot.slack.reinstall(TEAM)
    said = await come_back(bot.services)
    assert said is not None and said.endswith("called off (not sent late): 1.")
    assert await come_back(bot.services) is None  # the mark is gone
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, missed) == 0  # called off, not sent late
    async with bot.services.db.read() as s:
        statuses = dict((await s.execute(select(Payment.id, Payment.status))).all())
    assert sorted(statuses.values()) == sorted([PaymentStatus.REFUSED, PaymentStatus.SCHEDULED])
    assert "app_back" in await _actions(bot)
    (told,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == SAM and c.ok
    )
    assert "was not sent" in told.args["text"] and "uninstalled" in told.args["text"]

    # The payment dated later goes on its day, and the digest is back.
    _at(bot, later_on, hour=9)
    scheduler = Scheduler(bot.services)
    await scheduler.send_due_payments()
    await scheduler.send_due_digests()
    assert await sandbox_payments(bot.sandbox, later) == 1
    assert len(_digests(bot)) == 1
