"""The App Home as a person's queue, end to end through the app: what an approver and a payer
see, that drawing it never calls the payables API, that a long queue stays within Slack's 100
blocks, approving several bills at once (one refused, the others approved, their cards updated),
a scheduled payment cancelled from it, and a Home refreshed after someone else's approval."""

from __future__ import annotations

import asyncio
import copy
import re
from decimal import Decimal
from typing import Any

import pytest

from billpay.core.domain import CaseState
from billpay.mirror import store
from billpay.slack.app import listeners_settled
from billpay.slack.blocks.home.values import HomeAction, HomeCallback, pick_action
from billpay.slack.blocks.ids import Action, Input
from testkit.bot import Bot, bill_ids, card_text
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM, TEAM
from tests.slack.handlers.test_bills_flow import _pay_modal
from tests.slack.handlers.test_cards_stay_true import _paid_elsewhere
from tests.slack.handlers.test_connect import _click_ephemeral
from tests.slack.handlers.test_delegation import _approved_events
from tests.slack.handlers.test_duties import _create_bill
from tests.slack.handlers.test_pay_button import _click_pay

PERMALINK = re.compile(r"<https://[a-z0-9-]+\.slack\.com/archives/C0FIN/p[0-9]+\|")


def _publishes(bot: Bot, user: str) -> int:
    return len([c for c in bot.slack.calls_to("views.publish") if c.args["user_id"] == user])


async def _home(bot: Bot, user: str) -> dict[str, Any]:
    """`user` opens their App Home: the view the bot published, as Slack stores it."""
    before = _publishes(bot, user)
    event = bot.requests.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert (await bot.send(event)).status_code == 200
    return await _republished(bot, user, before)


async def _republished(bot: Bot, user: str, before: int) -> dict[str, Any]:
    (call, *_) = (
        await bot.slack.wait_for(
            "views.publish", count=before + 1, where=lambda c: c.args["user_id"] == user
        )
    )[before:]
    assert call.ok, call.response
    return copy.deepcopy(bot.slack.home_views[user])


