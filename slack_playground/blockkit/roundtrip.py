"""The first pass: a payload's round trip through slack_sdk's models.

Whatever a model refuses to build, and every key it drops, adds or rewrites on the way back to
a dict, is something Slack does not accept as sent. Each finding is `(json pointer, message)`;
`at()` writes one the way Slack does.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, Option, OptionGroup
from slack_sdk.models.views import View

from slack_playground.blockkit.limits import VIEW_SERVER_KEYS


def at(message: str, pointer: str) -> str:
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
    # slack_sdk has no switch for its checks: the method is replaced for the block's length.
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


def roundtrip_block(block: dict[str, Any], pointer: str) -> Found:
    return _roundtrip(block, lambda: Block.parse(copy.deepcopy(block)), pointer)


def roundtrip_option(option: dict[str, Any], pointer: str) -> Found:
    return _roundtrip(option, lambda: Option(**copy.deepcopy(option)), pointer)


def roundtrip_group(group: dict[str, Any], pointer: str) -> Found:
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


def roundtrip_view(view: dict[str, Any], pointer: str) -> Found:
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
