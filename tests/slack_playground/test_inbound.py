"""Requests Slack sends the app (`slack_playground.inbound`, signed by `signing`): slash
commands and events signed as Slack signs them and failing slack_sdk's check when tampered or
stale; block actions built from the stored message (and a `response_url` post replacing it);
view submissions with `state.values` and what the client would refuse; block suggestions and
message shortcuts."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack, SlackRequests
from tests.slack_playground.payloads import (
    CHANNEL,
    SECRET,
    approval_modal,
    bill_card,
    open_modal,
    opt,
    pt,
)


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
