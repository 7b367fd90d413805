"""A company that revokes Bill Pay's access to its accounting platform is noticed before anyone's
payment fails, and nothing that would write through the connection goes on meanwhile: through the
real app, the fake Slack and the payables sandbox. Its cards offer Reconnect instead of Pay and say
why, Pay on an older card is refused in words with the way to reconnect, the scheduled payment
waits (it does not fail), the digest and reminders skip the channel, and the channel and whoever
linked it are told once, however many replicas see it. Linked again: all of it resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from billpay.core.domain import ConnectionPause
from billpay.digest.store import active_subscriptions, create_subscription
from billpay.payables.errors import (
    PayablesBadRequest,
    PayablesConnectionNotLinked,
    connection_status_in,
    error_for,
)
from billpay.payables.models import ErrorMessage
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.connection import pause_message
from billpay.slack.blocks.ids import Action
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Payment, PaymentStatus
from payables_sandbox.app import Sandbox
from testkit.bot import BOT_TOKEN, Bot, card_actions, card_text, in_process_bot, replica_of
from testkit.payables import TODAY, complete_link
from testkit.slack import fake_slack_session
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, NOW, SAM, sandbox_payments
from tests.slack.handlers.test_bills_flow import _open_bill, _pay_modal

PAUSED = "no longer lets Bill Pay record payments for"
BACK = "is back for"


@pytest.fixture
async def linked_bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    """The bot with the finance channel linked to the sandbox's demo company."""
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        in_process_bot(sandbox, bot_db, slack) as bot,
    ):
        await bot.command("/billpay", CONNECT_DEMO, user=ANA)
        await bot.slack.wait_for_responses(count=1)
        yield bot


def _at(bot: Bot, when: datetime) -> None:
    bot.services.clock.set(lambda: when)


def _said(bot: Bot, channel: str, words: str) -> list[dict[str, Any]]:
    return [
        call.args
        for call in bot.slack.calls_to("chat.postMessage")
        if call.ok and call.args.get("channel") == channel and words in str(call.args)
    ]


def _url_buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["url"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("action_id") == Action.RECONNECT
    ]


async def _link_url(bot: Bot) -> str:
    demo = bot.sandbox.demo
    connection = await bot.services.reads.get_connection(demo.company_id, demo.connection_id)
    assert connection.link_url
    return connection.link_url


async def _observe(bot: Bot, status: str, link_url: str | None) -> None:
    """What the webhook receiver does on connection.disconnected / reconnected."""
    demo = bot.sandbox.demo
    await bot.services.health.observe(
        demo.company_id, demo.connection_id, status, link_url, source="webhook"
    )


async def _schedule(bot: Bot, message: dict[str, Any], bill_id: str, days: int) -> dict[str, Any]:
    await bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await bot.wait_for_card(message["ts"], bill_id, "Approved by")
    view = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(view, {"pay_date": (TODAY + timedelta(days=days)).isoformat()}, user=SAM)
    return await bot.wait_for_card(message["ts"], bill_id, "scheduled for")


async def _payment_status(bot: Bot) -> list[str]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(Payment.status).order_by(Payment.id)))


async def _changes(bot: Bot) -> list[dict[str, Any]]:
    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "connection_changed")
            .order_by(AuditEvent.id)
        )
        return [row.details for row in rows]


