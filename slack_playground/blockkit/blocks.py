"""The walk over blocks: a block's type and `block_id`, and each type's own rules (section,
header, image, actions, context, input, context actions), with `action_id`s unique within the
block."""

from __future__ import annotations

from typing import Any

from slack_playground.blockkit.elements import ElementChecker
from slack_playground.blockkit.limits import (
    ACCESSORY_TYPES,
    ACTIONS_ELEMENT_TYPES,
    BLOCK_TYPES,
    INPUT_ELEMENT_TYPES,
)
from slack_playground.blockkit.roundtrip import roundtrip_block


class BlockChecker(ElementChecker):
    """Blocks, each checked by its `block_<type>` method where the type has rules of its
    own."""

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
        self.merge(roundtrip_block(block, pointer), since)

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
