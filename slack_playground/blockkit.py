"""Block Kit validation the way Slack's API applies it, for messages and views.

Each payload goes through two passes:

1. A round trip through slack_sdk's models (`Block.parse(d).to_dict()`, `View(**d).to_dict()`,
   `Option(**d).to_dict()`): whatever the models reject, and every key they drop, add or rewrite
   (a typo such as `acton_id`, a bare string where Slack wants a text object, a missing
   `confirm`/`deny` on a confirmation dialog) is reported.
2. A walk over the raw dicts for the limits slack_sdk does not enforce: options given as plain
   dicts inside elements and option groups, uniqueness of `block_id` (per message or view) and
   of `action_id` (per block), block counts, text lengths, `initial_option` membership, modal
   rules and so on.

When both passes flag the same spot, the walk's more precise message is kept. Problems are
strings in Slack's own style: `"<message> [json-pointer:/blocks/0/text/text]"`; an empty list
means Slack would accept the payload.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, Option, OptionGroup
from slack_sdk.models.views import View

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
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def validate_message_blocks(blocks: Any, *, pointer: str = "/blocks") -> list[str]:
    """Everything Slack would reject in a message's `blocks` (empty list: valid)."""
    checker = _Checker()
    checker.blocks(blocks, pointer, MAX_MESSAGE_BLOCKS)
    return checker.report()


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Everything Slack would reject in a modal or Home tab `view` (empty list: valid)."""
    checker = _Checker()
    checker.view(view, pointer)
    return checker.report()


def validate_ack(request: dict[str, Any], ack: Any) -> list[str]:
    """Everything Slack would reject in an app's acknowledgement of `request`.

    `request` is what Slack sent (slash command fields or an interaction payload), `ack` the
    body the app answered with (a Socket Mode ack's `payload`, or an HTTP response's JSON).
    """
    if ack is None or ack == "":
        return []
    if not isinstance(ack, dict):
        return [_at("the acknowledgement body must be a JSON object", "/payload")]
    checker = _Checker()
    if "blocks" in ack:
        checker.blocks(ack["blocks"], "/payload/blocks", MAX_MESSAGE_BLOCKS)
    action = ack.get("response_action")
    if action is None:
        return checker.report()
    if request.get("type") != "view_submission":
        checker.add("response_action is only valid for view_submission", "/payload")
    elif action in ("update", "push"):
        checker.view(ack.get("view"), "/payload/view")
    elif action == "errors":
        view = request.get("view") or {}
        inputs = {
            b.get("block_id")
            for b in view.get("blocks") or []
            if isinstance(b, dict) and b.get("type") == "input"
        }
        errors = ack.get("errors")
        if not isinstance(errors, dict) or not errors:
            checker.add("errors must be an object of block_id -> message", "/payload/errors")
        else:
            for block_id in errors:
                if block_id not in inputs:
                    checker.add(
                        f"{block_id!r} is not the block_id of an input block in the view",
                        f"/payload/errors/{block_id}",
                    )
    elif action != "clear":
        checker.add(f"unknown response_action {action!r}", "/payload/response_action")
    return checker.report()


def option_key(option: Any) -> tuple[Any, Any]:
    """How Slack matches an `initial_option` to one of the options: value and text."""
    if not isinstance(option, dict):
        return (None, None)
    text = option.get("text")
    return (option.get("value"), text.get("text") if isinstance(text, dict) else text)


# ---------------------------------------------------------------------------------------------
# The slack_sdk round trip
# ---------------------------------------------------------------------------------------------


def _at(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


Found = list[tuple[str, str]]  # (json pointer, message)


def _roundtrip_diff(original: Any, rebuilt: Any, pointer: str) -> Found:
    """What slack_sdk's model changed: each change is something Slack does not accept as sent."""
    if isinstance(original, dict) and isinstance(rebuilt, dict):
        out: Found = []
        for key, value in original.items():
            where = f"{pointer}/{key}"
            if key in rebuilt:
                out += _roundtrip_diff(value, rebuilt[key], where)
            elif value is None:
                out.append((where, "null is not a valid value"))
            elif value in ("", [], {}):
                out.append((where, "must not be empty"))
            else:
                out.append((where, f"unknown or unsupported field '{key}'"))
        for key in rebuilt.keys() - original.keys():
            message = f"missing required field '{key}' (slack_sdk would fill in {rebuilt[key]!r})"
            out.append((f"{pointer}/{key}", message))
        return out
    if isinstance(original, list) and isinstance(rebuilt, list):
        if len(original) != len(rebuilt):
            return [(pointer, "array was not accepted as given")]
        out = []
        for i, (a, b) in enumerate(zip(original, rebuilt, strict=True)):
            if b is None and a is not None:
                kind = a.get("type") if isinstance(a, dict) else type(a).__name__
                out.append((f"{pointer}/{i}", f"unsupported element type {kind!r}"))
            else:
                out += _roundtrip_diff(a, b, f"{pointer}/{i}")
        return out
    if type(original) is type(rebuilt) and original == rebuilt:
        return []
    if isinstance(original, str) and isinstance(rebuilt, dict) and "text" in rebuilt:
        return [(pointer, "must be a text object, not a string")]
    if (
        isinstance(original, int | float)
        and not isinstance(original, bool)
        and rebuilt == str(original)
    ):
        return [(pointer, "must be a string")]
    return [(pointer, f"{original!r} is not valid here")]


