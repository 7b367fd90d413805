"""Surfaces: a message's `blocks`, a modal or Home tab `view`, and an app's acknowledgement of
what Slack sent it; `validate_message_blocks`, `validate_view` and `validate_ack` are the
package's entry points."""

from __future__ import annotations

from typing import Any

from slack_playground.blockkit.blocks import BlockChecker
from slack_playground.blockkit.limits import MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS
from slack_playground.blockkit.roundtrip import at, roundtrip_view


class SurfaceChecker(BlockChecker):
    """A list of blocks, or a view with its title, buttons and fields."""

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
        roundtrip = roundtrip_view(view, pointer)
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


def validate_message_blocks(blocks: Any, *, pointer: str = "/blocks") -> list[str]:
    """Everything Slack would reject in a message's `blocks` (empty list: valid)."""
    checker = SurfaceChecker()
    checker.blocks(blocks, pointer, MAX_MESSAGE_BLOCKS)
    return checker.report()


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Everything Slack would reject in a modal or Home tab `view` (empty list: valid)."""
    checker = SurfaceChecker()
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
        return [at("the acknowledgement body must be a JSON object", "/payload")]
    checker = SurfaceChecker()
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
