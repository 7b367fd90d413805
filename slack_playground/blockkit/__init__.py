"""Block Kit validation the way Slack's API applies it, for messages and views.

Each payload goes through two passes:

1. A round trip through slack_sdk's models (`Block.parse(d).to_dict()`, `View(**d).to_dict()`,
   `Option(**d).to_dict()`): whatever the models reject, and every key they drop, add or rewrite
   (a typo such as `acton_id`, a bare string where Slack wants a text object, a missing
   `confirm`/`deny` on a confirmation dialog) is reported (`roundtrip`).
2. A walk over the raw dicts for the limits slack_sdk does not enforce: options given as plain
   dicts inside elements and option groups, uniqueness of `block_id` (per message or view) and
   of `action_id` (per block), block counts, text lengths, `initial_option` membership, modal
   rules and so on: `composition` (text objects, confirms, options), `elements`, `blocks` and
   `surfaces` (messages, modals and Home tabs, and the app's acknowledgements), each walker
   building on the one before, with the limits they check in `limits`.

When both passes flag the same spot, the walk's more precise message is kept. Problems are
strings in Slack's own style: `"<message> [json-pointer:/blocks/0/text/text]"`; an empty list
means Slack would accept the payload.
"""

from __future__ import annotations

from slack_playground.blockkit.composition import option_key
from slack_playground.blockkit.limits import (
    INTERACTIVE_TYPES,
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    VIEW_SERVER_KEYS,
)
from slack_playground.blockkit.surfaces import validate_ack, validate_message_blocks, validate_view

__all__ = [
    "INTERACTIVE_TYPES",
    "MAX_MESSAGE_BLOCKS",
    "MAX_VIEW_BLOCKS",
    "VIEW_SERVER_KEYS",
    "option_key",
    "validate_ack",
    "validate_message_blocks",
    "validate_view",
]