async def test_a_deauthorised_connection_pauses_paying_until_it_is_linked_again(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    demo = bot.sandbox.demo
    link = await bot.services.links.link_for("T0001", CHANNEL)
    await create_subscription(bot.services.db, link.id, created_by=ANA)
    message = await bot.bills(user=ANA)
    scheduled = await _open_bill(bot, message)
    message = await _schedule(bot, message, scheduled, days=2)
    payable = next(
        b for b in await _open_bills(bot, message) if b != scheduled
    )  # another open bill, approved: its card offers Pay
    await bot.click(message, Action.APPROVE, payable, user=ANA)
    before = copy.deepcopy(await bot.wait_for_card(message["ts"], payable, "Approved by"))
    assert Action.PAY in card_actions(before, payable)
    form = await _pay_modal(bot, before, payable, SAM)  # left open meanwhile

    # The company revokes access; two replicas hear of it at once, and again.
    await bot.sandbox.deauthorize(demo.company_id, demo.connection_id)
    link_url = await _link_url(bot)
    other = replica_of(bot, NOW)
    await asyncio.gather(
        _observe(bot, "Deauthorized", link_url),
        other.health.observe(
            demo.company_id, demo.connection_id, "Deauthorized", link_url, source="webhook"
        ),
    )
    await _observe(bot, "Deauthorized", link_url)
    assert await bot.services.health.is_paused(demo.company_id, demo.connection_id)

    (told,) = _said(bot, CHANNEL, PAUSED)  # once in the channel
    assert f"{link.platform_name} {PAUSED} {link.company_name}." in told["text"]
    assert "figures shown are from" in told["text"]
    assert _url_buttons(told["blocks"]) == [link_url]
    assert len(_said(bot, ANA, PAUSED)) == 1  # and once to whoever linked it
    assert await _changes(bot) == [
        {"before": "Linked", "after": "Deauthorized", "source": "webhook"}
    ]

    # Its cards already posted: Reconnect instead of Pay, and why; Approve stays.
    card = await bot.wait_for_card(message["ts"], payable, PAUSED)
    assert Action.PAY not in card_actions(card, payable)
    assert Action.RECONNECT in card_actions(card, payable)
    assert "figures shown are from" in card_text(card, payable)
    (reconnect,) = [
        dict(element, block_id=f"card_actions:{payable}")
        for block in card["blocks"]
        if block.get("block_id") == f"card_actions:{payable}"
        for element in block["elements"]
        if element["action_id"] == Action.RECONNECT
    ]
    assert reconnect["url"] == link_url
    clicked = await bot.send(bot.requests.block_action(reconnect, message=card, user_id=SAM))
    assert clicked.status_code == 200  # Slack opens the page; the bot only acks

    # Pay on the card as it was before: refused in words, with the way to reconnect.
    opened = len(bot.slack.calls_to("views.open"))
    (pay,) = [
        dict(element, block_id=block["block_id"])
        for block in before["blocks"]
        if block.get("block_id") == f"card_actions:{payable}"
        for element in block["elements"]
        if element["action_id"] == Action.PAY
    ]
    await bot.send(bot.requests.block_action(pay, message=before, user_id=SAM))
    (refusal,) = await bot.slack.wait_for_responses(where=lambda r: PAUSED in str(r))
    assert _url_buttons(refusal["blocks"]) == [link_url]
    assert len(bot.slack.calls_to("views.open")) == opened  # no Pay form
    # The form opened before: submitted now, refused before anything is sent.
    updates = len(bot.slack.calls_to("views.update"))
    await bot.submit(form, user=SAM)
    (result, *_) = (await bot.slack.wait_for("views.update", count=updates + 1))[updates:]
    assert PAUSED in str(result.args["view"]) and "Nothing was paid" in str(result.args["view"])

    # Its day comes: the scheduled payment waits, the digest and reminders skip the channel.
    due = datetime.combine(TODAY + timedelta(days=2), NOW.timetz()).replace(hour=8)
    _at(bot, due)
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, scheduled) == 0
    assert await _payment_status(bot) == [PaymentStatus.SCHEDULED]
    assert await active_subscriptions(bot.services.db) == []
    assert await bot.services.reminders.due_nudges(due + timedelta(days=3)) == []

    # The company links it again: said once, Pay is back, the scheduled payment goes out.
    await complete_link(httpx.ASGITransport(app=bot.sandbox.app), link_url)
    assert await bot.services.health.check(link) == "Linked"
    await _observe(bot, "Linked", link_url)
    assert len(_said(bot, CHANNEL, BACK)) == 1
    assert len(_said(bot, ANA, BACK)) == 1
    card = await bot.wait_for_card(message["ts"], payable, "Approved by")
    assert Action.PAY in card_actions(card, payable)
    assert PAUSED not in card_text(card, payable)
    assert len(await active_subscriptions(bot.services.db)) == 1
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, scheduled) == 1
    assert [c["after"] for c in await _changes(bot)] == ["Deauthorized", "Linked"]
    bot.slack.assert_no_problems()


