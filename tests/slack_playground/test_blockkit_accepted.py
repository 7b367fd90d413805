"""Block Kit validation raises no false alarms: a bill card that round-trips through slack_sdk's
models, a wide range of valid blocks, elements, Home tabs and modals, and payloads built with
slack_sdk's model classes are all accepted, by the validators and by `chat.postMessage` and
`views.open` (`slack_playground.blockkit`, through `webapi.chat` and `webapi.views`)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    HeaderBlock,
    InputBlock,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack, validate_message_blocks, validate_view
from tests.slack_playground.payloads import CHANNEL, approval_modal, bill_card, md, opt, pt


async def test_a_valid_card_round_trips_and_is_accepted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = bill_card()
    for block in blocks:
        assert Block.parse(block).to_dict() == block
    assert validate_message_blocks(blocks) == []

    response = await client.chat_postMessage(
        channel=CHANNEL, text="Bill from Northwind", blocks=blocks
    )

    assert response["ok"] is True
    assert response["channel"] == CHANNEL
    stored = slack.messages[(CHANNEL, response["ts"])]
    assert stored["user"] == "UBOT"
    assert stored["text"] == "Bill from Northwind"
    # Slack gives blocks without a block_id one of its own; everything else is kept as sent.
    assert [b.get("block_id") for b in stored["blocks"]][1:3] == [
        "bill:bill-1:summary",
        "bill:bill-1:actions",
    ]
    assert all(b["block_id"] for b in stored["blocks"])
    assert stored["blocks"][1:3] == blocks[1:3]
    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == blocks


def test_a_wide_range_of_valid_block_kit_passes() -> None:
    elements: list[dict[str, Any]] = [
        {"type": "multi_static_select", "action_id": "m", "placeholder": pt("Pick"),
         "options": [opt("A", "a"), opt("B", "b")], "initial_options": [opt("A", "a")],
         "max_selected_items": 2},
        {"type": "datepicker", "action_id": "dp", "initial_date": "2026-02-28",
         "placeholder": pt("Date")},
        {"type": "timepicker", "action_id": "tp", "initial_time": "09:30"},
        {"type": "users_select", "action_id": "us", "placeholder": pt("User"),
         "initial_user": "U0ANA"},
        {"type": "conversations_select", "action_id": "cs", "placeholder": pt("Channel"),
         "filter": {"include": ["public"], "exclude_bot_users": True},
         "default_to_current_conversation": True},
        {"type": "external_select", "action_id": "ex", "placeholder": pt("Supplier"),
         "min_query_length": 2},
        {"type": "radio_buttons", "action_id": "rb",
         "options": [{"text": md("*Now*"), "value": "now", "description": md("today")}],
         "initial_option": {"text": md("*Now*"), "value": "now", "description": md("today")}},
        {"type": "checkboxes", "action_id": "cb", "options": [opt("Notify", "n")],
         "initial_options": [opt("Notify", "n")]},
        {"type": "button", "action_id": "link", "text": pt("Open"), "url": "https://x.test",
         "accessibility_label": "Open the bill"},
        {"type": "static_select", "action_id": "no_placeholder", "options": [opt("A", "a")]},
    ]  # fmt: skip
    blocks = [
        *bill_card(),
        {"type": "actions", "elements": elements},
        {"type": "section", "text": md("x"), "expand": True},
        {"type": "image", "image_url": "https://x.test/a.png", "alt_text": "a", "title": pt("T")},
        {"type": "context", "elements": [
            {"type": "image", "image_url": "https://x.test/a.png", "alt_text": "logo"}]},
        {"type": "input", "label": pt("Note", emoji=True), "hint": pt("Optional"),
         "optional": True, "dispatch_action": True,
         "element": {"type": "plain_text_input", "action_id": "note", "multiline": True,
                     "min_length": 1, "max_length": 300,
                     "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}}},
        {"type": "input", "label": pt("Count"),
         "element": {"type": "number_input", "action_id": "count", "is_decimal_allowed": False,
                     "initial_value": "3", "min_value": "1", "max_value": "9"}},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Paid ", "style": {"bold": True}},
            {"type": "user", "user_id": "U0ANA"},
            {"type": "link", "url": "https://x.test"}]}]},
        {"type": "markdown", "text": "**Paid**"},
    ]  # fmt: skip
    assert validate_message_blocks(blocks) == []
    home = {"type": "home", "blocks": blocks[:5], "private_metadata": "p", "callback_id": "home"}
    assert validate_view(home) == []
    echoed = {**approval_modal(), "id": "V1", "hash": "1.a", "state": {"values": {}}}
    assert validate_view(echoed) == []


async def test_payloads_built_with_slack_sdk_models_are_accepted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [
        HeaderBlock(text="Bills"),
        SectionBlock(
            text="*Northwind*",
            accessory=OverflowMenuElement(
                action_id="menu", options=[Option.from_single_value("snooze")]
            ),
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Approve",
                    action_id="approve",
                    value="bill-1",
                    confirm=ConfirmObject(title="Sure?", text="Pay it"),
                ),
                StaticSelectElement(
                    action_id="assign",
                    placeholder="Assign",
                    options=[Option(text="Ana", value="U0ANA")],
                ),
            ]
        ),
        InputBlock(label="Memo", element=PlainTextInputElement(action_id="memo")),
    ]
    assert (await client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks))["ok"]
    modal = View(type="modal", title="Pay", submit="Pay", blocks=blocks[3:])
    assert (await client.views_open(trigger_id=slack.new_trigger_id(), view=modal))["ok"]
