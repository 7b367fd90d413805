"""The interactive elements of a stored message or view, and what a person has entered in them,
as Slack's client reports it: finding an element by `action_id`, picking an option by value,
and building `view.state.values` (refusing what the client would not let a person submit)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_playground.blockkit import INTERACTIVE_TYPES


@dataclass
class FoundElement:
    element: dict[str, Any]
    block_id: str


def is_view(value: dict[str, Any]) -> bool:
    return value.get("type") in ("modal", "home") and "ts" not in value


def interactive_elements(container: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, bool]]:
    """(element, block_id, in an input block) for every interactive element."""
    for block in container.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        children: list[Any] = [block.get("accessory")]
        if block.get("type") in ("actions", "context_actions"):
            children += block.get("elements") or []
        for child in children:
            if isinstance(child, dict) and child.get("type") in INTERACTIVE_TYPES:
                yield child, block_id, False
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            yield element, block_id, True


def find_element(
    container: dict[str, Any],
    action_id: str,
    value_contains: str | None,
    block_id_prefix: str | None,
) -> FoundElement:
    found = [
        FoundElement(element, block_id)
        for element, block_id, _ in interactive_elements(container)
        if element.get("action_id") == action_id
        and (block_id_prefix is None or block_id.startswith(block_id_prefix))
        and (value_contains is None or value_contains in str(element.get("value", "")))
    ]
    if len(found) > 1 and block_id_prefix is not None:
        # A prefix that is also a whole block id (card:B1 beside card:B10) means that block.
        found = [f for f in found if f.block_id == block_id_prefix] or found
    if len(found) == 1:
        return found[0]
    where = (
        f"view {container.get('id')}" if is_view(container) else f"message {container.get('ts')}"
    )
    available = [
        f"{e.get('action_id')} ({e.get('type')}, block {b}"
        + (f", value {e['value']!r})" if "value" in e else ")")
        for e, b, _ in interactive_elements(container)
    ]
    filters = ", ".join(
        f"{k}={v!r}"
        for k, v in (("value_contains", value_contains), ("block_id_prefix", block_id_prefix))
        if v is not None
    )
    problem = "no" if not found else f"{len(found)} (ambiguous)"
    raise AssertionError(
        f"{problem} interactive element with action_id {action_id!r}"
        f"{' and ' + filters if filters else ''} in {where}; elements there: "
        f"{available or 'none'}"
    )


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def pick(element: dict[str, Any], value: Any, action_id: str) -> dict[str, Any]:
    if isinstance(value, dict):  # an option object (external selects)
        return value
    for option in _all_options(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    values = [o.get("value") for o in _all_options(element)]
    raise AssertionError(f"{action_id!r} has no option with value {value!r}; options: {values}")


def entered(action: dict[str, Any]) -> Any:
    """The value an action's element now holds, as `inputs` takes it."""
    if "selected_option" in action:
        return action["selected_option"]  # the option itself: external selects list none
    for key in ("value", "selected_date", "selected_time"):
        if key in action:
            return action[key]
    return None


def need(value: Any, action_id: str) -> Any:
    if value is None:
        raise AssertionError(f"using {action_id!r} needs option_value= (the value picked)")
    return value


def state_values(
    view: dict[str, Any], inputs: dict[str, Any], *, strict: bool
) -> dict[str, dict[str, Any]]:
    """`view.state.values` for `inputs` (action_id -> value), initial values elsewhere."""
    values: dict[str, dict[str, Any]] = {}
    given = dict(inputs)
    for element, block_id, in_input in interactive_elements(view):
        action_id = element.get("action_id")
        kind = element.get("type")
        if kind in ("button", "overflow", "workflow_button", "feedback_buttons", "icon_button"):
            continue
        has_value = action_id in given
        state = _state_value(element, given.pop(str(action_id), None), has_value)
        if strict and in_input:
            _check_submittable(view, block_id, element, state)
        values.setdefault(block_id, {})[str(action_id)] = state
    if given:
        known = [e.get("action_id") for e, _, _ in interactive_elements(view)]
        raise AssertionError(f"no input with action_id {sorted(given)} in the view; has {known}")
    return values


