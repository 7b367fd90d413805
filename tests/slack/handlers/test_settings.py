"""Settings in Slack, end to end over signed HTTP through the Slack fake: `/billpay policy`
opens the channel's policy form for a workspace admin (as `users.info` says) or someone named,
refuses anyone else with who can, names each mistake on its field, saves the policy with an
audit event holding the terms before and after, and a user group of approvers is read from
Slack when someone decides, so a change of membership applies at once. `/billpay admins`
changes who is named."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseState
from billpay.runtime.scheduler import Scheduler
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.store.models import AuditEvent, Policy
from testkit.bot import Bot
from testkit.world import ANA, BEN, EVE, NOW, SAM
from tests.slack.handlers.test_bills_flow import _open_bill
from tests.slack.handlers.test_connect import _click_ephemeral
from tests.slack.handlers.test_duties import _click_approve
from tests.slack.handlers.test_home import _home


async def _answer(bot: Bot, text: str, user: str) -> str:
    before = len(bot.slack.responses)
    await bot.command("/billpay", text, user=user)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


async def _policy_form(bot: Bot, user: str) -> dict[str, Any]:
    opened = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "policy", user=user)
    view = await bot.modal(opened)
    assert view["callback_id"] == Callback.POLICY
    return view


async def _submit_saved(bot: Bot, view: dict[str, Any], inputs: dict[str, Any], user: str) -> None:
    """Submit the policy form and wait until the bot says it saved it."""
    told = len(bot.slack.calls_to("chat.postEphemeral"))
    assert await bot.submit(view, inputs, user=user) == {}
    await bot.slack.wait_for(
        "chat.postEphemeral", where=lambda c: "Saved" in c.args["text"], count=told + 1
    )


async def _saved_policy(bot: Bot) -> Policy:
    async with bot.services.db.read() as s:
        row = await s.scalar(select(Policy))
    assert row is not None
    return row


async def _events(bot: Bot, action: str) -> list[AuditEvent]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def test_an_admin_changes_the_policy_each_mistake_named_and_the_change_audited(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    view = await _policy_form(bot, ANA)

    ack = await bot.submit(
        view,
        {Input.POLICY_THRESHOLD: "1,000 €", Input.POLICY_REMINDER: "9h"},
        user=ANA,
    )
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {
        Input.POLICY_THRESHOLD: "That amount is in EUR; this bill is in GBP.",
        Input.POLICY_REMINDER: "Enter a number of hours from 0 (no reminders) to 720.",
    }
    assert await _events(bot, "policy_saved") == []

    await _submit_saved(
        bot,
        view,
        {
            Input.POLICY_APPROVERS: [BEN, SAM],
            Input.POLICY_PAYERS: [EVE],
            Input.POLICY_THRESHOLD: "£2,500.50",
            Input.POLICY_REMINDER: "8",
        },
        ANA,
    )
    row = await _saved_policy(bot)
    assert (row.approvers, row.payers, row.dual_approval_threshold, row.reminder_hours) == (
        [BEN, SAM],
        [EVE],
        Decimal("2500.50"),
        8,
    )
    (event,) = await _events(bot, "policy_saved")
    assert event.actor == ANA
    assert event.details["before"] == {
        "approvers": [],
        "approver_group": None,
        "payers": [],
        "dual_approval_threshold": None,
        "approver_may_pay": False,
        "reminder_hours": 24,
    }
    assert event.details["after"] == {
        "approvers": [BEN, SAM],
        "approver_group": None,
        "payers": [EVE],
        "dual_approval_threshold": "2500.5",
        "approver_may_pay": False,
        "reminder_hours": 8,
    }
    # The form shows what was saved when opened again.
    again = await _policy_form(bot, ANA)
    blocks = {b.get("block_id"): b for b in again["blocks"]}
    assert blocks[Input.POLICY_APPROVERS]["element"]["initial_users"] == [BEN, SAM]
    assert blocks[Input.POLICY_THRESHOLD]["element"]["initial_value"] == "£2,500.50"
    # And the policy applies: Ana is no approver any more.
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    answer = await _click_approve(bot, message, bill_id, ANA)
    assert answer.startswith("Only <@U0BEN> or <@U0SAM> can approve bills in this channel.")


@pytest.mark.bot(admins="U0SAM")
async def test_someone_not_an_admin_is_refused_and_told_who_can(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[EVE] = {"is_admin": False, "is_owner": False}
    answer = await _answer(bot, "policy", EVE)
    assert answer == (
        "Only the workspace's admins and owners, and <@U0SAM>, can change these settings. "
        "Nothing was changed."
    )
    assert bot.slack.calls_to("views.open") == []

    # Named in the configuration: Sam may; an owner may; both add an admin.
    await _policy_form(bot, SAM)
    assert "can now change" in await _answer(bot, "admins add <@U0EVE|eve>", SAM)
    await _policy_form(bot, EVE)
    (added,) = await _events(bot, "admin_added")
    assert (added.actor, added.details) == (SAM, {"before": [SAM], "after": [SAM, EVE]})
    assert "can no longer" in await _answer(bot, "admins remove <@U0EVE|eve>", SAM)
    assert "Only the workspace's admins" in await _answer(bot, "policy", EVE)
    assert "Only the workspace's admins" in await _answer(bot, "admins add <@U0EVE>", EVE)


async def test_a_form_opened_by_an_admin_is_refused_once_they_are_no_longer_one(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_owner": True}
    view = await _policy_form(bot, ANA)
    bot.slack.users[ANA] = {"is_owner": False}

    ack = await bot.submit(view, {Input.POLICY_APPROVERS: [ANA]}, user=ANA)

    assert ack["response_action"] == "update"
    assert ack["view"]["blocks"][0]["text"]["text"] == (
        ":x: Only the workspace's admins and owners can change these settings. Nothing was changed."
    )
    row = await _saved_policy(bot)
    assert row.approvers == []
    assert await _events(bot, "policy_saved") == []


async def test_a_user_group_of_approvers_is_read_from_slack_when_someone_decides(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    bot.slack.usergroups["S0FIN"] = {"handle": "finance-approvers", "users": [BEN]}
    view = await _policy_form(bot, ANA)
    group_block = next(b for b in view["blocks"] if b.get("block_id") == Input.POLICY_GROUP)
    assert "@finance-approvers" in str(group_block["element"]["options"])
    await _submit_saved(bot, view, {Input.POLICY_GROUP: "S0FIN"}, ANA)
    assert (await _saved_policy(bot)).approver_group == "S0FIN"

    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)
    answer = await _click_approve(bot, message, bill_id, EVE)
    assert answer.startswith("Only <!subteam^S0FIN> can approve bills in this channel.")

    bot.slack.usergroups["S0FIN"]["users"] = [BEN, EVE]  # Eve joins the group in Slack
    await bot.click(message, Action.APPROVE, bill_id, user=EVE)
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0EVE>")
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    assert bot.slack.calls_to("usergroups.users.list")


async def test_the_channels_reminder_interval_and_group_drive_its_reminders(
    linked_bot: Bot,
) -> None:
    """Saved every 6 hours (the configuration says 24): a bill waiting 23 hours reminds the
    group's members, read from Slack."""
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    bot.slack.usergroups["S0FIN"] = {"handle": "finance-approvers", "users": [BEN]}
    view = await _policy_form(bot, ANA)
    await _submit_saved(bot, view, {Input.POLICY_GROUP: "S0FIN", Input.POLICY_REMINDER: "6"}, ANA)
    message = await bot.bills(user=ANA)
    await _open_bill(bot, message)

    bot.services.clock.set(lambda: NOW + timedelta(hours=23))  # Monday 09:00
    await Scheduler(bot.services).send_reminders()

    reminders = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == BEN]
    assert reminders and "has waited 23 hours for your approval" in str(reminders[0].args["text"])