def _build_error(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing required field {exc}"
    return str(exc)


@contextlib.contextmanager
def _limits_off() -> Iterator[None]:
    """Turn slack_sdk's own limit checks off, to still see which keys its models keep.

    Synchronous and restored before returning, so safe under asyncio.
    """
    original = JsonObject.validate_json
    JsonObject.validate_json = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        JsonObject.validate_json = original  # type: ignore[method-assign]


def _roundtrip(
    original: dict[str, Any], make: Callable[[], JsonObject | None], pointer: str
) -> Found:
    """Build the model, serialise it, and report what changed on the way."""
    try:
        model = make()
    except Exception as exc:  # slack_sdk raises TypeError, KeyError, ... on malformed input
        return [(pointer, _build_error(exc))]
    if model is None:
        return [(pointer, f"unsupported type {original.get('type')!r}")]
    errors: Found = []
    try:
        rebuilt = model.to_dict()
    except Exception as exc:  # SlackObjectFormationError for limits, or worse
        errors.append((pointer, _build_error(exc)))
        try:
            with _limits_off():
                rebuilt = model.to_dict()
        except Exception:  # nothing more to learn from the model
            return errors
    return errors + _roundtrip_diff(original, rebuilt, pointer)


def _roundtrip_block(block: dict[str, Any], pointer: str) -> Found:
    return _roundtrip(block, lambda: Block.parse(copy.deepcopy(block)), pointer)


def _roundtrip_option(option: dict[str, Any], pointer: str) -> Found:
    return _roundtrip(option, lambda: Option(**copy.deepcopy(option)), pointer)


def _roundtrip_group(group: dict[str, Any], pointer: str) -> Found:
    # The options inside are round-tripped one by one by the walker.
    label_only = {k: v for k, v in group.items() if k != "options"}
    return _roundtrip(label_only, lambda: _GroupLabel(OptionGroup(**copy.deepcopy(group))), pointer)


class _GroupLabel(JsonObject):
    """An option group serialised without its options (those are checked separately)."""

    attributes: set[str] = set()

    def __init__(self, group: OptionGroup) -> None:
        self.group = group

    def to_dict(self, *args: Any) -> dict[str, Any]:
        rebuilt = self.group.to_dict("block")
        rebuilt.pop("options", None)
        return rebuilt


def _roundtrip_view(view: dict[str, Any], pointer: str) -> Found:
    # Blocks are checked one by one (with better pointers) by the walker; a stand-in block keeps
    # the model's own "1 to 100 blocks" rule quiet (the walker counts the real ones).
    given = {k: v for k, v in view.items() if k not in VIEW_SERVER_KEYS and k != "blocks"}
    return _roundtrip(
        given,
        lambda: _WithoutBlocks(View(**copy.deepcopy(given), blocks=[{"type": "divider"}])),
        pointer,
    )


class _WithoutBlocks(JsonObject):
    """A view serialised without its stand-in block and the keys Slack adds itself."""

    attributes: set[str] = set()

    def __init__(self, view: View) -> None:
        self.view = view

    def to_dict(self, *args: Any) -> dict[str, Any]:
        rebuilt = self.view.to_dict()
        for key in VIEW_SERVER_KEYS | {"blocks"}:
            rebuilt.pop(key, None)
        return rebuilt


# ---------------------------------------------------------------------------------------------
# The walk over the raw dicts
# ---------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.found: Found = []
        self.block_ids: dict[str, str] = {}
        self.action_ids: dict[str, str] = {}

    def report(self) -> list[str]:
        return [_at(message, pointer) for pointer, message in self.found]

    def add(self, message: str, pointer: str) -> None:
        self.found.append((pointer, message))

    def merge(self, roundtrip: Found, since: int) -> None:
        """Add the round trip's findings the walker has not already reported more precisely.

        slack_sdk reports a limit breach against the whole block, and a dropped or rewritten
        key at the key itself; the walker's message at (or under) the same place wins.
        """
        walked = [pointer for pointer, _ in self.found[since:]]
        for pointer, message in roundtrip:
            if not any(w == pointer or w.startswith(pointer + "/") for w in walked):
                self.found.append((pointer, message))

    # -- small values ---------------------------------------------------------------------

    def string(
        self, value: Any, pointer: str, max_len: int, *, required: bool = False, min_len: int = 0
    ) -> None:
        if value is None:
            if required:
                self.add("missing required field", pointer)
            return
        if not isinstance(value, str):
            self.add("must be a string", pointer)
        elif len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters (got {len(value)})", pointer)
        elif len(value) < min_len:
            self.add(f"must be at least {min_len} characters", pointer)

    def boolean(self, value: Any, pointer: str) -> None:
        if value is not None and not isinstance(value, bool):
            self.add("must be a boolean", pointer)

    def array(
        self, value: Any, pointer: str, max_items: int, *, min_items: int = 1
    ) -> list[Any] | None:
        if not isinstance(value, list):
            self.add("must be an array", pointer)
            return None
        if len(value) > max_items:
            self.add(f"must provide no more than {max_items} items (got {len(value)})", pointer)
        elif len(value) < min_items:
            self.add(f"must provide at least {min_items} items", pointer)
        return value

    def text(
        self,
        obj: Any,
        pointer: str,
        max_len: int,
        *,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add("missing required field", pointer)
            return
        if not isinstance(obj, dict):
            kind = "a string" if isinstance(obj, str) else type(obj).__name__
            self.add(f"must be a text object, not {kind}", pointer)
            return
        text_type = obj.get("type")
        allowed = {"plain_text"} if plain_only else TEXT_TYPES
        if text_type not in allowed:
            self.add(
                f"type must be one of {sorted(allowed)} (got {text_type!r})", f"{pointer}/type"
            )
            return
        self.string(obj.get("text"), f"{pointer}/text", max_len, required=True, min_len=1)
        if "emoji" in obj and text_type != "plain_text":
            self.add("emoji is only allowed on plain_text", f"{pointer}/emoji")
        if "verbatim" in obj and text_type != "mrkdwn":
            self.add("verbatim is only allowed on mrkdwn", f"{pointer}/verbatim")
        self.boolean(obj.get("emoji"), f"{pointer}/emoji")
        self.boolean(obj.get("verbatim"), f"{pointer}/verbatim")
        for key in obj.keys() - {"type", "text", "emoji", "verbatim"}:
            self.add(f"unknown field '{key}' in a text object", f"{pointer}/{key}")

    def unique_id(self, seen: dict[str, str], value: Any, pointer: str, what: str) -> None:
        if value is None:
            return
        self.string(value, pointer, 255, min_len=1)
        if not isinstance(value, str):
            return
        if value in seen:
            self.add(f"duplicate {what} '{value}' (first at {seen[value]})", pointer)
        else:
            seen[value] = pointer

    # -- surfaces -------------------------------------------------------------------------

    def blocks(self, blocks: Any, pointer: str, max_blocks: int) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.add("blocks must be an array", pointer)
            return
        if len(blocks) > max_blocks:
            self.add(f"no more than {max_blocks} items allowed (got {len(blocks)})", pointer)
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}")

    def view(self, view: Any, pointer: str) -> None:
        if not isinstance(view, dict):
            self.add("view must be an object", pointer)
            return
        kind = view.get("type")
        if kind not in ("modal", "home"):
            self.add(f"type must be 'modal' or 'home' (got {kind!r})", f"{pointer}/type")
            return
        since = len(self.found)
        roundtrip = _roundtrip_view(view, pointer)
        blocks = view.get("blocks")
        if blocks is None:
            self.add("missing required field: blocks", f"{pointer}/blocks")
        self.blocks(blocks, f"{pointer}/blocks", MAX_VIEW_BLOCKS)
        if kind == "modal":
            self.text(view.get("title"), f"{pointer}/title", 24, plain_only=True)
            self.text(view.get("submit"), f"{pointer}/submit", 24, plain_only=True, required=False)
            self.text(view.get("close"), f"{pointer}/close", 24, plain_only=True, required=False)
            has_input = isinstance(blocks, list) and any(
                isinstance(b, dict) and b.get("type") == "input" for b in blocks
            )
            if has_input and view.get("submit") is None:
                self.add("a modal with input blocks must have a submit button", f"{pointer}/submit")
        else:
            self.text(view.get("title"), f"{pointer}/title", 24, plain_only=True, required=False)
            for key in ("submit", "close"):
                if key in view:
                    self.add(f"{key} is not allowed on a home view", f"{pointer}/{key}")
        self.string(view.get("private_metadata"), f"{pointer}/private_metadata", 3000)
        self.string(view.get("callback_id"), f"{pointer}/callback_id", 255)
        self.string(view.get("external_id"), f"{pointer}/external_id", 255)
        self.boolean(view.get("clear_on_close"), f"{pointer}/clear_on_close")
        self.boolean(view.get("notify_on_close"), f"{pointer}/notify_on_close")
        self.merge(roundtrip, since)

    # -- blocks ---------------------------------------------------------------------------

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.add("block must be an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.add(f"unsupported block type {kind!r}", f"{pointer}/type")
            return
        since = len(self.found)
        self.unique_id(self.block_ids, block.get("block_id"), f"{pointer}/block_id", "block_id")
        # Slack wants an action_id unique among the action_ids of its block only.
        self.action_ids = {}
        check = getattr(self, f"block_{kind}", None)
        if check is not None:
            check(block, pointer)
        self.merge(_roundtrip_block(block, pointer), since)

    def block_section(self, block: dict[str, Any], pointer: str) -> None:
        if block.get("text") is None and block.get("fields") is None:
            self.add("a section needs text or fields", pointer)
        self.text(block.get("text"), f"{pointer}/text", 3000, required=False)
        if "fields" in block:
            fields = self.array(block["fields"], f"{pointer}/fields", 10)
            for i, field in enumerate(fields or []):
                self.text(field, f"{pointer}/fields/{i}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory", ACCESSORY_TYPES)

    def block_header(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("text"), f"{pointer}/text", 150, plain_only=True)

    def block_image(self, block: dict[str, Any], pointer: str) -> None:
        self.image(block, pointer)
        self.text(block.get("title"), f"{pointer}/title", 2000, plain_only=True, required=False)

    def block_actions(self, block: dict[str, Any], pointer: str) -> None:
        elements = self.array(block.get("elements"), f"{pointer}/elements", 25)
        for i, element in enumerate(elements or []):
            self.element(element, f"{pointer}/elements/{i}", ACTIONS_ELEMENT_TYPES)

    def block_context(self, block: dict[str, Any], pointer: str) -> None:
        elements = self.array(block.get("elements"), f"{pointer}/elements", 10)
        for i, element in enumerate(elements or []):
            where = f"{pointer}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                self.image(element, where)
            else:
                self.text(element, where, 3000)

    def block_input(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
        self.text(block.get("hint"), f"{pointer}/hint", 2000, plain_only=True, required=False)
        self.boolean(block.get("optional"), f"{pointer}/optional")
        self.boolean(block.get("dispatch_action"), f"{pointer}/dispatch_action")
        if block.get("element") is None:
            self.add("missing required field: element", f"{pointer}/element")
        else:
            self.element(block["element"], f"{pointer}/element", INPUT_ELEMENT_TYPES)

    def block_context_actions(self, block: dict[str, Any], pointer: str) -> None:
        elements = self.array(block.get("elements"), f"{pointer}/elements", 5)
        for i, element in enumerate(elements or []):
            if isinstance(element, dict):
                self.unique_id(
                    self.action_ids,
                    element.get("action_id"),
                    f"{pointer}/elements/{i}/action_id",
                    "action_id",
                )

    # -- elements -------------------------------------------------------------------------

    def image(self, image: dict[str, Any], pointer: str) -> None:
        if image.get("image_url") is None and image.get("slack_file") is None:
            self.add("an image needs image_url or slack_file", pointer)
        self.string(image.get("image_url"), f"{pointer}/image_url", 3000)
        self.string(image.get("alt_text"), f"{pointer}/alt_text", 2000, required=True, min_len=1)

    def element(self, element: Any, pointer: str, allowed: frozenset[str]) -> None:
        if not isinstance(element, dict):
            self.add("element must be an object", pointer)
            return
        kind = element.get("type")
        if kind not in allowed:
            self.add(f"element type {kind!r} is not allowed here", f"{pointer}/type")
            return
        if kind == "image":
            self.image(element, pointer)
            return
        self.unique_id(
            self.action_ids, element.get("action_id"), f"{pointer}/action_id", "action_id"
        )
        if "placeholder" in element:
            self.text(element["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)
        if "confirm" in element:
            self.confirm(element["confirm"], f"{pointer}/confirm")
        self.boolean(element.get("focus_on_load"), f"{pointer}/focus_on_load")
        if kind in MULTI_SELECT_TYPES and "max_selected_items" in element:
            value = element["max_selected_items"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                self.add("must be an integer of at least 1", f"{pointer}/max_selected_items")
        check = getattr(self, f"element_{kind}", None)
        if check is not None:
            check(element, pointer)

    def element_button(self, element: dict[str, Any], pointer: str) -> None:
        self.text(element.get("text"), f"{pointer}/text", 75, plain_only=True)
        self.string(element.get("value"), f"{pointer}/value", 2000)
        self.string(element.get("url"), f"{pointer}/url", 3000)
        self.string(element.get("accessibility_label"), f"{pointer}/accessibility_label", 75)
        style = element.get("style")
        if style is not None and style not in BUTTON_STYLES:
            self.add(f"style must be one of {sorted(BUTTON_STYLES)}", f"{pointer}/style")

    def element_workflow_button(self, element: dict[str, Any], pointer: str) -> None:
        self.text(element.get("text"), f"{pointer}/text", 75, plain_only=True)

    def element_overflow(self, element: dict[str, Any], pointer: str) -> None:
        self.options(element.get("options"), f"{pointer}/options", 5, allow_url=True)

    def element_static_select(self, element: dict[str, Any], pointer: str) -> None:
        options = self.select_options(element, pointer)
        if "initial_option" in element:
            self.initial([element["initial_option"]], options, f"{pointer}/initial_option")

    def element_multi_static_select(self, element: dict[str, Any], pointer: str) -> None:
        options = self.select_options(element, pointer)
        if "initial_options" in element:
            initial = self.array(element["initial_options"], f"{pointer}/initial_options", 100)
            self.initial(initial or [], options, f"{pointer}/initial_options")

    def element_external_select(self, element: dict[str, Any], pointer: str) -> None:
        if "initial_option" in element:
            self.option(element["initial_option"], f"{pointer}/initial_option")

    def element_multi_external_select(self, element: dict[str, Any], pointer: str) -> None:
        initial = element.get("initial_options")
        if initial is not None:
            for i, option in enumerate(
                self.array(initial, f"{pointer}/initial_options", 100) or []
            ):
                self.option(option, f"{pointer}/initial_options/{i}")

    def element_radio_buttons(self, element: dict[str, Any], pointer: str) -> None:
        options = self.options(element.get("options"), f"{pointer}/options", 10, mrkdwn=True)
        if "initial_option" in element:
            self.initial([element["initial_option"]], options, f"{pointer}/initial_option")

    def element_checkboxes(self, element: dict[str, Any], pointer: str) -> None:
        options = self.options(element.get("options"), f"{pointer}/options", 10, mrkdwn=True)
        if "initial_options" in element:
            initial = self.array(element["initial_options"], f"{pointer}/initial_options", 10)
            self.initial(initial or [], options, f"{pointer}/initial_options")

    def element_datepicker(self, element: dict[str, Any], pointer: str) -> None:
        value = element.get("initial_date")
        if value is None:
            return
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self.add("initial_date must be in the format YYYY-MM-DD", f"{pointer}/initial_date")
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            self.add(f"initial_date {value!r} is not a real date", f"{pointer}/initial_date")

    def element_timepicker(self, element: dict[str, Any], pointer: str) -> None:
        value = element.get("initial_time")
        if value is not None and (not isinstance(value, str) or not _TIME.fullmatch(value)):
            self.add("initial_time must be in the format HH:mm", f"{pointer}/initial_time")

    def element_plain_text_input(self, element: dict[str, Any], pointer: str) -> None:
        limits: dict[str, int] = {}
        for key, low in (("min_length", 0), ("max_length", 1)):
            if key not in element:
                continue
            value = element[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 3000:
                self.add(f"{key} must be an integer from {low} to 3000", f"{pointer}/{key}")
            else:
                limits[key] = value
        if limits.get("min_length", 0) > limits.get("max_length", 3000):
            self.add("min_length must not exceed max_length", f"{pointer}/min_length")
        self.string(
            element.get("initial_value"),
            f"{pointer}/initial_value",
            limits.get("max_length", 3000),
        )
        self.boolean(element.get("multiline"), f"{pointer}/multiline")
        if "dispatch_action_config" in element:
            self.dispatch_action_config(
                element["dispatch_action_config"], f"{pointer}/dispatch_action_config"
            )

    def dispatch_action_config(self, config: Any, pointer: str) -> None:
        triggers = config.get("trigger_actions_on") if isinstance(config, dict) else None
        if (
            not isinstance(triggers, list)
            or not triggers
            or any(t not in DISPATCH_TRIGGERS for t in triggers)
        ):
            self.add(
                f"trigger_actions_on must list one or both of {sorted(DISPATCH_TRIGGERS)}",
                f"{pointer}/trigger_actions_on",
            )

    def element_number_input(self, element: dict[str, Any], pointer: str) -> None:
        decimal = element.get("is_decimal_allowed")
        if not isinstance(decimal, bool):
            self.add("is_decimal_allowed is required and must be a boolean", pointer)
        numbers: dict[str, float] = {}
        for key in ("initial_value", "min_value", "max_value"):
            value = element.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                continue  # reported by the round trip ("must be a string")
            try:
                number = float(value)
            except ValueError:
                self.add(f"{key} must be a number", f"{pointer}/{key}")
                continue
            if decimal is False and not number.is_integer():
                self.add(f"{key} must be a whole number", f"{pointer}/{key}")
            numbers[key] = number
        low, high = numbers.get("min_value"), numbers.get("max_value")
        if low is not None and high is not None and low > high:
            self.add("min_value must not exceed max_value", f"{pointer}/min_value")
        initial = numbers.get("initial_value")
        if initial is not None and (
            (low is not None and initial < low) or (high is not None and initial > high)
        ):
            self.add("initial_value must be within min_value and max_value", pointer)

    def element_email_text_input(self, element: dict[str, Any], pointer: str) -> None:
        self.string(element.get("initial_value"), f"{pointer}/initial_value", 3000)

    def element_url_text_input(self, element: dict[str, Any], pointer: str) -> None:
        self.string(element.get("initial_value"), f"{pointer}/initial_value", 3000)

    # -- composition objects --------------------------------------------------------------

    def confirm(self, confirm: Any, pointer: str) -> None:
        if not isinstance(confirm, dict):
            self.add("confirm must be an object", pointer)
            return
        self.text(confirm.get("title"), f"{pointer}/title", 100, plain_only=True)
        self.text(confirm.get("text"), f"{pointer}/text", 300)
        self.text(confirm.get("confirm"), f"{pointer}/confirm", 30, plain_only=True)
        self.text(confirm.get("deny"), f"{pointer}/deny", 30, plain_only=True)
        style = confirm.get("style")
        if style is not None and style not in BUTTON_STYLES:
            self.add(f"style must be one of {sorted(BUTTON_STYLES)}", f"{pointer}/style")
        for key in confirm.keys() - {"title", "text", "confirm", "deny", "style"}:
            self.add(f"unknown field '{key}' in a confirm object", f"{pointer}/{key}")

    def select_options(self, element: dict[str, Any], pointer: str) -> list[Any]:
        has_options, has_groups = "options" in element, "option_groups" in element
        if has_options == has_groups:
            self.add("provide exactly one of options or option_groups", pointer)
        options: list[Any] = []
        if has_options:
            options += self.options(element["options"], f"{pointer}/options", 100)
        if has_groups:
            groups = self.array(element["option_groups"], f"{pointer}/option_groups", 100)
            for i, group in enumerate(groups or []):
                where = f"{pointer}/option_groups/{i}"
                if not isinstance(group, dict):
                    self.add("option group must be an object", where)
                    continue
                since = len(self.found)
                self.text(group.get("label"), f"{where}/label", 75, plain_only=True)
                options += self.options(group.get("options"), f"{where}/options", 100)
                self.merge(_roundtrip_group(group, where), since)
        return options

    def options(
        self,
        options: Any,
        pointer: str,
        max_items: int,
        *,
        mrkdwn: bool = False,
        allow_url: bool = False,
    ) -> list[Any]:
        items = self.array(options, pointer, max_items)
        for i, option in enumerate(items or []):
            self.option(option, f"{pointer}/{i}", mrkdwn=mrkdwn, allow_url=allow_url)
        values = [o.get("value") for o in items or [] if isinstance(o, dict)]
        for i, value in enumerate(values):
            if value in values[:i]:
                self.add(f"duplicate option value {value!r}", pointer)
        return list(items or [])

    def option(
        self, option: Any, pointer: str, *, mrkdwn: bool = False, allow_url: bool = False
    ) -> None:
        if not isinstance(option, dict):
            self.add("option must be an object", pointer)
            return
        since = len(self.found)
        for key in option.keys() - {"text", "value", "description", "url"}:
            self.add(f"unknown field '{key}' in an option", f"{pointer}/{key}")
        self.text(option.get("text"), f"{pointer}/text", 75, plain_only=not mrkdwn)
        self.string(option.get("value"), f"{pointer}/value", 150, required=True)
        self.text(
            option.get("description"),
            f"{pointer}/description",
            75,
            plain_only=not mrkdwn,
            required=False,
        )
        if "url" in option:
            if allow_url:
                self.string(option["url"], f"{pointer}/url", 3000)
            else:
                self.add("url is only allowed on overflow menu options", f"{pointer}/url")
        self.merge(_roundtrip_option(option, pointer), since)

    def initial(self, initial: list[Any], options: list[Any], pointer: str) -> None:
        known = {option_key(o) for o in options}
        for i, option in enumerate(initial):
            if option_key(option) not in known:
                where = pointer if pointer.endswith("initial_option") else f"{pointer}/{i}"
                self.add("must exactly match one of the provided options", where)