def _headers(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def _section_after(view: dict[str, Any], header: str) -> list[str]:
    """The texts of the blocks under a header, up to the next one."""
    texts: list[str] = []
    inside = False
    for block in view["blocks"]:
        if block["type"] == "header":
            inside = block["text"]["text"].startswith(header)
            continue
        if inside and block["type"] == "section":
            texts.append(block["text"]["text"])
        elif inside and block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    return texts


def _waiting_values(view: dict[str, Any]) -> list[str]:
    """The option values of the Waiting section's checkboxes, in order."""
    return [
        b["accessory"]["options"][0]["value"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("type") == "checkboxes"
    ]


async def _approve(bot: Bot, message: dict[str, Any], bill_id: str, user: str) -> dict[str, Any]:
    await bot.click(message, Action.APPROVE, bill_id, user=user)
    return await bot.wait_for_card(message["ts"], bill_id, f"<@{user}>")


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_an_approver_sees_what_waits_for_them_and_a_payer_what_to_pay(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    first, second = bill_ids(message)[:2]
    home = await _home(bot, ANA)
    assert _headers(home)[:6] == [
        "Bill Pay",
        "Waiting for your approval (25)",
        "Ready for you to pay (0)",
        "Scheduled payments (0)",
        "Overdue per company",
        "Recent activity",
    ]
    waiting = _section_after(home, "Waiting for your approval")
    # Most overdue first, as `/bills` lists them; each line links to its card.
    supplier = card_text(message, first).split("*")[1]
    assert supplier in waiting[0] and PERMALINK.search(waiting[0])
    assert "overdue by" in waiting[0] and "£" in waiting[0]
    assert len(_waiting_values(home)) == 20
    assert waiting[-1] == "…and 5 more: use `/bills`"
    overdue = _section_after(home, "Overdue per company")
    assert len(overdue) == 1
    assert overdue[0].startswith("• <#C0FIN> *Larkspur Design Studio Ltd*: 7 overdue bills, £")

    # Sam may pay, not approve: nothing waits for him until Ana approves.
    sam_home = await _home(bot, SAM)
    assert _headers(sam_home)[1:3] == ["Waiting for your approval (0)", "Ready for you to pay (0)"]
    assert _section_after(sam_home, "Waiting")[0] == "Nothing is waiting for your approval."
    await _approve(bot, message, first, ANA)
    await _approve(bot, message, second, ANA)
    sam_home = await _home(bot, SAM)
    ready = _section_after(sam_home, "Ready for you to pay (2)")
    assert supplier in ready[0] and PERMALINK.search(ready[0])
    assert _waiting_values(sam_home) == []
    activity = _section_after(sam_home, "Recent activity")[0]
    assert activity.startswith(f"• <@{ANA}> approved ")
    # Ana approved them: they leave her queue, and she may not pay them.
    ana_home = await _home(bot, ANA)
    assert _headers(ana_home)[1:3] == ["Waiting for your approval (23)", "Ready for you to pay (0)"]


async def test_a_home_costs_no_payables_call_and_one_publish(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.bills(user=ANA)  # one message of ten cards: ten lines of the Home link to it
    reads = len(bot.payables_transport.requests)
    home = await _home(bot, ANA)
    assert len(bot.payables_transport.requests) == reads
    assert len(bot.slack.calls_to("chat.getPermalink")) == 1
    assert len(PERMALINK.findall(str(home))) == 10
    # Opened again: one views.publish, the links to cards from the cache.
    calls = len(bot.slack.calls)
    await _home(bot, ANA)
    assert [c.method for c in bot.slack.calls[calls:]] == ["views.publish"]
    assert len(bot.payables_transport.requests) == reads


async def test_a_queue_of_300_bills_stays_within_100_blocks(linked_bot: Bot) -> None:
    bot = linked_bot
    link = await bot.services.links.link_for("T0001", CHANNEL)
    (model, *_) = await bot.services.mirror.outstanding_bills(link)
    extra = [
        model.model_copy(update={"id": f"extra-{n:03}", "reference": f"EXTRA-{n:03}"})
        for n in range(300)
    ]
    async with bot.services.db.write() as s:
        await store.put_bills(s, link.company_id, link.connection_id, extra, bot.services.clock())
    home = await _home(bot, ANA)
    assert len(home["blocks"]) <= 100
    assert _headers(home)[1] == "Waiting for your approval (325)"
    assert "…and 305 more: use `/bills`" in _section_after(home, "Waiting")


async def test_approving_several_bills_at_once_refuses_some_and_approves_the_others(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    home = await _home(bot, ANA)
    values = _waiting_values(home)[:4]
    chosen = [re.search(r'"b":"([^"]+)"', v).group(1) for v in values]  # type: ignore[union-attr]
    # While Ana's Home still offers them, Ben approves the second on its card and the fourth
    # is paid in full in the accounting platform.
    await _approve(bot, message, chosen[1], BEN)
    demo = bot.sandbox.demo
    paid = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, chosen[3])
    assert paid.currency == "GBP"
    await _paid_elsewhere(bot, chosen[3], paid.outstanding_amount)

    opened = len(bot.slack.calls_to("views.open"))
    inputs = {pick_action(n): [value] for n, value in enumerate(values)}
    request = bot.requests.click(home, HomeAction.APPROVE_SELECTED, user_id=ANA, inputs=inputs)
    assert (await bot.send(request)).status_code == 200
    modal = await bot.modal(opened)
    assert modal["callback_id"] == HomeCallback.BULK_APPROVE
    text = str(modal["blocks"])
    assert "Approve these 4 bills?" in text
    assert re.search(r"\*Total\*: [^']*£", text)

    ack = await bot.submit(modal, user=ANA)
    assert ack["response_action"] == "update"
    (result,) = await bot.slack.wait_for(
        "views.update",
        where=lambda c: c.args["view"].get("callback_id") == HomeCallback.RESULT,
    )
    lines = result.args["view"]["blocks"][1]["text"]["text"].split("\n")
    assert result.args["view"]["blocks"][0]["text"]["text"] == "2 of 4 approved."
    assert lines[0].startswith(":white_check_mark:") and lines[0].endswith(": Approved.")
    assert lines[1].startswith(":no_entry_sign:") and "already approved" in lines[1]
    assert lines[2].startswith(":white_check_mark:")
    assert lines[3].startswith(":no_entry_sign:") and "Paid in the accounting platform" in lines[3]
    for bill_id in (chosen[0], chosen[2]):
        assert await bot.case_state(bill_id) == CaseState.APPROVED
        card = await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")
        assert Action.PAY in str(card_text(card, bill_id))
    assert "<@U0ANA>" not in card_text(bot.message(message["ts"]), chosen[1])
    assert await bot.case_state(chosen[3]) == CaseState.CLOSED


async def test_a_home_is_refreshed_after_someone_elses_approval(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=BEN)
    home = await _home(bot, ANA)
    assert _headers(home)[1] == "Waiting for your approval (25)"
    before = _publishes(bot, ANA)
    bill_id = bill_ids(message)[0]
    await _approve(bot, message, bill_id, BEN)
    home = await _republished(bot, ANA, before)
    assert _headers(home)[1] == "Waiting for your approval (24)"
    assert _section_after(home, "Recent activity")[0].startswith(f"• <@{BEN}> approved ")


@pytest.mark.bot(dual_approval_threshold=Decimal(0))
async def test_several_changes_at_once_publish_a_home_once(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=BEN)
    await _home(bot, ANA)
    # A wider window than the second it waits in production, so a slow machine's four
    # clicks still fall inside it.
    bot.services.must_publish().homes.delay = 2.5
    before = _publishes(bot, ANA)
    for bill_id in bill_ids(message)[:4]:
        await bot.click(message, Action.APPROVE, bill_id, user=BEN)
    home = await _republished(bot, ANA, before)
    await listeners_settled()  # the clicks' runs, and any refresh still to come
    assert _publishes(bot, ANA) == before + 1
    waiting = _section_after(home, "Waiting")
    assert all("1 of 2" in line for line in waiting[:4]) and "0 of 2" in waiting[4]


async def test_a_scheduled_payment_is_cancelled_from_the_home(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    message = await _approve(bot, message, bill_id, ANA)
    view = await _pay_modal(bot, message, bill_id, SAM)
    await bot.submit(view, {"pay_date": "2026-12-15"}, user=SAM)
    await bot.wait_for_card(message["ts"], bill_id, "15 Dec 2026")
    home = await _home(bot, SAM)
    scheduled = _section_after(home, "Scheduled payments (1)")
    assert "on 15 Dec 2026" in scheduled[0]

    opened = len(bot.slack.calls_to("views.open"))
    request = bot.requests.click(home, HomeAction.CANCEL_PAYMENT, user_id=SAM)
    assert (await bot.send(request)).status_code == 200
    await bot.modal(opened)
    (told,) = await bot.slack.wait_for(
        "views.update",
        where=lambda c: c.args["view"].get("callback_id") == HomeCallback.RESULT,
    )
    assert "is cancelled" in str(told.args["view"]["blocks"])
    assert await bot.case_state(bill_id) == CaseState.APPROVED
    await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0ANA>")


async def test_a_french_reader_reads_their_home_in_french(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[EVE] = {"locale": "fr-FR"}
    home = await _home(bot, EVE)
    assert _headers(home)[1:4] == [
        "En attente de votre validation (25)",
        "Bon à payer pour vous (0)",
        "Règlements programmés (0)",
    ]
    assert "…et 5 de plus\u00a0: utilisez `/bills`" in _section_after(home, "En attente")


async def test_ticking_a_box_changes_nothing_and_approving_none_says_so(linked_bot: Bot) -> None:
    bot = linked_bot
    home = await _home(bot, ANA)
    value = _waiting_values(home)[0]
    calls = len(bot.slack.calls)
    tick = bot.requests.click(home, pick_action(0), user_id=ANA, option_value=[value])
    assert (await bot.send(tick)).status_code == 200
    await listeners_settled()
    assert bot.slack.calls[calls:] == []  # Slack keeps the tick; the bot has nothing to say

    opened = len(bot.slack.calls_to("views.open"))
    request = bot.requests.click(home, HomeAction.APPROVE_SELECTED, user_id=ANA)
    assert (await bot.send(request)).status_code == 200
    modal = await bot.modal(opened)
    assert "Tick the bills to approve in your App Home first." in str(modal["blocks"])
    assert _headers(await _home(bot, ANA))[1] == "Waiting for your approval (25)"


async def test_a_new_bill_waits_for_others_not_for_who_created_it(linked_bot: Bot) -> None:
    bot = linked_bot
    await _home(bot, BEN)
    before = _publishes(bot, BEN)
    card = await _create_bill(bot, "480.00")  # Ana creates it from Slack
    (bill_id,) = bill_ids(card)
    ben = await _republished(bot, BEN, before)  # refreshed: a new bill waits for him
    assert _headers(ben)[1] == "Waiting for your approval (26)"
    assert any("Northridge Office Supplies" in line for line in _section_after(ben, "Waiting"))
    ana = await _home(bot, ANA)
    assert _headers(ana)[1] == "Waiting for your approval (25)"
    assert bill_id not in str(_waiting_values(ana))


@pytest.mark.bot(approvers="U0ANA,U0SAM")
async def test_an_away_approvers_bills_wait_in_their_delegates_home(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/billpay", "away <@U0BEN|ben>", user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.bills(user=ANA)
    # Ana is at her desk: Ben, who may not approve, has nothing waiting.
    assert _headers(await _home(bot, BEN))[1] == "Waiting for your approval (0)"

    bot.slack.users[ANA] = {"profile": {"status_emoji": ":palm_tree:"}}
    home = await _home(bot, BEN)
    assert _headers(home)[1] == "Waiting for your approval (25)"
    assert len(_waiting_values(home)) == 20


async def test_a_disconnected_channels_bills_leave_every_home(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.bills(user=ANA)
    assert _headers(await _home(bot, ANA))[1] == "Waiting for your approval (25)"
    assert _headers(await _home(bot, BEN))[1] == "Waiting for your approval (25)"
    ana, ben = _publishes(bot, ANA), _publishes(bot, BEN)

    await bot.command("/billpay", "disconnect", user=ANA)
    (confirm,) = await bot.slack.wait_for_responses(
        where=lambda r: "Disconnect *Larkspur" in str(r.get("text"))
    )
    assert (await bot.send(_click_ephemeral(bot, confirm, ANA))).status_code == 200

    for user, before in ((ANA, ana), (BEN, ben)):
        home = await _republished(bot, user, before)
        assert _headers(home) == ["Bill Pay"]  # no queue: the channel was its only one
        assert "No channel is linked yet." in str(home["blocks"])


async def test_a_workspace_that_uninstalled_gets_no_home_refresh(linked_bot: Bot) -> None:
    bot = linked_bot
    await _home(bot, ANA)
    bot.services.must_publish().homes.delay = 0.05
    bot.slack.uninstall(TEAM)
    event = bot.requests.event({"type": "app_uninstalled"})
    assert (await bot.send(event)).status_code == 200
    await listeners_settled()
    before = _publishes(bot, ANA)

    # Something changes one of its bills all the same (a webhook from the platform, say).
    bot.services.must_publish().homes.changed(TEAM)
    await asyncio.sleep(0.2)
    await listeners_settled()

    assert _publishes(bot, ANA) == before


async def _bulk_approve(bot: Bot, user: str, count: int, bill_id: str | None = None) -> list[str]:
    """`user` ticks the first `count` bills of their Home (or that of `bill_id`) and approves
    them: the result's lines."""
    home = await _home(bot, user)
    shown = _waiting_values(home)
    ticked = [n for n, v in enumerate(shown) if bill_id is None or bill_id in v][:count]
    assert ticked
    opened = len(bot.slack.calls_to("views.open"))
    inputs = {pick_action(n): [shown[n]] for n in ticked}
    request = bot.requests.click(home, HomeAction.APPROVE_SELECTED, user_id=user, inputs=inputs)
    assert (await bot.send(request)).status_code == 200
    modal = await bot.modal(opened)

    def result(call: Any) -> bool:
        return bool(call.args["view"].get("callback_id") == HomeCallback.RESULT)

    before = len([c for c in bot.slack.calls_to("views.update") if result(c)])
    await bot.submit(modal, user=user)
    (*_, told) = await bot.slack.wait_for("views.update", count=before + 1, where=result)
    return str(told.args["view"]["blocks"][1]["text"]["text"]).split("\n")


@pytest.mark.bot(approvers="U0ANA,U0SAM")
async def test_a_delegate_approves_from_the_home_for_the_away_approver(linked_bot: Bot) -> None:
    """As a card's Approve: the cards say "for @ana", the audit names both, and neither Ben
    nor Ana may pay what he approved."""
    bot = linked_bot
    await bot.command("/billpay", "away <@U0BEN|ben>", user=ANA)
    await bot.slack.wait_for_responses(count=1)
    message = await bot.bills(user=ANA)
    bot.slack.users[ANA] = {"profile": {"status_emoji": ":palm_tree:"}}

    lines = await _bulk_approve(bot, BEN, 2)

    assert all(line.endswith(": Approved.") for line in lines), lines
    approved = [b for b in bill_ids(message) if await bot.case_state(b) == CaseState.APPROVED]
    assert len(approved) == 2
    for bill_id in approved:
        await bot.wait_for_card(message["ts"], bill_id, "Approved by <@U0BEN> for <@U0ANA>")
        assert await _approved_events(bot, bill_id) == [(BEN, ANA)]
    for payer in (BEN, ANA):
        answer = await _click_pay(bot, bot.message(message["ts"]), approved[0], payer)
        assert answer.startswith("You approved this bill, and this channel's policy asks"), payer

    # A bill Ana brought in is not hers to approve, nor Ben's for her.
    card = await _create_bill(bot, "120.00", requested_by=ANA)
    (created,) = bill_ids(card)
    (line,) = await _bulk_approve(bot, BEN, 1, created)
    assert line.startswith(":no_entry_sign:")
    assert "<@U0ANA>, for whom you decide while they are away, brought this bill in" in line
    assert await bot.case_state(created) == CaseState.PENDING
    assert await _approved_events(bot, created) == []


@pytest.mark.bot(approvers=[ANA])
async def test_a_policy_saved_or_a_delegate_named_redraws_the_homes_it_changes(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    bot.services.must_publish().homes.delay = 0.05
    await bot.bills(user=ANA)
    bot.slack.users[ANA] = {"is_admin": True}
    assert _headers(await _home(bot, BEN))[1] == "Waiting for your approval (0)"
    assert _headers(await _home(bot, EVE))[1] == "Waiting for your approval (0)"

    # Ana names Ben an approver: his open Home shows what now waits for him.
    before = _publishes(bot, BEN)
    opened = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "policy", user=ANA)
    form = await bot.modal(opened)
    assert await bot.submit(form, {Input.POLICY_APPROVERS: [ANA, BEN]}, user=ANA) == {}
    home = await _republished(bot, BEN, before)
    assert _headers(home)[1] == "Waiting for your approval (25)"

    # Ana, away from today, names Eve: Ana's bills wait in Eve's open Home. (The policy
    # saved above may redraw Eve's Home too, before or after this: wait for the one that
    # shows Ana's bills.)
    today = bot.services.delegations.today().isoformat()
    await bot.command("/billpay", f"away <@U0EVE|eve> from {today} until 2026-12-24", user=ANA)
    await bot.slack.wait_for(
        "views.publish",
        where=lambda c: (
            c.args["user_id"] == EVE and "Waiting for your approval (25)" in str(c.args["view"])
        ),
    )
