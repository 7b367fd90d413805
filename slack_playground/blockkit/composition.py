"""The walk's base: `CompositionChecker` collects findings and checks the small values and
composition objects every block and element is made of (strings, booleans, arrays, text
objects, unique ids, confirmation dialogs, options and option groups)."""

from __future__ import annotations

from typing import Any

from slack_playground.blockkit.limits import BUTTON_STYLES, TEXT_TYPES
from slack_playground.blockkit.roundtrip import Found, at, roundtrip_group, roundtrip_option


def option_key(option: Any) -> tuple[Any, Any]:
    """How Slack matches an `initial_option` to one of the options: value and text."""
    if not isinstance(option, dict):
        return (None, None)
    text = option.get("text")
    return (option.get("value"), text.get("text") if isinstance(text, dict) else text)


class CompositionChecker:
    """Findings so far, and the checks of small values and composition objects."""

    def __init__(self) -> None:
        self.found: Found = []
        self.block_ids: dict[str, str] = {}
        self.action_ids: dict[str, str] = {}

    def report(self) -> list[str]:
        return [at(message, pointer) for pointer, message in self.found]

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
                self.merge(roundtrip_group(group, where), since)
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
        self.merge(roundtrip_option(option, pointer), since)

    def initial(self, initial: list[Any], options: list[Any], pointer: str) -> None:
        known = {option_key(o) for o in options}
        for i, option in enumerate(initial):
            if option_key(option) not in known:
                where = pointer if pointer.endswith("initial_option") else f"{pointer}/{i}"
                self.add("must exactly match one of the provided options", where)
