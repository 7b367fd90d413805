"""The playground's page, through the requests its script makes, against the real bot over HTTP
(signed as Slack signs) and the payables sandbox: what a person does reaches the bot as Slack
would send it, and what the bot answers shows where Slack would show it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete

from billpay.slack.blocks.ids import Action, Input, MoreOption, card_actions_block
from billpay.slack.blocks.metadata import MoreAction
from billpay.slack.budget import PATIENCE_SECONDS
from billpay.store.db import Database
from billpay.store.models import Claim, MirroredBill, MirrorState
from payables_sandbox.app import Sandbox
from slack_playground.page import APPROVERS, CHANNEL, PAYERS, Playground
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, running_bot
from testkit.world import NOW

ANA, SAM, LEA = "U0ANA", "U0SAM", "U0LEA"


@dataclass
class Page:
    """The page's script, as a person's browser would run it."""

    http: httpx.AsyncClient
    playground: Playground
    bot: Bot

    async def post(self, path: str, user: str = ANA, **body: Any) -> dict[str, Any]:
        response = await self.http.post(path, json={"user": user, **body})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def state(self, user: str = ANA, thread: str = "") -> dict[str, Any]:
        response = await self.http.get("/ui/state", params={"user": user, "thread": thread})
        assert response.status_code == 200
        result: dict[str, Any] = response.json()
        return result

    async def open(self) -> None:
        """Open the page for the first time: the channel gets linked."""
        response = await self.http.get("/")
        assert response.status_code == 200
        await self.playground.wait_for_responses()

    async def command(self, text: str, user: str = ANA) -> dict[str, Any]:
        return await self.post("/ui/command", user, text=text)

    def newest_message(self) -> dict[str, Any]:
        channel_messages = [m for (c, _), m in self.playground.messages.items() if c == CHANNEL]
        return max(channel_messages, key=lambda m: float(m["ts"]))

    def card_block(self, message: dict[str, Any], reference: str) -> str:
        for block in message["blocks"]:
            if reference in str(block.get("text", "")):
                return str(block["block_id"]).split(":", 1)[1]
        raise AssertionError(f"no card for {reference}")

    async def bills(self, user: str = ANA) -> dict[str, Any]:
        """Run `/bills`; the message it posted, once the bot has recorded it (clicks need it)."""
        before = len(self.playground.calls_to("chat.postMessage"))
        await self.command("/bills", user)
        await self.playground.wait_for("chat.postMessage", count=before + 1)
        message = self.newest_message()
        for _ in range(500):
            if await self.bot.services.messages.get(CHANNEL, message["ts"]) is not None:
                break
            await asyncio.sleep(0.01)
        return message


@pytest.fixture
async def page(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Page]:
    playground = Playground(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await playground.start()
    try:
        async with (
            running_bot(sandbox, bot_db, playground, approvers=APPROVERS, payers=PAYERS) as bot,
            httpx.AsyncClient(
                base_url=playground.base_url,
                cookies={playground.cookie_name: playground.token},
                timeout=30,
            ) as http,
        ):
            playground.request_url = f"{bot.url}/slack/events"
            yield Page(http=http, playground=playground, bot=bot)
    finally:
        await playground.stop()


async def test_first_open_links_the_channel_once(page: Page) -> None:
    first = await page.http.get("/")
    assert first.status_code == 200
    assert "# finance" in first.text
    await page.playground.wait_for_responses()
    await page.http.get("/")
    state = await page.state()
    assert state["channel"].count("linked this channel to") == 1
    assert "Larkspur Design Studio Ltd" in state["channel"]
    assert state["problems"] == []


async def test_a_reply_only_the_person_sees_is_shown_to_them_only(page: Page) -> None:
    await page.command("/bills", SAM)  # not linked yet: the bot answers Sam alone
    await page.playground.wait_for_responses()
    sam, ana = await page.state(SAM), await page.state(ANA)
    assert "Only visible to you" in sam["channel"]
    assert "Only visible to you" not in ana["channel"]


async def test_bills_while_the_payables_api_is_slow_shows_reading_bills_then_the_cards(
    page: Page,
) -> None:
    await page.open()
    # As if the mirror had never been filled: a filled one answers `/bills` with no call.
    async with page.bot.services.db.write() as s:
        await s.execute(delete(MirrorState))
        await s.execute(delete(MirroredBill))
        await s.execute(delete(Claim))  # the fill's claim, done
    gate = page.bot.hold_payables()
    before = len(page.playground.responses)
    await page.command("/bills")
    await gate.reached()
    page.bot.services.clock.set(lambda: NOW + timedelta(seconds=PATIENCE_SECONDS))
    await page.playground.wait_for_responses(count=before + 1)
    assert gate.holding
    channel = (await page.state())["channel"]
    assert "Reading bills…" in channel and "Only visible to you" in channel
    assert "Reading bills" not in (await page.state(SAM))["channel"]

    gate.release()
    await page.playground.wait_for_responses(count=before + 2)  # the placeholder deleted
    state = await page.state()
    assert "Reading bills" not in state["channel"] and "outstanding bills" in state["channel"]
    assert state["problems"] == []


async def test_text_that_is_not_a_command_is_refused_plainly(page: Page) -> None:
    answer = await page.command("hello")
    assert answer == {"error": "Only slash commands reach the bot here: try /bills."}


async def pay_modal(page: Page, reference: str) -> tuple[dict[str, Any], str, str]:
    await page.open()
    message = await page.bills()
    bill_id = page.card_block(message, reference)
    await page.post(
        "/ui/action",
        ts=message["ts"],
        action_id=Action.APPROVE,
        block_id=card_actions_block(bill_id),
    )
    await page.bot.wait_for_card(message["ts"], bill_id, "Approved")
    # Ana approved it; the demo's policy asks someone else to pay: Sam.
    await page.post(
        "/ui/action",
        SAM,
        ts=message["ts"],
        action_id=Action.PAY,
        block_id=card_actions_block(bill_id),
    )
    await page.bot.modal(0)  # loading, then the form in its place
    (view_id,) = page.playground.stacks[SAM]
    return message, bill_id, view_id


async def test_paying_from_the_page_field_errors_then_the_card_turns_paid(page: Page) -> None:
    message, bill_id, view_id = await pay_modal(page, "BW-88213")
    ana, sam = await page.state(ANA), await page.state(SAM)
    assert "Pay bill" in sam["modal"] and sam["modal_key"].startswith(view_id)
    assert ana["modal"] == ""  # the modal is Sam's

    too_much = await page.post("/ui/submit", SAM, view_id=view_id, values={Input.PAY_AMOUNT: "500"})
    assert set(too_much["errors"]) == {Input.PAY_AMOUNT}
    assert "£432.98" in too_much["errors"][Input.PAY_AMOUNT]
    assert (await page.state(SAM))["modal_key"] == sam["modal_key"]  # still open, unchanged

    paid = await page.post("/ui/submit", SAM, view_id=view_id, values={Input.PAY_AMOUNT: "432.98"})
    assert paid == {"ok": True}
    card = await page.bot.wait_for_card(message["ts"], bill_id, "paid in full")
    state = await page.state(SAM)
    assert "paid in full" in state["channel"]
    assert "Recording" in state["modal"] or "paid" in state["modal"]  # updated, not closed
    # The audit line goes into the card's thread: the channel links to it, the pane shows it.
    await page.playground.wait_for(
        "chat.postMessage", where=lambda call: call.args.get("thread_ts") == card["ts"]
    )
    state = await page.state(thread=card["ts"])
    assert f'data-thread="{card["ts"]}">1 reply</button>' in state["channel"]
    assert "💰" in state["thread"] and "paid £432.98 to Brightwave Energy" in state["thread"]
    assert 'class="replies"' in state["thread"]
    assert state["problems"] == []


async def test_a_required_field_left_empty_says_so_in_the_persons_words(page: Page) -> None:
    """As in Slack, the form stays and the field says "This field is required" (Léa reads it
    in French), where the bot would have answered in its own words."""
    message, bill_id, view_id = await pay_modal(page, "BW-88213")
    empty = await page.post("/ui/submit", SAM, view_id=view_id, values={Input.PAY_AMOUNT: ""})
    assert empty == {"errors": {Input.PAY_AMOUNT: "This field is required"}}
    await page.post("/ui/close", SAM)

    opened = len(page.playground.calls_to("views.open"))
    await page.post(
        "/ui/action",
        LEA,
        ts=message["ts"],
        action_id=Action.PAY,
        block_id=card_actions_block(bill_id),
    )
    await page.bot.modal(opened)
    (lea_view,) = page.playground.stacks[LEA]
    empty = await page.post("/ui/submit", LEA, view_id=lea_view, values={Input.PAY_AMOUNT: ""})
    assert empty == {"errors": {Input.PAY_AMOUNT: "Ce champ est obligatoire"}}
    assert (await page.state(LEA))["problems"] == []


async def test_a_change_in_a_modal_carries_what_was_typed_elsewhere_in_it(page: Page) -> None:
    """Slack sends a block action in a modal with the view's state as the person left it: the
    Pay form's redraw keeps the reference the payer had typed before changing the amount."""
    _, _, view_id = await pay_modal(page, "BW-88213")
    updates = len(page.playground.calls_to("views.update"))
    await page.post(
        "/ui/action",
        SAM,
        view_id=view_id,
        action_id=Input.PAY_AMOUNT,
        block_id=Input.PAY_AMOUNT,
        value="100",
        values={Input.PAY_AMOUNT: "100", Input.PAY_REFERENCE: "Typed by Sam"},
    )
    (update,) = (await page.playground.wait_for("views.update", count=updates + 1))[updates:]
    blocks = {b["block_id"]: b for b in update.args["view"]["blocks"] if "block_id" in b}
    assert blocks[Input.PAY_REFERENCE]["element"]["initial_value"] == "Typed by Sam"
    assert blocks[Input.PAY_AMOUNT]["element"]["initial_value"] == "100"
    assert (await page.state(SAM))["problems"] == []


