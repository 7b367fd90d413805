"""Reusable modal inputs: each returns one `input` block whose element's action_id equals its
block_id, so a submission's values can be read back by the same id."""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.slack.blocks.text import plain

MAX_OPTIONS = 100


# When a text input tells the bot it changed: at each character, so a preview follows what is
# typed (Slack sends them as the person pauses).
ON_TYPING = ("on_character_entered",)


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    hint: str | None,
    optional: bool,
    dispatch: bool = False,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": plain(label, 2000)},
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if dispatch:  # a change is sent to the bot at once (block_actions), not only on submit
        block["dispatch_action"] = True
    if hint:
        block["hint"] = {"type": "plain_text", "text": plain(hint, 2000)}
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
    multiline: bool = False,
    max_length: int = 3000,
    optional: bool = False,
    dispatch: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": plain(placeholder, 150)}
    if dispatch:
        element["dispatch_action_config"] = {"trigger_actions_on": list(ON_TYPING)}
    return _input(block_id, label, element, hint=hint, optional=optional, dispatch=dispatch)


def select_input(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    initial: str | None = None,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict[str, Any]:
    """A static select of `(value, text)` pairs, at most 100 as Slack allows."""
    rendered = [
        {"text": {"type": "plain_text", "text": plain(text, 75)}, "value": value}
        for value, text in options[:MAX_OPTIONS]
    ]
    element: dict[str, Any] = {"type": "static_select", "options": rendered}
    chosen = next((o for o in rendered if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return _input(block_id, label, element, hint=hint, optional=False, dispatch=dispatch)


def date_input(
    block_id: str,
    label: str,
    *,
    initial: date,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict[str, Any]:
    element = {"type": "datepicker", "initial_date": initial.isoformat()}
    return _input(block_id, label, element, hint=hint, optional=False, dispatch=dispatch)


def user_input(
    block_id: str, label: str, *, initial: str | None = None, hint: str | None = None
) -> dict[str, Any]:
    """An optional pick of one person in the workspace."""
    element: dict[str, Any] = {"type": "users_select"}
    if initial:
        element["initial_user"] = initial
    return _input(block_id, label, element, hint=hint, optional=True)


def checkboxes_input(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    initial: list[str],
    hint: str | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    """Checkboxes of `(value, text)` pairs, those in `initial` ticked."""
    rendered = [
        {"text": {"type": "plain_text", "text": plain(text, 75)}, "value": value}
        for value, text in options[:10]
    ]
    element: dict[str, Any] = {"type": "checkboxes", "options": rendered}
    ticked = [o for o in rendered if o["value"] in initial]
    if ticked:
        element["initial_options"] = ticked
    return _input(block_id, label, element, hint=hint, optional=optional)
