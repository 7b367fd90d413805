"""The fake Slack accepts what Slack accepts and rejects what Slack rejects.

Calls go through slack_sdk's real `AsyncWebClient` (JSON, form and query encodings), inbound
requests are checked with slack_sdk's `SignatureVerifier`, and Socket Mode is driven by Bolt's
`AsyncSocketModeHandler`.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
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
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import (
    FakeSlack,
    SlackRequests,
    validate_ack,
    validate_message_blocks,
    validate_view,
)
from testkit.slack import fake_slack_session

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
CHANNEL = "C0FIN"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack_session(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


@pytest.fixture
def inbound(slack: FakeSlack) -> SlackRequests:
    return SlackRequests(SECRET, slack)


def pt(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, **extra}


def md(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, **extra}


def opt(text: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"text": pt(text), "value": value, **extra}


CONFIRM = {
    "title": pt("Pay this bill?"),
    "text": md("*£1,200.00* to Northwind Ltd"),
    "confirm": pt("Pay"),
    "deny": pt("Cancel"),
    "style": "primary",
}


def bill_card(bill_id: str = "bill-1") -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": pt("Bill awaiting approval", emoji=True)},
        {
            "type": "section",
            "block_id": f"bill:{bill_id}:summary",
            "text": md("*Northwind Ltd*  £1,200.00", verbatim=False),
            "fields": [md("*Due*\n2026-12-01"), pt("Ref INV-0042", emoji=False)],
            "accessory": {
                "type": "overflow",
                "action_id": "bill_menu",
                "options": [
                    opt("View in Codat", "view", url="https://app.codat.io/bills/1"),
                    opt("Snooze a day", "snooze"),
                ],
                "confirm": copy.deepcopy(CONFIRM),
            },
        },
        {
            "type": "actions",
            "block_id": f"bill:{bill_id}:actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "text": pt("Approve", emoji=True),
                    "value": bill_id,
                    "style": "primary",
                    "confirm": copy.deepcopy(CONFIRM),
                },
                {"type": "button", "action_id": "reject", "text": pt("Reject"), "value": bill_id},
                {
                    "type": "static_select",
                    "action_id": "assign",
                    "placeholder": pt("Assign to"),
                    "options": [opt("Ana", "U0ANA"), opt("Bo", "U0BO")],
                    "initial_option": opt("Ana", "U0ANA"),
                },
            ],
        },
        {"type": "context", "elements": [md("Synced from Codat"), pt("2 min ago")]},
        {"type": "divider"},
    ]


def approval_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "pay_bill",
        "private_metadata": json.dumps({"bill": "bill-1"}),
        "title": pt("Pay bill"),
        "submit": pt("Pay"),
        "close": pt("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "memo",
                "label": pt("Memo"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "memo_input",
                    "max_length": 140,
                    "initial_value": "November rent",
                },
            },
            {
                "type": "input",
                "block_id": "account",
                "label": pt("Pay from"),
                "element": {
                    "type": "static_select",
                    "action_id": "account_select",
                    "placeholder": pt("Choose an account"),
                    "option_groups": [
                        {"label": pt("GBP"), "options": [opt("Current", "acc-1")]},
                        {"label": pt("EUR"), "options": [opt("Euro", "acc-2")]},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "date",
                "label": pt("Pay on"),
                "element": {
                    "type": "datepicker",
                    "action_id": "pay_date",
                    "initial_date": "2026-11-30",
                },
            },
            {
                "type": "input",
                "block_id": "amount",
                "optional": True,
                "label": pt("Partial amount"),
                "element": {
                    "type": "number_input",
                    "action_id": "amount_input",
                    "is_decimal_allowed": True,
                    "min_value": "0",
                },
            },
        ],
    }


async def open_modal(slack: FakeSlack, client: AsyncWebClient) -> dict[str, Any]:
    response = await client.views_open(trigger_id=slack.new_trigger_id(), view=approval_modal())
    return response["view"]


# ---------------------------------------------------------------------------------------------
# Valid payloads are accepted without false alarms
# ---------------------------------------------------------------------------------------------


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


async def test_form_encoded_and_query_arguments_are_decoded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = bill_card()
    form = await client.api_call(
        "chat.postMessage", data={"channel": CHANNEL, "blocks": json.dumps(blocks)}
    )
    assert form["ok"] is True
    assert slack.calls[-1].args["blocks"] == blocks
    multipart = await client.api_call(
        "api.test", data={"channel": CHANNEL}, files={"file": io.BytesIO(b"%PDF-1.7")}
    )
    assert multipart["args"] == {"channel": CHANNEL}
    assert slack.calls[-1].args["file"]["content"] == b"%PDF-1.7"

    info = await client.users_info(user="U0ANA", include_locale=True)
    assert info["user"]["locale"] == "en-GB"
    assert info["user"]["tz"] == "Europe/London"
    assert "locale" not in (await client.users_info(user="U0ANA"))["user"]
    slack.users["U0BO"] = {"locale": "fr-FR", "tz": "Europe/Paris", "real_name": "Bo Martin"}
    bo = (await client.users_info(user="U0BO", include_locale=True))["user"]
    assert (bo["locale"], bo["tz"], bo["real_name"]) == ("fr-FR", "Europe/Paris", "Bo Martin")
    assert bo["tz_offset"] in (3600, 7200)

    slack.not_in_channel.add("C0OTHER")
    assert (await client.conversations_info(channel=CHANNEL))["channel"]["is_member"] is True
    assert (await client.conversations_info(channel="C0OTHER"))["channel"]["is_member"] is False
    assert slack.methods() == [
        "chat.postMessage",
        "api.test",
        *["users.info"] * 3,
        *["conversations.info"] * 2,
    ]


# ---------------------------------------------------------------------------------------------
# Invalid payloads are rejected like Slack rejects them
# ---------------------------------------------------------------------------------------------


async def post_invalid(
    slack: FakeSlack, client: AsyncWebClient, blocks: list[dict[str, Any]]
) -> list[str]:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"]
    assert slack.messages == {}
    return slack.take_problems()


async def test_more_than_50_blocks_are_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": md(f"line {i}")} for i in range(51)]
    problems = await post_invalid(slack, client, blocks)
    assert problems == [
        "chat.postMessage: no more than 50 items allowed (got 51) [json-pointer:/blocks]"
    ]
    ok = await client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks[:50])
    assert ok["ok"] is True


async def test_option_text_over_75_chars_is_rejected(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = bill_card()
    blocks[2]["elements"][2]["options"].append(opt("x" * 76, "long"))
    problems = await post_invalid(slack, client, blocks)
    assert problems == [
        "chat.postMessage: must be less than 76 characters (got 76) "
        "[json-pointer:/blocks/2/elements/2/options/2/text/text]"
    ]


async def test_option_in_a_group_and_initial_option_are_checked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = bill_card()
    select = blocks[2]["elements"][2]
    select["initial_option"] = opt("Cy", "U0CY")
    select["option_groups"] = [{"label": pt("Team"), "options": select.pop("options")}]
    select["option_groups"][0]["options"][0]["value"] = "v" * 151
    problems = await post_invalid(slack, client, blocks)
    assert any("option_groups/0/options/0/value" in p for p in problems)
    assert any("must exactly match one of the provided options" in p for p in problems)


async def test_duplicate_block_id_is_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = bill_card()
    blocks[2]["block_id"] = blocks[1]["block_id"]
    problems = await post_invalid(slack, client, blocks)
    assert len(problems) == 1
    assert "duplicate block_id 'bill:bill-1:summary'" in problems[0]
    assert "/blocks/2/block_id" in problems[0]


async def test_duplicate_action_id_is_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = bill_card()
    blocks[2]["elements"][1]["action_id"] = "approve"
    problems = await post_invalid(slack, client, blocks)
    assert len(problems) == 1
    assert "duplicate action_id 'approve'" in problems[0]


def test_the_same_action_id_in_two_blocks_is_accepted() -> None:
    first, second = bill_card(), bill_card()
    for block in second:
        if "block_id" in block:
            block["block_id"] += ":second"
    assert validate_message_blocks(first + second) == []


async def test_a_typo_key_is_rejected(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = bill_card()
    button = blocks[2]["elements"][0]
    button["acton_id"] = button.pop("action_id")
    problems = await post_invalid(slack, client, blocks)
    assert problems == [
        "chat.postMessage: unknown or unsupported field 'acton_id' "
        "[json-pointer:/blocks/2/elements/0/acton_id]"
    ]


LIMITS = {
    "emoji-on-mrkdwn": (
        lambda b: b[1]["text"].update(emoji=True),
        "emoji is only allowed on plain_text",
    ),
    "string-for-text-object": (
        lambda b: b[0].update(text="Bill"),
        "must be a text object, not a string",
    ),
    "unknown-block-type": (
        lambda b: b[1].update(type="sectoin"),
        "unsupported block type 'sectoin'",
    ),
    "button-text-76": (lambda b: b[2]["elements"][0]["text"].update(text="A" * 76), "than 76"),
    "confirm-without-deny": (lambda b: b[2]["elements"][0]["confirm"].pop("deny"), "confirm/deny"),
    "confirm-title-101": (
        lambda b: b[2]["elements"][0]["confirm"]["title"].update(text="t" * 101),
        "than 101",
    ),
    "overflow-6-options": (
        lambda b: b[1]["accessory"]["options"].extend([opt("o", "o")] * 4),
        "no more than 5",
    ),
    "section-11-fields": (lambda b: b[1]["fields"].extend([md("f")] * 9), "(got 11)"),
    "section-text-3001": (lambda b: b[1]["text"].update(text="x" * 3001), "than 3001"),
    "header-151": (lambda b: b[0]["text"].update(text="h" * 151), "than 151"),
    "context-11-elements": (lambda b: b[3]["elements"].extend([md("c")] * 9), "(got 11)"),
    "button-value-2001": (lambda b: b[2]["elements"][0].update(value="v" * 2001), "than 2001"),
    "button-style": (lambda b: b[2]["elements"][0].update(style="green"), "style must be one of"),
}


@pytest.mark.parametrize(("mutate", "expected"), LIMITS.values(), ids=LIMITS.keys())
async def test_limits_slack_enforces(
    slack: FakeSlack, client: AsyncWebClient, mutate: Any, expected: str
) -> None:
    blocks = bill_card()
    mutate(blocks)
    problems = await post_invalid(slack, client, blocks)
    assert any(expected in p for p in problems), problems


def test_input_element_limits() -> None:
    def modal_with(element: dict[str, Any]) -> dict[str, Any]:
        block = {"type": "input", "label": pt("L"), "element": element}
        return {"type": "modal", "title": pt("T"), "submit": pt("S"), "blocks": [block]}

    text_input = {"type": "plain_text_input", "action_id": "t", "max_length": 3001}
    assert (
        "max_length must be an integer from 1 to 3000" in validate_view(modal_with(text_input))[0]
    )
    text_input = {
        "type": "plain_text_input",
        "action_id": "t",
        "max_length": 5,
        "initial_value": "123456",
    }
    assert "initial_value" in validate_view(modal_with(text_input))[0]
    picker = {"type": "datepicker", "action_id": "d", "initial_date": "30/11/2026"}
    assert "YYYY-MM-DD" in validate_view(modal_with(picker))[0]
    number = {"type": "number_input", "action_id": "n", "is_decimal_allowed": False, "min_value": 0}
    assert (
        "must be a string [json-pointer:/view/blocks/0/element/min_value]"
        in validate_view(modal_with(number))[0]
    )
    label = modal_with({"type": "plain_text_input", "action_id": "t"})
    label["blocks"][0]["label"] = pt("l" * 2001)
    assert "less than 2001" in validate_view(label)[0]
    # fmt: off
    select = {"type": "static_select", "action_id": "s", "placeholder": pt("P"),
              "options": [opt("A", "a")], "initial_option": opt("B", "b")}
    # fmt: on
    assert "must exactly match" in validate_view(modal_with(select))[0]


async def test_modal_title_over_24_chars_is_rejected(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view = approval_modal()
    view["title"] = pt("T" * 25)
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters (got 25) [json-pointer:/view/title/text]"
    ]
    assert slack.take_problems() == [
        "views.open: must be less than 25 characters (got 25) [json-pointer:/view/title/text]"
    ]
    assert slack.views == {}


async def test_modal_with_input_but_no_submit_is_rejected(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view = approval_modal()
    del view["submit"]
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert raised.value.response["error"] == "invalid_arguments"
    assert slack.take_problems() == [
        "views.open: a modal with input blocks must have a submit button "
        "[json-pointer:/view/submit]"
    ]


async def test_unknown_method_and_bad_tokens_are_problems(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("chat.postMesage", json={"channel": CHANNEL, "text": "x"})
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await AsyncWebClient(token=APP_TOKEN, base_url=slack.api_url).auth_test()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{slack.api_url}auth.test") as response:
            assert await response.json() == {"ok": False, "error": "not_authed"}
        async with session.post(f"{slack.api_url}auth.test", data={"token": BOT_TOKEN}) as response:
            assert (await response.json())["user_id"] == "UBOT"
    with pytest.raises(SlackApiError, match="not_allowed"):  # Socket Mode not enabled
        await client.apps_connections_open(app_token=APP_TOKEN)
    problems = slack.take_problems()
    assert [p.split(":")[0] for p in problems] == ["chat.postMesage", *["auth.test"] * 3]


def test_acks_are_checked_against_the_request() -> None:
    submission = {"type": "view_submission", "view": approval_modal()}
    assert (
        validate_ack(submission, {"response_action": "errors", "errors": {"memo": "Too short"}})
        == []
    )
    assert validate_ack(
        submission, {"response_action": "errors", "errors": {"memo_input": "x"}}
    ) == [
        "'memo_input' is not the block_id of an input block in the view "
        "[json-pointer:/payload/errors/memo_input]"
    ]
    assert validate_ack(submission, {"response_action": "update", "view": approval_modal()}) == []
    command = {"command": "/bills", "text": ""}
    assert validate_ack(command, {"text": "Working on it"}) == []
    assert validate_ack(command, {"response_action": "clear"}) == [
        "response_action is only valid for view_submission [json-pointer:/payload]"
    ]


async def test_a_session_fails_on_problems_nobody_took() -> None:
    with pytest.raises(AssertionError, match=r"Slack would have rejected 1:\n  - chat.postMessage"):
        async with fake_slack_session() as slack:
            client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
            with pytest.raises(SlackApiError, match="invalid_blocks"):
                await client.chat_postMessage(
                    channel=CHANNEL, text="x", blocks=[{"type": "sectoin"}]
                )


# ---------------------------------------------------------------------------------------------
# State: messages, threads, views, triggers
# ---------------------------------------------------------------------------------------------


async def test_messages_threads_and_updates(slack: FakeSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel=CHANNEL, text="one")
    second = await client.chat_postMessage(channel=CHANNEL, text="two")
    assert first["ts"] == "1763800000.000100"
    assert float(second["ts"]) > float(first["ts"])

    reply = await client.chat_postMessage(channel=CHANNEL, text="re", thread_ts=first["ts"])
    assert reply["message"]["thread_ts"] == first["ts"]
    assert [m["text"] for m in slack.thread(CHANNEL, first["ts"])] == ["re"]
    assert (CHANNEL, reply["ts"]) not in slack.messages
    with pytest.raises(SlackApiError, match="thread_not_found"):
        await client.chat_postMessage(channel=CHANNEL, text="re", thread_ts="1.000000")

    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel=CHANNEL, ts="1763800000.999900", text="nope")
    with pytest.warns(UserWarning, match="text"):  # slack_sdk's advice; Slack accepts it
        updated = await client.chat_update(channel=CHANNEL, ts=first["ts"], blocks=bill_card())
    assert updated["text"] == "one"  # text not sent: kept
    assert updated["message"]["blocks"][1]["block_id"] == "bill:bill-1:summary"
    await client.chat_update(channel=CHANNEL, ts=first["ts"], text="paid", blocks=[])
    assert "blocks" not in slack.messages[(CHANNEL, first["ts"])]
    assert slack.messages[(CHANNEL, first["ts"])]["text"] == "paid"

    slack.not_in_channel.add("C0PRIV")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C0PRIV", text="x")
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel=CHANNEL)
    assert slack.take_problems() == [
        "chat.postMessage: a message needs text, blocks or attachments"
    ]

    ephemeral = await client.chat_postEphemeral(channel=CHANNEL, user="U0ANA", text="only you")
    assert slack.ephemerals == [
        {
            "channel": CHANNEL,
            "user": "U0ANA",
            "text": "only you",
            "blocks": None,
            "message_ts": ephemeral["message_ts"],
        }
    ]


async def test_views_update_detects_hash_conflicts(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view = await open_modal(slack, client)
    assert view["id"].startswith("V")
    assert view["state"] == {"values": {}}
    assert view["team_id"] == "T0001"
    assert view["callback_id"] == "pay_bill"
    assert slack.views[view["id"]]["hash"] == view["hash"]

    changed = {**approval_modal(), "title": pt("Paying…")}
    updated = await client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    assert updated["view"]["hash"] != view["hash"]
    assert updated["view"]["title"] == pt("Paying…")
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    with pytest.raises(SlackApiError, match="not_found"):
        await client.views_update(view_id="V0NOPE", view=changed)
    # Without a hash the last write wins; a view can also be found by its external_id.
    tagged = {**approval_modal(), "external_id": "pay:bill-1"}
    assert (await client.views_update(view_id=view["id"], view=tagged))["ok"]
    by_external = await client.views_update(external_id="pay:bill-1", view=tagged)
    assert by_external["view"]["id"] == view["id"]

    home = {"type": "home", "blocks": [{"type": "section", "text": md("Bills")}]}
    published = await client.views_publish(user_id="U0ANA", view=home)
    assert slack.home_views["U0ANA"]["id"] == published["view"]["id"]
    again = await client.views_publish(user_id="U0ANA", view=home, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_publish(user_id="U0ANA", view=home, hash=published["view"]["hash"])
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U0ANA", view=approval_modal())
    assert slack.take_problems() == [
        "views.publish: type must be 'home' here [json-pointer:/view/type]"
    ]


async def test_trigger_ids_are_single_use_and_can_expire(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    trigger = slack.new_trigger_id()
    assert (await client.views_open(trigger_id=trigger, view=approval_modal()))["ok"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id=trigger, view=approval_modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="123.456.abc", view=approval_modal())

    now = [100.0]
    slack.clock = lambda: now[0]
    slack.trigger_ttl = 3
    late = slack.new_trigger_id()
    now[0] += 3.5
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=late, view=approval_modal())


async def test_rate_limit_is_honoured_by_the_retry_handler(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler adds up to a second of random jitter; none here, to keep the test fast.
    monkeypatch.setattr(builtin_async_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit_next("chat.postMessage", retry_after=0)

    response = await client.chat_postMessage(channel=CHANNEL, text="hello")

    assert response["ok"] is True
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}
    assert len(slack.messages) == 1

    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url).chat_postMessage(
            channel=CHANNEL, text="x"
        )
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"

    slack.fail_next("chat.postMessage", error="fatal_error")
    with pytest.raises(SlackApiError, match="fatal_error"):
        await client.chat_postMessage(channel=CHANNEL, text="x")


async def test_wait_for_waits_and_reports_what_it_saw(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"(?s)expected 1 call\(s\) to chat.update.*auth.test"):
        await slack.wait_for("chat.update", timeout=0.05)
    await client.chat_postMessage(channel=CHANNEL, text="a")
    await client.chat_postMessage(channel=CHANNEL, text="b")
    calls = await slack.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "b")
    assert [c.args["text"] for c in calls] == ["b"]


# ---------------------------------------------------------------------------------------------
# Inbound requests
# ---------------------------------------------------------------------------------------------


async def test_signed_requests_verify_and_tampered_ones_do_not(inbound: SlackRequests) -> None:
    verifier = SignatureVerifier(SECRET)
    signed = inbound.command(text="list overdue")

    assert verifier.is_valid_request(signed.body, signed.headers)
    assert not verifier.is_valid_request(signed.tampered().body, signed.headers)
    stale = signed.with_timestamp(signed.timestamp - 10 * 60)
    assert stale.headers["X-Slack-Signature"] != signed.headers["X-Slack-Signature"]
    assert not verifier.is_valid_request(stale.body, stale.headers)
    assert not SignatureVerifier("other-secret").is_valid_request(signed.body, signed.headers)

    fields = dict(pair.split("=", 1) for pair in signed.text.split("&"))
    assert list(fields)[:3] == ["token", "team_id", "team_domain"]
    assert fields["command"] == "%2Fbills"
    assert fields["text"] == "list+overdue"
    assert fields["is_enterprise_install"] == "false"
    assert signed.payload["response_url"].startswith(inbound.slack.base_url + "/response/")

    event = inbound.event({"type": "app_home_opened", "user": "U0ANA", "tab": "home"})
    assert event.headers["Content-Type"] == "application/json"
    assert verifier.is_valid_request(event.body, event.headers)
    assert json.loads(event.body)["authorizations"][0]["user_id"] == "UBOT"


async def test_click_builds_actions_from_the_stored_message(
    slack: FakeSlack, client: AsyncWebClient, inbound: SlackRequests
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="bill", blocks=bill_card())
    message = posted["message"]

    payload = inbound.click_payload(message, "approve", value_contains="bill-1")
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": CHANNEL, "name": "finance"}
    assert payload["user"]["username"] == "ana"
    action = payload["actions"][0]
    assert {k: action[k] for k in ("type", "action_id", "block_id", "value")} == {
        "type": "button",
        "action_id": "approve",
        "block_id": "bill:bill-1:actions",
        "value": "bill-1",
    }
    menu = inbound.action_for(message, "bill_menu", option_value="snooze")
    assert menu["selected_option"]["value"] == "snooze"
    select = inbound.action_for(message, "assign", option_value="U0BO")
    assert select["selected_option"] == opt("Bo", "U0BO")
    with pytest.raises(AssertionError, match="no option with value 'U0CY'"):
        inbound.action_for(message, "assign", option_value="U0CY")

    # The card loses its buttons: clicking the old copy fails clearly.
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="Paid", blocks=bill_card()[:2])
    with pytest.raises(AssertionError, match="no interactive element with action_id 'approve'"):
        inbound.click(message, "approve")

    # A response_url post replaces the original message.
    menu_click = inbound.click_payload(message, "bill_menu", option_value="snooze")
    async with aiohttp.ClientSession() as session:
        body = {"replace_original": True, "text": "Snoozed", "blocks": [{"type": "divider"}]}
        async with session.post(menu_click["response_url"], json=body) as response:
            assert response.status == 200
    assert slack.messages[(CHANNEL, posted["ts"])]["text"] == "Snoozed"
    assert slack.responses[0]["replace_original"] is True


async def test_view_submission_builds_state_values(
    slack: FakeSlack, client: AsyncWebClient, inbound: SlackRequests
) -> None:
    view = await open_modal(slack, client)

    payload = inbound.view_submission_payload(
        view, {"memo_input": "Rent", "account_select": "acc-2"}, user_id="U0BO"
    )

    assert payload["type"] == "view_submission"
    assert payload["view"]["id"] == view["id"]
    assert payload["view"]["hash"] == view["hash"]
    assert payload["view"]["callback_id"] == "pay_bill"
    assert payload["view"]["private_metadata"] == '{"bill": "bill-1"}'
    assert payload["response_urls"] == []
    assert payload["user"]["id"] == "U0BO"
    assert payload["view"]["state"]["values"] == {
        "memo": {"memo_input": {"type": "plain_text_input", "value": "Rent"}},
        "account": {
            "account_select": {"type": "static_select", "selected_option": opt("Euro", "acc-2")}
        },
        "date": {"pay_date": {"type": "datepicker", "selected_date": "2026-11-30"}},
        "amount": {"amount_input": {"type": "number_input", "value": None}},
    }
    signed = inbound.view_submission(view, {"account_select": "acc-1", "pay_date": "2026-12-01"})
    assert SignatureVerifier(SECRET).is_valid_request(signed.body, signed.headers)
    state = signed.payload["view"]["state"]["values"]
    assert state["memo"]["memo_input"]["value"] == "November rent"
    assert state["date"]["pay_date"]["selected_date"] == "2026-12-01"

    pushed = await client.views_push(trigger_id=payload["trigger_id"], view=approval_modal())
    assert pushed["view"]["previous_view_id"] == view["id"]
    assert pushed["view"]["root_view_id"] == view["id"]

    with pytest.raises(AssertionError, match="no option with value 'acc-9'"):
        inbound.view_submission_payload(view, {"account_select": "acc-9"})
    with pytest.raises(AssertionError, match="'account_select' is required"):
        inbound.view_submission_payload(view, {})
    with pytest.raises(AssertionError, match="no input with action_id"):
        inbound.view_submission_payload(view, {"account_select": "acc-1", "memo": "x"})
    with pytest.raises(AssertionError, match="max_length"):
        inbound.view_submission_payload(view, {"account_select": "acc-1", "memo_input": "m" * 141})


# ---------------------------------------------------------------------------------------------
# Bolt, over Socket Mode and over HTTP
# ---------------------------------------------------------------------------------------------


def bolt_app(slack: FakeSlack) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN),
    )

    @app.command("/ping")
    async def ping(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text="pong")

    @app.action("approve")
    async def approve(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text=f"Approved {body['actions'][0]['value']}")

    return app


async def test_bolt_over_socket_mode(slack: FakeSlack, inbound: SlackRequests) -> None:
    socket = slack.enable_socket_mode()
    handler = AsyncSocketModeHandler(bolt_app(slack), APP_TOKEN)
    await handler.connect_async()
    try:
        await socket.connected()
        assert slack.calls_to("apps.connections.open")[0].token == APP_TOKEN

        ack = await socket.send("slash_commands", inbound.command_payload(command="/ping"))

        assert ack["envelope_id"] == socket.sent[0]["envelope_id"]
        calls = await slack.wait_for("chat.postMessage")
        assert (calls[0].args["channel"], calls[0].args["text"]) == ("C0FIN", "pong")
    finally:
        await handler.close_async()
    assert "auth.test" in slack.methods()


async def test_bolt_over_http_with_a_signed_click(
    slack: FakeSlack, client: AsyncWebClient, inbound: SlackRequests
) -> None:
    app = bolt_app(slack)
    posted = await client.chat_postMessage(channel=CHANNEL, text="bill", blocks=bill_card())
    signed = inbound.click(posted["message"], "approve")

    response = await app.async_dispatch(AsyncBoltRequest(body=signed.text, headers=signed.headers))
    assert response.status == 200
    await slack.wait_for_responses()
    assert slack.messages[(CHANNEL, posted["ts"])]["text"] == "Approved bill-1"

    forged = signed.tampered()
    response = await app.async_dispatch(AsyncBoltRequest(body=forged.text, headers=forged.headers))
    assert response.status == 401


async def test_files_info_and_downloads_need_the_bot_token(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    record = slack.add_file("INV-1.pdf", b"%PDF-1.4 body", channel_id=CHANNEL)
    info = await client.files_info(file=record["id"])
    assert info["file"]["size"] == 13 and info["file"]["url_private"] == record["url_private"]
    with pytest.raises(SlackApiError) as missing:
        await client.files_info(file="F0NOPE")
    assert missing.value.response["error"] == "file_not_found"

    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
        async with http.get(record["url_private"], headers=headers) as good:
            assert good.status == 200 and await good.read() == b"%PDF-1.4 body"
        for bad in ({}, {"Authorization": "Bearer xoxb-someone-else"}):
            async with http.get(record["url_private"], headers=bad, allow_redirects=False) as no:
                assert no.status == 302 and b"PDF" not in await no.read()
    assert [d.ok for d in slack.downloads] == [True, False, False]


async def test_block_suggestions_and_message_shortcuts_are_signed_like_slacks(
    slack: FakeSlack, client: AsyncWebClient, inbound: SlackRequests
) -> None:
    view = {
        "type": "modal",
        "title": pt("Pick"),
        "submit": pt("Go"),
        "blocks": [
            {
                "type": "input",
                "block_id": "who",
                "label": pt("Who"),
                "element": {"type": "external_select", "action_id": "who", "min_query_length": 2},
            }
        ],
    }
    opened = await client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    verifier = SignatureVerifier(SECRET)
    suggestion = inbound.block_suggestion(opened["view"], "who", "no")
    assert verifier.is_valid_request(suggestion.body, suggestion.headers)
    payload = inbound.block_suggestion_payload(opened["view"], "who", "nor")
    assert payload["type"] == "block_suggestion" and payload["value"] == "nor"
    assert payload["view"]["id"] == opened["view"]["id"]
    with pytest.raises(AssertionError, match="under 2 characters"):
        inbound.block_suggestion(opened["view"], "who", "n")

    posted = await client.chat_postMessage(channel=CHANNEL, text="invoice attached")
    shortcut = inbound.message_action(
        {"ts": posted["ts"]}, "new_bill_from_file", channel_id=CHANNEL
    )
    assert verifier.is_valid_request(shortcut.body, shortcut.headers)
    action = inbound.message_action_payload({"ts": posted["ts"]}, "x", channel_id=CHANNEL)
    assert action["message"]["text"] == "invoice attached" and action["response_url"]
