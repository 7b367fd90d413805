"""Daily digests end to end through the fake Slack: set up when a channel is linked, posted at
the channel's local time once a day however many schedulers tick (daylight-saving days
included), caught up within the grace window, worded when the bills can't be read, paused when
the channel is gone, set from `/billpay digest`, and waiting on the members of a user group
of approvers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from billpay.digest import store as digest_store
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Input
from billpay.store.models import AuditEvent, MirroredBill, MirrorState
from testkit.bot import Bot
from testkit.world import ANA, BEN, CHANNEL, CONNECT_DEMO, EVE
from tests.slack.handlers.test_settings import _policy_form, _submit_saved

LONDON = ZoneInfo("Europe/London")


def _at(bot: Bot, when: datetime) -> None:
    bot.services.clock.set(lambda: when)


def _local(day: str, hh_mm: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.fromisoformat(f"{day}T{hh_mm}:00").replace(tzinfo=zone)


def _digests(bot: Bot) -> list[dict]:
    return [
        call.args
        for call in bot.slack.calls_to("chat.postMessage")
        if call.args.get("channel") == CHANNEL
        and ("Bills due" in json.dumps(call.args) or "Nothing needs attention" in str(call.args))
    ]


async def _subscription(bot: Bot):  # type: ignore[no-untyped-def]
    link = await bot.services.links.link_for("T0001", CHANNEL)
    found = await digest_store.subscription_for_link(bot.services.db, link.id)
    assert found is not None
    return found


async def _saved(bot: Bot, user: str, local_time: str) -> None:
    """The form is acknowledged before it is saved: wait for the ephemeral that says it was."""
    await bot.slack.wait_for(
        "chat.postEphemeral",
        where=lambda c: c.args.get("user") == user and local_time in c.args.get("text", ""),
    )


async def test_linking_sets_up_a_digest_in_the_linkers_time_zone(linked_bot: Bot) -> None:
    sub = await _subscription(linked_bot)
    assert sub.local_time.strftime("%H:%M") == "09:00" and sub.weekdays == (1, 2, 3, 4, 5)
    assert sub.time_zone == linked_bot.slack.users.get(ANA, {}).get("tz", "Europe/London")


async def test_the_digest_goes_out_at_nine_local_once(linked_bot: Bot) -> None:
    bot = linked_bot
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone="Europe/London"
    )
    _at(bot, _local("2026-11-23", "08:59"))  # a Monday
    await Scheduler(bot.services).send_due_digests()
    assert _digests(bot) == []
    _at(bot, _local("2026-11-23", "09:00"))
    await asyncio.gather(
        Scheduler(bot.services).send_due_digests(), Scheduler(bot.services).send_due_digests()
    )
    _at(bot, _local("2026-11-23", "09:01"))
    await Scheduler(bot.services).send_due_digests()
    (digest,) = _digests(bot)
    text = json.dumps(digest, ensure_ascii=False)
    assert "overdue" in text and "Larkspur Design Studio Ltd" in text
    assert len(digest["blocks"]) <= 50
    bot.slack.assert_no_problems()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/London", "2026-03-30"),  # the Monday after the clocks went forward
        ("Europe/London", "2026-10-26"),  # ... went back
        ("America/New_York", "2026-03-09"),
        ("America/New_York", "2026-11-02"),
    ],
)
async def test_nine_local_on_the_days_the_clocks_change(
    linked_bot: Bot, zone: str, day: str
) -> None:
    bot = linked_bot
    # Posted even when nothing is due: in March, the demo's bills are far ahead.
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone=zone, post_when_empty=True
    )
    before = _local(day, "08:59", ZoneInfo(zone))
    _at(bot, before)
    await Scheduler(bot.services).send_due_digests()
    assert _digests(bot) == []
    for minutes in range(1, 5):
        _at(bot, before + timedelta(minutes=minutes))
        await Scheduler(bot.services).send_due_digests()
    assert len(_digests(bot)) == 1


@pytest.mark.parametrize(("restart", "posted"), [("11:30", 1), ("12:30", 0)])
async def test_a_restart_catches_up_within_the_grace_window_only(
    linked_bot: Bot, restart: str, posted: int
) -> None:
    bot = linked_bot
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone="Europe/London"
    )
    _at(bot, _local("2026-11-23", restart))  # the bot was down at 09:00
    await Scheduler(bot.services).send_due_digests()
    assert len(_digests(bot)) == posted


async def test_unreadable_bills_are_said_once(linked_bot: Bot) -> None:
    bot = linked_bot
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone="Europe/London"
    )
    # Digests read the mirror: bills go unread when it was never filled and the API refuses.
    async with bot.services.db.write() as s:
        await s.execute(delete(MirrorState))
        await s.execute(delete(MirroredBill))
    bot.sandbox.faults.fail_operation("list-bills", 403, count=10)
    for minute in ("09:00", "09:01"):
        _at(bot, _local("2026-11-23", minute))
        await Scheduler(bot.services).send_due_digests()
    said = [c for c in bot.slack.calls_to("chat.postMessage") if "couldn't read" in str(c.args)]
    assert len(said) == 1 and said[0].args["channel"] == CHANNEL


async def test_the_digest_goes_out_from_the_mirror_while_the_api_refuses(linked_bot: Bot) -> None:
    bot = linked_bot
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone="Europe/London"
    )
    bot.sandbox.faults.fail_operation("list-bills", 403, count=10)
    _at(bot, _local("2026-11-23", "09:00"))
    await Scheduler(bot.services).send_due_digests()
    posted = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert posted and not [c for c in posted if "couldn't read" in str(c.args)]


async def test_a_channel_the_bot_left_pauses_its_digest(linked_bot: Bot) -> None:
    bot = linked_bot
    await digest_store.update_subscription(
        bot.services.db, (await _subscription(bot)).id, time_zone="Europe/London"
    )
    bot.slack.not_in_channel.add(CHANNEL)
    _at(bot, _local("2026-11-23", "09:00"))
    await Scheduler(bot.services).send_due_digests()
    sub = await _subscription(bot)
    assert sub.paused and "no longer in the channel" in (sub.paused_reason or "")
    (dm,) = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == ANA]
    assert "paused the daily digest" in dm.args["text"]
    async with bot.services.db.read() as s:
        events = list(await s.scalars(select(AuditEvent.action)))
    assert "digest_paused" in events
    bot.slack.take_problems()


async def test_digest_settings_from_slack(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    await bot.command("/billpay", "digest", user=ANA)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    ack = await bot.submit(view, {"digest_time": "25:00", "digest_zone": "Mars/Base"}, user=ANA)
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"digest_time", "digest_zone"}
    ack = await bot.submit(
        view,
        {"digest_time": "07:30", "digest_zone": "America/New_York", "digest_look_ahead": "14"},
        user=ANA,
    )
    assert ack == {}
    await _saved(bot, ANA, "07:30")
    sub = await _subscription(bot)
    assert (sub.local_time.strftime("%H:%M"), sub.time_zone, sub.look_ahead_days) == (
        "07:30",
        "America/New_York",
        14,
    )
    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=ANA)
    (status,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "07:30 America/New_York on Mon, Tue, Wed, Thu, Fri" in status["text"]

    await bot.command("/billpay", "digest now", user=ANA)
    await bot.slack.wait_for("chat.postMessage", where=lambda c: "Bills due" in json.dumps(c.args))


async def test_a_french_reader_sets_the_digest_time_as_french_writes_it(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"locale": "fr-FR", "tz": "Europe/Paris", "is_admin": True}
    await bot.command("/billpay", "digest", user=BEN)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    ack = await bot.submit(view, {"digest_time": "7h30", "digest_zone": "Europe/Paris"}, user=BEN)
    assert ack == {}, ack
    await _saved(bot, BEN, "07:30")
    sub = await _subscription(bot)
    assert (sub.local_time.strftime("%H:%M"), sub.time_zone) == ("07:30", "Europe/Paris")
    ack = await bot.submit(view, {"digest_time": "25h", "digest_zone": "Europe/Paris"}, user=BEN)
    assert ack["errors"]["digest_time"] == (
        "«\xa025h\xa0» n’est pas une heure\xa0: écrivez-la comme 7h30 ou 07:30, de 0h00 à 23h59."
    )


async def test_a_digest_button_opens_the_matching_list(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/billpay", "digest now", user=ANA)
    (posted,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Bills due" in json.dumps(c.args)
    )
    message = bot.slack.message(CHANNEL, posted.response["ts"])
    before = len(bot.slack.calls_to("chat.postMessage"))
    await bot.send(bot.requests.click(message, "digest_open_overdue", user_id=ANA))
    (listing,) = (await bot.slack.wait_for("chat.postMessage", count=before + 1))[before:]
    assert "7 overdue bills" in listing.args["text"]


async def test_relinking_says_when_the_digest_comes_as_it_was_set(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_owner": True}
    await bot.command("/billpay", "digest", user=ANA)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    assert await bot.submit(view, {"digest_time": "07:30"}, user=ANA) == {}

    before = len(bot.slack.responses)
    await bot.command("/billpay", CONNECT_DEMO, user=BEN)
    (relinked,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert "re-linked this channel" in relinked["text"]
    assert "09:00" not in relinked["text"]
    assert "Daily digest: 07:30 Europe/London on Mon, Tue, Wed, Thu, Fri" in relinked["text"]


async def test_the_digest_waits_on_the_members_of_the_approvers_user_group(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    bot.slack.usergroups["S0FIN"] = {"handle": "finance-approvers", "users": [BEN, EVE]}
    view = await _policy_form(bot, ANA)
    await _submit_saved(bot, view, {Input.POLICY_GROUP: "S0FIN"}, ANA)

    await bot.command("/billpay", "digest now", user=ANA)
    (posted,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Bills due" in json.dumps(c.args)
    )

    text = json.dumps(posted.args)
    assert "Anyone in the channel may approve them" not in text
    assert "Waiting on <@U0BEN> (" in text and "<@U0EVE> (" in text

    # Slack can't say who is in the group now: the digest names nobody rather than "anyone".
    del bot.slack.usergroups["S0FIN"]
    before = len(bot.slack.calls_to("chat.postMessage"))
    await bot.command("/billpay", "digest now", user=ANA)
    (posted,) = (await bot.slack.wait_for("chat.postMessage", count=before + 1))[before:]
    text = json.dumps(posted.args)
    assert "Awaiting approval" in text and "Waiting on" not in text
    assert "Anyone in the channel may approve them" not in text


async def test_only_those_who_may_change_settings_change_the_digest_audited_before_and_after(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    before = len(bot.slack.responses)
    await bot.command("/billpay", "digest", user=BEN)
    (refused,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert refused["text"] == (
        "Only the workspace's admins and owners can change these settings. Nothing was changed."
    )
    assert not bot.slack.calls_to("views.open")

    bot.slack.users[ANA] = {"is_admin": True}
    await bot.command("/billpay", "digest", user=ANA)
    view = (await bot.slack.wait_for("views.open"))[-1].response["view"]
    # A form an admin opened is refused to someone else who submits it.
    ack = await bot.submit(view, {"digest_time": "06:00"}, user=BEN)
    assert ack["response_action"] == "update"
    assert "Only the workspace's admins and owners" in ack["view"]["blocks"][0]["text"]["text"]
    assert (await _subscription(bot)).local_time.strftime("%H:%M") == "09:00"

    assert await bot.submit(view, {"digest_time": "07:30"}, user=ANA) == {}
    await _saved(bot, ANA, "07:30")
    async with bot.services.db.read() as s:
        (event,) = await s.scalars(select(AuditEvent).where(AuditEvent.action == "digest_changed"))
    assert event.actor == ANA
    assert (event.details["before"]["time"], event.details["after"]["time"]) == ("09:00", "07:30")