async def test_closing_a_modal_removes_it_for_that_person(page: Page) -> None:
    _, _, view_id = await pay_modal(page, "KC-40019")
    await page.post("/ui/close", SAM)
    state = await page.state(SAM)
    assert state["modal"] == ""
    assert view_id not in page.playground.views


async def test_a_refusal_for_someone_the_policy_does_not_allow(page: Page) -> None:
    await page.open()
    message = await page.bills()
    bill_id = page.card_block(message, "PF-2291")
    await page.post(
        "/ui/action",
        SAM,
        ts=message["ts"],
        action_id=Action.APPROVE,
        block_id=card_actions_block(bill_id),
    )
    await page.playground.wait_for_responses(count=2)  # the link, then the refusal
    sam = await page.state(SAM)
    assert "Only visible to you" in sam["channel"]
    assert "Only visible to you" not in (await page.state(ANA))["channel"]


async def test_the_app_home_is_published_when_opened(page: Page) -> None:
    assert "has not been published" in (await page.state(LEA))["home"]
    await page.post("/ui/home", LEA)
    await page.playground.wait_for("views.publish")
    home = (await page.state(LEA))["home"]
    assert "data-home-view" in home
    assert "has not been published" not in home


async def test_what_slack_would_reject_is_shown_with_the_reason_and_not_as_a_message(
    page: Page,
) -> None:
    client = page.bot.services.slack
    assert client is not None
    bad = [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postMessage(channel=CHANNEL, text="x", blocks=bad)
    state = await page.state()
    assert any("chat.postMessage" in p and "/blocks/0/text/text" in p for p in state["problems"])
    assert "This is the very beginning" in state["channel"]  # nothing shown as if it were fine
    page.playground.take_problems()


async def test_a_button_that_is_gone_is_answered_plainly(page: Page) -> None:
    await page.open()
    message = await page.bills()
    response = await page.http.post(
        "/ui/action",
        json={"user": ANA, "ts": message["ts"], "action_id": "nothing", "block_id": "nowhere"},
    )
    assert response.status_code == 409
    assert response.json() == {"error": "That button is no longer there."}


async def test_the_digest_shows_in_the_channel_and_its_settings_in_a_modal(page: Page) -> None:
    await page.open()
    before = len(page.playground.calls_to("chat.postMessage"))
    await page.command("/billpay digest now")
    await page.playground.wait_for("chat.postMessage", count=before + 1)
    channel = (await page.state())["channel"]
    assert "overdue" in channel.lower()
    assert channel.count('class="message"') == 2  # the link, then the digest

    await page.command("/billpay digest")
    await page.playground.wait_for("views.open")
    modal = (await page.state())["modal"]
    assert 'type="checkbox"' in modal  # the weekdays
    assert (await page.state(SAM))["modal"] == ""


async def test_reminders_sent_directly_show_under_the_persons_messages(page: Page) -> None:
    publisher = page.bot.services.publisher
    assert publisher is not None
    assert "No direct messages" in (await page.state(LEA))["dm"]
    await publisher.direct_message("T0001", LEA, "*PF-2291* has waited 2 days for approval")
    lea, ana = await page.state(LEA), await page.state(ANA)
    assert "<strong>PF-2291</strong> has waited 2 days for approval" in lea["dm"]
    assert "PF-2291" not in ana["dm"]
    assert "PF-2291" not in lea["channel"]


async def test_times_read_in_the_viewers_locale_and_time_zone(page: Page) -> None:
    """Each person's client writes a message's time their own way, whatever the browser's
    settings: Ana (en-US, London) "9:05 AM", Léa (fr-FR, Paris) "10:05"."""
    await page.open()
    (message,) = page.playground.messages.values()
    sent = datetime.fromtimestamp(float(message["ts"]), UTC)
    london = sent.astimezone(ZoneInfo("Europe/London"))
    paris = sent.astimezone(ZoneInfo("Europe/Paris"))
    ana = (await page.state(ANA))["channel"]
    lea = (await page.state(LEA))["channel"]
    assert f">{london:%-I:%M}\u202f{london:%p}</time>" in ana
    assert f">{paris:%H:%M}</time>" in lea


async def test_invoice_from_the_page_shows_the_file_in_the_thread(page: Page) -> None:
    await page.open()
    message = await page.bills()
    bill_id = page.card_block(message, "BW-88213")
    demo = page.bot.sandbox.demo
    await page.bot.services.payables.upload_bill_attachment(
        demo.company_id, demo.connection_id, bill_id, filename="BW-88213.pdf", content=b"%PDF-1"
    )
    # The platform tells of the change: the mirror lists the bill's files again.
    link = await page.bot.services.links.link_for("T0001", "C0FIN")
    await page.bot.services.mirror.attachments_changed(link, bill_id)
    message = await page.bills()
    await page.post(
        "/ui/action",
        ts=message["ts"],
        action_id=Action.MORE,
        block_id=card_actions_block(bill_id),
        value=MoreAction(choice=MoreOption.INVOICE, bill_id=bill_id).dump(),
    )
    await page.playground.wait_for("files.completeUploadExternal")
    state = await page.state(thread=message["ts"])
    assert "📎 BW-88213.pdf (6 bytes)" in state["thread"]
    assert state["problems"] == []


async def test_attach_invoice_from_the_page_uploads_the_picked_file(page: Page) -> None:
    """A file picked in a modal goes up with the form, as in Slack: the bot reads it from its
    `url_private` with its token and the bill gets it byte for byte. (The card does not know
    the bill's files yet: Invoice… finds none and opens the form.)"""
    await page.open()
    message = await page.bills()
    bill_id = page.card_block(message, "BW-88213")
    await page.post(
        "/ui/action",
        ts=message["ts"],
        action_id=Action.MORE,
        block_id=card_actions_block(bill_id),
        value=MoreAction(choice=MoreOption.INVOICE, bill_id=bill_id).dump(),
    )
    view_id = (await page.bot.modal(0))["id"]  # loading, then the form in its place
    content = b"%PDF-1.7\n% an invoice\n"
    picked = [
        {
            "name": "BW-88213.pdf",
            "mimetype": "application/pdf",
            "content_b64": base64.b64encode(content).decode(),
        }
    ]
    answer = await page.post("/ui/submit", view_id=view_id, values={Input.ATTACH_FILE: picked})
    assert answer == {"ok": True}
    await page.playground.wait_for(
        "chat.postMessage", where=lambda call: "attached the invoice" in call.args.get("text", "")
    )
    demo = page.bot.sandbox.demo
    (stored,) = await page.bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert stored.name == "BW-88213.pdf"
    downloaded = await page.bot.services.payables.download_bill_attachment(
        demo.company_id, demo.connection_id, bill_id, stored.id
    )
    assert downloaded == content
    assert (await page.state())["problems"] == []