def empty_required(view: dict[str, Any], inputs: dict[str, Any]) -> list[str]:
    """The block_ids of the required inputs `inputs` leaves empty (initial values elsewhere):
    Slack's client keeps the form and says "This field is required" on each."""
    values = state_values(view, inputs, strict=False)
    empty = []
    for element, block_id, in_input in interactive_elements(view):
        block: dict[str, Any] = next(
            (b for b in view.get("blocks") or [] if b.get("block_id") == block_id), {}
        )
        state = values.get(block_id, {}).get(str(element.get("action_id")))
        if not in_input or block.get("optional") or state is None:
            continue
        if not [v for k, v in state.items() if k != "type" and v not in (None, "", [])]:
            empty.append(block_id)
    return empty


def _state_value(element: dict[str, Any], value: Any, has_value: bool) -> dict[str, Any]:
    kind = element["type"]
    action_id = str(element.get("action_id"))
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        current = value if has_value else element.get("initial_value")
        return {"type": kind, "value": None if current is None else str(current)}
    if kind in ("static_select", "radio_buttons", "external_select"):
        option: dict[str, Any] | None
        if has_value and value is not None:
            option = pick(element, value, action_id)
        else:
            option = None if has_value else element.get("initial_option")
        return {"type": kind, "selected_option": copy.deepcopy(option)}
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        if has_value:
            picked = value if isinstance(value, list) else [value]
            options = [pick(element, v, action_id) for v in picked if v is not None]
        else:
            options = copy.deepcopy(element.get("initial_options") or [])
        return {"type": kind, "selected_options": options}
    if kind == "datepicker":
        current = value if has_value else element.get("initial_date")
        if isinstance(current, date):
            current = current.isoformat()
        return {"type": kind, "selected_date": current}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value if has_value else element.get("initial_time")}
    if kind == "datetimepicker":
        current = value if has_value else element.get("initial_date_time")
        return {"type": kind, "selected_date_time": current}
    singles = {
        "users_select": ("selected_user", "initial_user"),
        "conversations_select": ("selected_conversation", "initial_conversation"),
        "channels_select": ("selected_channel", "initial_channel"),
        "multi_users_select": ("selected_users", "initial_users"),
        "multi_conversations_select": ("selected_conversations", "initial_conversations"),
        "multi_channels_select": ("selected_channels", "initial_channels"),
    }
    if kind in singles:
        key, initial = singles[kind]
        current = value if has_value else element.get(initial)
        if kind.startswith("multi_"):
            current = list(current or [])
        return {"type": kind, key: current}
    if kind == "rich_text_input":
        return {
            "type": kind,
            "rich_text_value": value if has_value else element.get("initial_value"),
        }
    if kind == "file_input":
        return {"type": kind, "files": list(value or [])}
    return {"type": kind}


def _check_submittable(
    view: dict[str, Any], block_id: str, element: dict[str, Any], state: dict[str, Any]
) -> None:
    block: dict[str, Any] = next(
        (b for b in view.get("blocks", []) if b.get("block_id") == block_id), {}
    )
    action_id = element.get("action_id")
    filled = [v for k, v in state.items() if k != "type" and v not in (None, "", [])]
    if not filled:
        if not block.get("optional"):
            raise AssertionError(
                f"input {action_id!r} is required: Slack would not let the user submit it empty"
            )
        return
    kind = element["type"]
    if kind == "plain_text_input":
        text = state["value"]
        if len(text) > element.get("max_length", 3000):
            raise AssertionError(f"{action_id!r} is longer than its max_length")
        if len(text) < element.get("min_length", 0):
            raise AssertionError(f"{action_id!r} is shorter than its min_length")
    elif kind == "number_input":
        try:
            number = float(state["value"])
        except ValueError:
            raise AssertionError(f"{action_id!r} must be a number") from None
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise AssertionError(f"{action_id!r} does not allow decimals")
        for key, outside in (("min_value", number.__lt__), ("max_value", number.__gt__)):
            if key in element and outside(float(element[key])):
                raise AssertionError(f"{action_id!r} is outside its {key} {element[key]}")
    elif kind == "datepicker":
        try:
            date.fromisoformat(state["selected_date"])
        except (TypeError, ValueError):
            raise AssertionError(f"{action_id!r} must be a YYYY-MM-DD date") from None