def _group_reads(bot: Bot) -> int:
    return len(bot.slack.calls_to("usergroups.users.list"))


async def test_a_group_is_read_once_a_minute_for_homes_and_reminders_and_afresh_to_decide(
    linked_bot: Bot,
) -> None:
    """The Homes refreshed after a change and the reminders' tick read a user group of
    approvers from a cache of a minute; a decision reads it from Slack, so someone just
    removed from the group no longer approves."""
    bot = linked_bot
    bot.slack.users[ANA] = {"is_admin": True}
    bot.slack.usergroups["S0FIN"] = {"handle": "finance-approvers", "users": [BEN, EVE]}
    view = await _policy_form(bot, ANA)
    await _submit_saved(bot, view, {Input.POLICY_GROUP: "S0FIN", Input.POLICY_REMINDER: "6"}, ANA)
    message = await bot.bills(user=ANA)
    bill_id = await _open_bill(bot, message)

    reads = _group_reads(bot)
    for user in (BEN, EVE, BEN):
        home = await _home(bot, user)
        assert "Waiting for your approval (25)" in str(home["blocks"])
    assert _group_reads(bot) - reads <= 1

    reads = _group_reads(bot)
    bot.services.clock.set(lambda: NOW + timedelta(hours=23))
    await Scheduler(bot.services).send_reminders()
    reminded = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == EVE]
    assert len(reminded) >= 10  # many bills remind the group's members…
    assert _group_reads(bot) - reads <= 1  # …from one read of the group at most

    bot.slack.usergroups["S0FIN"]["users"] = [BEN]  # Eve leaves the group in Slack
    answer = await _click_approve(bot, message, bill_id, EVE)
    assert answer.startswith("Only <!subteam^S0FIN> can approve bills in this channel.")
    assert await bot.case_state(bill_id) == CaseState.PENDING


async def test_the_status_answer_s_policy_button_opens_the_form_for_admins_only(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    before = len(bot.slack.responses)
    await bot.command("/billpay", "status", user=EVE)
    (status,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    (button,) = status["blocks"][1]["elements"]
    assert button["text"]["text"] == "Change the policy…"

    before = len(bot.slack.responses)
    assert (await bot.send(_click_ephemeral(bot, status, EVE))).status_code == 200
    (refused,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert refused["text"] == (
        "Only the workspace's admins and owners can change these settings. Nothing was changed."
    )
    assert not bot.slack.calls_to("views.open")

    bot.slack.users[ANA] = {"is_admin": True}
    opened = len(bot.slack.calls_to("views.open"))
    assert (await bot.send(_click_ephemeral(bot, status, ANA))).status_code == 200
    view = await bot.modal(opened)
    assert view["callback_id"] == Callback.POLICY
    await _submit_saved(bot, view, {Input.POLICY_APPROVERS: [ANA, BEN]}, ANA)
    assert (await _saved_policy(bot)).approvers == [ANA, BEN]
