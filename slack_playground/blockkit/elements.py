"""The walk over elements: where each element may stand, its `action_id`, and each type's own
rules (buttons, overflow menus, selects, radio buttons, checkboxes, date and time pickers, text
and number inputs)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_playground.blockkit.composition import CompositionChecker
from slack_playground.blockkit.limits import BUTTON_STYLES, DISPATCH_TRIGGERS, MULTI_SELECT_TYPES

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class ElementChecker(CompositionChecker):
    """Elements, each checked by its `element_<type>` method where the type has rules of its
    own."""

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
        if not isinstance(value, str) or not DATE.fullmatch(value):
            self.add("initial_date must be in the format YYYY-MM-DD", f"{pointer}/initial_date")
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            self.add(f"initial_date {value!r} is not a real date", f"{pointer}/initial_date")

    def element_timepicker(self, element: dict[str, Any], pointer: str) -> None:
        value = element.get("initial_time")
        if value is not None and (not isinstance(value, str) or not TIME.fullmatch(value)):
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
