"""`/billpay connect`, `status` and `disconnect` end to end through the bot's web app, the fake
Slack and the payables sandbox: the connect form offers only the workspace's companies (never
another workspace's, never a Banking connection), a new company is created tagged with the
workspace, its new connection's link goes privately to whoever asked while the channel reads
that it waits, and polling (webhooks off) links the channel once the company authorised it,
or gives up in time and says so. Disconnecting asks first, is audited, and cancels in words
what was scheduled, which is then never paid."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from billpay.core.errors import NotLinked
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.store.models import AuditEvent, Payment, PaymentStatus
from payables_sandbox.seed import DEMO_COMPANY_NAME
from slack_playground import SignedRequest
from testkit.bot import Bot
from testkit.payables import TODAY, complete_link
from testkit.world import ANA, BEN, CHANNEL, CONNECT_DEMO, NOW, SAM, TEAM, sandbox_payments
from tests.slack.handlers.test_safety import _approved_pay_modal

OTHER_CHANNEL = "C0OPS"


async def _form(bot: Bot, user: str = ANA) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "connect", user=user)
    view = await bot.modal(before)
    assert view["callback_id"] == Callback.CONNECT
    return view


async def _suggested(bot: Bot, view: dict[str, Any], typed: str = "") -> list[str]:
    response = await bot.send(
        bot.requests.block_suggestion(view, Input.CONNECT_COMPANY, typed, user_id=ANA)
    )
    assert response.status_code == 200
    return [o["text"]["text"] for o in response.json()["options"]]


def _ephemerals(bot: Bot, words: str) -> list[dict[str, Any]]:
    return [
        c.args for c in bot.slack.calls_to("chat.postEphemeral") if words in str(c.args.get("text"))
    ]


async def _refusal(bot: Bot, words: str) -> str:
    (said,) = await bot.slack.wait_for_responses(where=lambda r: words in str(r.get("text")))
    assert said["response_type"] == "ephemeral"
    return str(said["text"])


async def test_the_form_offers_the_workspace_s_companies_and_never_another_s(bot: Bot) -> None:
    theirs = await bot.services.payables.create_company("Theirs Ltd", tags={"slack_team": "T0999"})
    await bot.services.payables.create_company("Ours Ltd", tags={"slack_team": TEAM})

    view = await _form(bot)
    assert await _suggested(bot, view) == [DEMO_COMPANY_NAME, "Ours Ltd"]
    assert await _suggested(bot, view, "ltd") == [DEMO_COMPANY_NAME, "Ours Ltd"]
    assert await _suggested(bot, view, "Theirs") == []
    platforms = next(b for b in view["blocks"] if b.get("block_id") == Input.CONNECT_PLATFORM)
    keys = [o["value"] for o in platforms["element"]["options"]]
    assert keys == ["gbol", "qhyg", "fbrh", "akxx", "knfz", "rwuv", "mqjo"]

    # Named, or by its id, another workspace's company is as unknown as one that isn't there.
    await bot.command("/billpay", "connect Theirs Ltd", user=ANA)
    said = await _refusal(bot, "No company this workspace can link")
    assert "Theirs" not in said.split("with one of:")[1]
    await bot.command("/billpay", f"connect {theirs.id}", user=ANA)
    # Both refusals say "matches": this one is told apart by the id it names.
    await _refusal(bot, f"matches “{theirs.id}”")
    with pytest.raises(NotLinked):
        await bot.services.links.link_for(TEAM, CHANNEL)


@pytest.mark.bot(company_grants={"T0001": []})
async def test_an_untagged_company_is_offered_only_where_it_is_granted(bot: Bot) -> None:
    view = await _form(bot)
    assert not any(b.get("block_id") == Input.CONNECT_COMPANY for b in view["blocks"])
    assert "No company is linked to this workspace yet" in str(view["blocks"][0])
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await _refusal(bot, "No company this workspace can link")


async def test_a_banking_connection_is_never_linked(bot: Bot) -> None:
    demo = bot.sandbox.demo
    assert demo is not None
    company = await bot.services.payables.get_company(demo.company_id)
    assert company.data_connections[0].source_type == "Banking"  # listed first, and Linked
    assert company.data_connections[0].status == "Linked"

    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    (said,) = await bot.slack.wait_for_responses(
        where=lambda r: r.get("response_type") == "in_channel"
    )
    assert "linked this channel to *Larkspur Design Studio Ltd*" in said["text"]
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    assert (link.connection_id, link.platform_name) == (demo.connection_id, "Codat Sandbox")

    await bot.command("/billpay", "status", user=ANA)
    (status,) = await bot.slack.wait_for_responses(
        where=lambda r: "Accounting platform" in r["text"]
    )
    assert "Accounting platform: Codat Sandbox, connected." in status["text"]
    assert "Calls to the accounting platform today" in status["text"]


async def test_a_new_company_is_connected_through_its_link_and_polling(bot: Bot) -> None:
    view = await _form(bot)
    ack = await bot.submit(
        view, {Input.CONNECT_NEW: "Acme Tools Ltd", Input.CONNECT_PLATFORM: "gbol"}, user=ANA
    )
    assert ack == {}
    (private,) = await bot.slack.wait_for(
        "chat.postEphemeral", where=lambda c: "authorise Xero" in str(c.args.get("text"))
    )
    assert private.args["user"] == ANA and private.args["channel"] == CHANNEL
    (button,) = private.args["blocks"][1]["elements"]
    assert button["action_id"] == Action.AUTHORISE
    link_url = button["url"]
    (waiting,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Waiting for Xero" in str(c.args.get("text"))
    )
    assert link_url not in str(waiting.args)  # the link is the person's alone
    ts = waiting.response["ts"]

    # The company was created for this workspace, tagged with it, with a connection waiting.
    (company,) = [
        c async for c in bot.services.payables.iter_companies() if c.name == "Acme Tools Ltd"
    ]
    assert company.tags == {"slack_team": TEAM}
    (pending,) = company.data_connections
    assert (pending.status, pending.platform_name) == ("PendingAuth", "Xero")

    await bot.command("/billpay", "status", user=ANA)
    await bot.slack.wait_for_responses(where=lambda r: "waiting since" in r["text"])

    scheduler = Scheduler(bot.services)
    bot.services.clock.set(lambda: NOW + timedelta(seconds=11))
    await scheduler.poll_connections()  # read: still PendingAuth, nothing changes
    with pytest.raises(NotLinked):
        await bot.services.links.link_for(TEAM, CHANNEL)

    page = await complete_link(httpx.ASGITransport(app=bot.sandbox.app), link_url)
    assert "Xero is connected" in page.text
    await scheduler.poll_connections()  # the next look is not due yet
    with pytest.raises(NotLinked):
        await bot.services.links.link_for(TEAM, CHANNEL)
    bot.services.clock.set(lambda: NOW + timedelta(seconds=40))
    await scheduler.poll_connections()

    link = await bot.services.links.link_for(TEAM, CHANNEL)
    assert (link.company_id, link.connection_id) == (company.id, pending.id)
    assert link.platform_name == "Xero"
    shown = bot.slack.message(CHANNEL, ts)
    assert "linked this channel to *Acme Tools Ltd*" in shown["text"]
    assert "Waiting" not in shown["text"]
    await scheduler.poll_connections()  # done: said once
    bot.services.clock.set(lambda: NOW + timedelta(hours=2))
    await scheduler.poll_connections()
    updates = [c for c in bot.slack.calls_to("chat.update") if c.args.get("ts") == ts]
    assert len(updates) == 1


async def test_a_channel_linked_meanwhile_stops_waiting_and_says_so(bot: Bot) -> None:
    view = await _form(bot)
    await bot.submit(
        view, {Input.CONNECT_NEW: "Later Ltd", Input.CONNECT_PLATFORM: "gbol"}, user=ANA
    )
    (private,) = await bot.slack.wait_for(
        "chat.postEphemeral", where=lambda c: "authorise Xero" in str(c.args.get("text"))
    )
    (waiting,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Waiting for Xero" in str(c.args.get("text"))
    )
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(where=lambda r: r.get("response_type") == "in_channel")
    shown = bot.slack.message(CHANNEL, waiting.response["ts"])["text"]
    assert "No longer waiting for Xero" in shown and DEMO_COMPANY_NAME in shown

    # Authorised later all the same: the channel stays with the company it was linked to.
    link_url = private.args["blocks"][1]["elements"][0]["url"]
    await complete_link(httpx.ASGITransport(app=bot.sandbox.app), link_url)
    bot.services.clock.set(lambda: NOW + timedelta(minutes=10))
    await Scheduler(bot.services).poll_connections()
    assert (await bot.services.links.link_for(TEAM, CHANNEL)).company_name == DEMO_COMPANY_NAME


@pytest.mark.bot(connect_wait_minutes=30)
async def test_waiting_stops_in_time_and_says_so(bot: Bot) -> None:
    view = await _form(bot)
    await bot.submit(
        view, {Input.CONNECT_NEW: "Slow Ltd", Input.CONNECT_PLATFORM: "qhyg"}, user=ANA
    )
    (waiting,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Waiting for QuickBooks Online" in str(c.args)
    )
    scheduler = Scheduler(bot.services)
    for minutes in (1, 5, 12, 20, 29):
        bot.services.clock.set(lambda m=minutes: NOW + timedelta(minutes=m))
        await scheduler.poll_connections()
        assert "Waiting" in bot.slack.message(CHANNEL, waiting.response["ts"])["text"]
    bot.services.clock.set(lambda: NOW + timedelta(minutes=31))
    await scheduler.poll_connections()
    shown = bot.slack.message(CHANNEL, waiting.response["ts"])["text"]
    assert "QuickBooks Online wasn't authorised for Slow Ltd within 30 minutes" in shown
    assert "`/billpay connect` again" in shown


@pytest.mark.bot(approvers=[ANA])
async def test_bad_input_is_refused_in_plain_words(bot: Bot) -> None:
    view = await _form(bot)
    demo_option = {"text": {"type": "plain_text", "text": DEMO_COMPANY_NAME}, "value": "x"}
    both = await bot.submit(
        view, {Input.CONNECT_COMPANY: demo_option, Input.CONNECT_NEW: "New Ltd"}, user=ANA
    )
    assert both["errors"][Input.CONNECT_NEW] == "Choose a company or name a new one, not both."
    no_platform = await bot.submit(view, {Input.CONNECT_NEW: "New Ltd"}, user=ANA)
    assert no_platform["errors"] == {
        Input.CONNECT_PLATFORM: "Choose the new company's accounting platform."
    }
    banking = {"text": {"type": "plain_text", "text": "Basiq"}, "value": "dfxm"}
    forged = await bot.submit(
        view, {Input.CONNECT_NEW: "New Ltd", Input.CONNECT_PLATFORM: banking}, user=ANA
    )
    assert forged["errors"] == {Input.CONNECT_PLATFORM: "Choose one of the platforms offered."}
    # A company id that isn't one the workspace may link (typed into the request).
    unknown = {"text": {"type": "plain_text", "text": "Nope"}, "value": "no-such-company"}
    assert await bot.submit(view, {Input.CONNECT_COMPANY: unknown}, user=ANA) == {}
    await bot.slack.wait_for(
        "chat.postEphemeral",
        where=lambda c: "isn't one this workspace can link" in str(c.args.get("text")),
    )
    names = [c.name async for c in bot.services.payables.iter_companies()]
    assert "New Ltd" not in names

    await bot.command("/billpay", "connect", user=BEN)
    await _refusal(bot, "can link a channel to a company")


def _click_ephemeral(bot: Bot, message: dict[str, Any], user: str) -> SignedRequest:
    """The click on a button of an ephemeral (as Slack sends it: the message is the
    person's alone, answered through a response_url)."""
    (button,) = message["blocks"][1]["elements"]
    ts = "1763800000.000100"
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": "A0BILLPAY",
        "token": "",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
        "trigger_id": bot.slack.new_trigger_id(),
        "team": {"id": TEAM, "domain": "acme"},
        "channel": {"id": CHANNEL, "name": "finance"},
        "response_url": bot.slack.new_response_url(channel_id=CHANNEL, user_id=user),
        "actions": [{**button, "block_id": "b", "action_ts": "1763800001.000000"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return bot.requests.sign(body, payload=payload)


async def _scheduled(bot: Bot) -> tuple[dict[str, Any], str]:
    message, bill_id, view = await _approved_pay_modal(bot)
    date = (TODAY + timedelta(days=2)).isoformat()
    await bot.submit(view, {"pay_date": date}, user=SAM)
    message = await bot.wait_for_card(message["ts"], bill_id, "scheduled for")
    return message, bill_id


async def test_disconnect_asks_is_audited_and_cancels_what_was_scheduled(linked_bot: Bot) -> None:
    bot = linked_bot
    _message, bill_id = await _scheduled(bot)

    await bot.command("/billpay", "disconnect", user=ANA)
    (confirm,) = await bot.slack.wait_for_responses(
        where=lambda r: "Disconnect *Larkspur" in str(r.get("text"))
    )
    assert confirm["response_type"] == "ephemeral"
    assert "1 scheduled payment will be cancelled and not paid" in confirm["text"]
    (button,) = confirm["blocks"][1]["elements"]
    assert button["confirm"]["style"] == "danger"  # Slack asks before the click is sent
    assert "1 scheduled payment will be cancelled." in button["confirm"]["text"]["text"]
    link = await bot.services.links.link_for(TEAM, CHANNEL)  # nothing changed yet

    assert (await bot.send(_click_ephemeral(bot, confirm, ANA))).status_code == 200
    (said,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "disconnected *Larkspur" in str(c.args.get("text"))
    )
    assert said.args["channel"] == CHANNEL
    assert "1 scheduled payment was cancelled and will not be paid" in said.args["text"]

    with pytest.raises(NotLinked):
        await bot.services.links.link_for(TEAM, CHANNEL)
    await bot.command("/bills", user=ANA)
    await bot.slack.wait_for_responses(
        where=lambda r: "isn't linked to a company yet" in str(r.get("text"))
    )
    async with bot.services.db.read() as s:
        actions = list(
            await s.execute(
                select(AuditEvent.action, AuditEvent.actor, AuditEvent.details).where(
                    AuditEvent.company_id == link.company_id,
                    AuditEvent.action.in_(("channel_disconnected", "payment_cancelled")),
                )
            )
        )
        payment = await s.scalar(select(Payment).order_by(Payment.id.desc()))
    assert [(a, actor) for a, actor, _ in actions] == [
        ("payment_cancelled", ANA),
        ("channel_disconnected", ANA),
    ]
    assert actions[0][2]["reason"] == "channel_disconnected"
    assert payment is not None and payment.status == PaymentStatus.CANCELLED

    # The payment's date comes: nothing is paid.
    bot.services.clock.set(lambda: NOW + timedelta(days=3))
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill_id) == 0


@pytest.mark.bot(approvers=[ANA])
async def test_only_an_approver_disconnects(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/billpay", "disconnect", user=BEN)
    await _refusal(bot, "can disconnect this channel")
    assert (await bot.services.links.link_for(TEAM, CHANNEL)).company_name == DEMO_COMPANY_NAME


async def test_a_channel_linked_shows_in_the_homes_open(bot: Bot) -> None:
    bot.services.must_publish().homes.delay = 0.05
    event = bot.requests.event({"type": "app_home_opened", "user": BEN, "tab": "home"})
    assert (await bot.send(event)).status_code == 200
    (first,) = await bot.slack.wait_for("views.publish")
    assert "No channel is linked yet" in str(first.args["view"])

    await bot.command("/billpay", CONNECT_DEMO, user=ANA)

    (_, again) = await bot.slack.wait_for("views.publish", count=2)
    assert again.args["user_id"] == BEN
    assert "No channel is linked yet" not in str(again.args["view"])
    assert f"<#{CHANNEL}>" in str(again.args["view"])