async def _open_bills(bot: Bot, message: dict[str, Any]) -> list[str]:
    demo = bot.sandbox.demo
    found = []
    for block in message["blocks"]:
        block_id = str(block.get("block_id", ""))
        if block_id.startswith("card:"):
            bill_id = block_id.split(":", 1)[1]
            bill = await bot.services.payables.get_bill(
                demo.company_id, demo.connection_id, bill_id
            )
            if bill.currency == "GBP" and bill.status == "Open":
                found.append(bill_id)
    return found


async def test_a_refused_payment_reveals_the_connection_is_gone(linked_bot: Bot) -> None:
    """Nobody told the bot: the payables API refuses a payment because the connection is not
    Linked. Nothing is paid, the person is told why, and the bot pauses the company as if a
    webhook had said so; a scheduled payment refused the same way waits instead of failing."""
    bot = linked_bot
    demo = bot.sandbox.demo
    message = await bot.bills(user=ANA)
    first, later, *_ = await _open_bills(bot, message)
    message = await _schedule(bot, message, later, days=1)
    await bot.click(message, Action.APPROVE, first, user=ANA)
    message = await bot.wait_for_card(message["ts"], first, "Approved by")
    view = await _pay_modal(bot, message, first, SAM)

    await bot.sandbox.deauthorize(demo.company_id, demo.connection_id)
    await bot.submit(view, user=SAM)
    result = await bot.slack.wait_for(
        "views.update", where=lambda c: "Nothing was paid" in str(c.args.get("view"))
    )
    assert "no longer lets Bill Pay write" in str(result[-1].args["view"])
    assert await sandbox_payments(bot.sandbox, first) == 0
    assert await bot.services.health.is_paused(demo.company_id, demo.connection_id)
    card = await bot.wait_for_card(message["ts"], first, PAUSED)
    assert Action.RECONNECT in card_actions(card, first)
    assert (await _changes(bot))[0]["source"] == "payables_error"

    # A scheduled payment claimed before the bot knew: refused the same way, it waits.
    async with bot.services.db.write() as s:  # as if the pause were not known yet
        from billpay.store.models import ConnectionHealthRow

        row = await s.scalar(select(ConnectionHealthRow))
        assert row is not None
        row.status = "Linked"
    _at(bot, datetime.combine(TODAY + timedelta(days=1), NOW.timetz()).replace(hour=8))
    sent = await bot.services.scheduled.send_scheduled(
        (await bot.services.scheduled.due_payments(bot.services.clock()))[0]
    )
    assert sent is None
    assert await sandbox_payments(bot.sandbox, later) == 0
    statuses = await _payment_status(bot)
    assert PaymentStatus.SCHEDULED in statuses
    assert await bot.services.health.is_paused(demo.company_id, demo.connection_id)
    assert len(_said(bot, CHANNEL, PAUSED)) == 1  # the second discovery is not announced again
    bot.slack.assert_no_problems()


@pytest.mark.parametrize(
    ("words", "status"),
    [
        (
            "Connection 'c-1' is Deauthorized; nothing can be written through it until it is "
            "linked again: it must be Linked.",
            "Deauthorized",
        ),
        ("Connection 'c-1' is Unlinked; nothing can be written through it.", "Unlinked"),
        ("The data connection is deauthorised.", "Deauthorized"),
        ("Amount must be less than the amount due.", None),
        ("Connection 'c-1' is Linked.", None),
        (None, None),
    ],
)
def test_a_refusal_that_names_a_connection_not_linked_is_typed(
    words: str | None, status: str | None
) -> None:
    assert connection_status_in(words) == status
    error = error_for(
        400, ErrorMessage(error=words), method="POST", path="/x/payment", retry_after=None
    )
    assert isinstance(error, PayablesBadRequest)  # whoever catches a 400 still does
    assert isinstance(error, PayablesConnectionNotLinked) == (status is not None)
    assert not error.maybe_applied


