"""The limits and kinds Block Kit validation checks: how many blocks a surface takes, which
block and element types exist, where each element may stand, and which keys only Slack sets on a
stored view."""

from __future__ import annotations

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Keys Slack itself adds to a stored view; echoing them back in a request is not an error.
VIEW_SERVER_KEYS = frozenset(
    {
        "id",
        "hash",
        "state",
        "team_id",
        "app_id",
        "bot_id",
        "root_view_id",
        "previous_view_id",
        "app_installed_team_id",
    }
)

TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})

BLOCK_TYPES = frozenset(
    {
        "actions",
        "call",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)

SELECT_TYPES = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
    }
)
MULTI_SELECT_TYPES = frozenset({f"multi_{t}" for t in SELECT_TYPES})
CHOICE_TYPES = frozenset({"checkboxes", "radio_buttons"})
PICKER_TYPES = frozenset({"datepicker", "timepicker", "datetimepicker"})
TEXT_INPUT_TYPES = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}
)

DISPATCH_TRIGGERS = frozenset({"on_enter_pressed", "on_character_entered"})

ACTIONS_ELEMENT_TYPES = (
    frozenset({"button", "overflow", "workflow_button", "rich_text_input"})
    | SELECT_TYPES
    | MULTI_SELECT_TYPES
    | CHOICE_TYPES
    | PICKER_TYPES
)
ACCESSORY_TYPES = (
    frozenset({"button", "overflow", "image", "workflow_button", "datepicker", "timepicker"})
    | SELECT_TYPES
    | MULTI_SELECT_TYPES
    | CHOICE_TYPES
)
INPUT_ELEMENT_TYPES = (
    frozenset({"file_input"})
    | SELECT_TYPES
    | MULTI_SELECT_TYPES
    | CHOICE_TYPES
    | PICKER_TYPES
    | TEXT_INPUT_TYPES
)
# Elements Slack gives an `action_id` to (and generates one for when it is missing).
INTERACTIVE_TYPES = (
    ACTIONS_ELEMENT_TYPES | INPUT_ELEMENT_TYPES | {"feedback_buttons", "icon_button"}
) - {"image"}

BUTTON_STYLES = frozenset({"primary", "danger"})
