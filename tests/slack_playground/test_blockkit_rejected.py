"""Block Kit validation rejects what Slack rejects (`slack_playground.blockkit`): too many
blocks, over-long texts and values, unknown keys and types, duplicate ids, Slack's limits on
each block and element, modal titles and submit buttons, and acknowledgements that do not fit
the request. Through the Web API a rejection is `invalid_blocks` or `invalid_arguments`, with
the problem recorded for the test to take."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack, validate_ack, validate_message_blocks, validate_view
from tests.slack_playground.payloads import CHANNEL, approval_modal, bill_card, md, opt, pt


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