async def test_health_seen_first_as_linked_announces_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    link = await bot.services.links.link_for("T0001", CHANNEL)
    health = bot.services.health
    assert await health.check_due() == 0  # linking read it Linked: next in an hour
    _at(bot, NOW + timedelta(hours=1))
    assert await health.check_due() == 1
    assert await health.check_due() == 0
    assert await health.check(link) == "Linked"
    assert _said(bot, CHANNEL, PAUSED) == _said(bot, CHANNEL, BACK) == []
    async with bot.services.db.read() as s:
        assert (
            await s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "connection_changed")
            )
            == 0
        )


def test_the_pause_in_french() -> None:
    pause = ConnectionPause(
        company_name="Acme <Ltd>",
        platform="Xero",
        status="Deauthorized",
        link_url="https://link.example/abc",
        since=NOW,
    )
    said = pause_message(pause, locale="fr_FR", time_zone="Europe/Paris")
    assert said["text"].startswith(
        "Xero ne permet plus à Bill Pay d’enregistrer des règlements pour Acme &lt;Ltd&gt;."
    )
    assert "datent du 22 nov. 2026" in said["text"]
    (button,) = said["blocks"][1]["elements"]
    assert button["text"]["text"] == "Reconnecter" and button["url"] == pause.link_url
    unknown = ConnectionPause("Acme", None, "Unlinked", None, NOW)
    said = pause_message(unknown, locale="fr_FR", time_zone="Europe/Paris")
    assert said["text"].startswith("La plateforme comptable ne permet plus")
    assert len(said["blocks"]) == 1  # no address to reconnect at: no button


async def test_an_announcement_left_by_a_replica_that_died_is_made_by_another(
    linked_bot: Bot,
) -> None:
    """The replica that claimed telling the channel dies while Slack holds its message: no
    other replica says it while the claim's lease runs (the holder may still be alive), and
    one says it, once, when the lease has passed."""
    bot = linked_bot
    url = await _link_url(bot)
    said = bot.slack.hold("chat.postMessage", where=lambda args: PAUSED in str(args))
    dying = asyncio.create_task(_observe(bot, "Deauthorized", url))
    await said.wait()

    lease = timedelta(seconds=bot.services.settings.claim_lease_seconds)
    alive = replica_of(bot, NOW + lease - timedelta(seconds=1))
    assert await alive.health.announce_left() == 0  # the holder may still be telling Slack

    dying.cancel()  # the replica dies while Slack has its message
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    said.drop()
    assert _said(bot, CHANNEL, PAUSED) == []

    survivor = replica_of(bot, NOW + lease + timedelta(seconds=1))
    assert await survivor.health.announce_left() == 1
    await bot.slack.wait_for("chat.postMessage", where=lambda c: PAUSED in str(c.args))
    assert len(_said(bot, CHANNEL, PAUSED)) == 1
    assert await survivor.health.announce_left() == 0  # said once
    later = replica_of(bot, NOW + 3 * lease)
    assert await later.health.announce_left() == 0
    assert len(_said(bot, CHANNEL, PAUSED)) == 1
    bot.slack.assert_no_problems()


async def test_an_announcement_made_moot_by_a_later_change_is_not_made(linked_bot: Bot) -> None:
    """The connection was paused and the replica saying so died; it is linked again before the
    lease passed: the channel hears that it is back, never that it is paused."""
    bot = linked_bot
    url = await _link_url(bot)
    said = bot.slack.hold("chat.postMessage", where=lambda args: PAUSED in str(args))
    dying = asyncio.create_task(_observe(bot, "Deauthorized", url))
    await said.wait()
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    said.drop()
    await _observe(bot, "Linked", url)
    await bot.slack.wait_for("chat.postMessage", where=lambda c: BACK in str(c.args))

    lease = timedelta(seconds=bot.services.settings.claim_lease_seconds)
    survivor = replica_of(bot, NOW + lease + timedelta(seconds=1))
    assert await survivor.health.announce_left() == 0
    assert _said(bot, CHANNEL, PAUSED) == []
