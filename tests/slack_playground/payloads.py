"""What the Slack stand-in's tests send, shared by their modules: the workspace's signing secret,
tokens and channel; text and option objects; a bill card (header, a section with an overflow
menu, buttons with confirmations, a select, context, divider) and an approval modal (text,
grouped select, date and number inputs) as plain dicts; and `open_modal`, which opens it."""

from __future__ import annotations

import copy
import json
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
CHANNEL = "C0FIN"


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
