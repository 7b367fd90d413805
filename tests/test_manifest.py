"""The Slack app manifest (manifest.yml) is valid for Slack and declares what the app handles.

The schema is Slack's own (github.com/slackapi/manifest-schema), read from beside the project
(../shared/slack/manifest-schema), never copied into it. Its entry point, manifest.schema.json,
picks a versioned schema by `_metadata.major_version` and refers to it by absolute URL
(raw.githubusercontent.com/.../manifest.schema.1.0.0.json); the versioned files carry no `$id`,
so they are registered under those URLs here and nothing is fetched over the network.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from jsonschema import Draft7Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
HANDLERS = ROOT / "billpay" / "slack" / "handlers"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "shared" / "slack" / "manifest-schema"
ENTRY_SCHEMA = "manifest.schema.json"

COMMANDS = {"/bills", "/supplier", "/billpay"}
BOT_EVENTS = {
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "message.channels",
    "message.groups",
}
BOT_SCOPES = {
    "commands",
    "chat:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "files:read",
    "files:write",
}
# Each message event is delivered only with its history scope.
EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history"}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    if not (SCHEMA_DIR / ENTRY_SCHEMA).is_file():
        pytest.skip(
            "Slack's manifest schema is not beside the project at ../shared/slack/manifest-schema"
        )
    schema = json.loads((SCHEMA_DIR / ENTRY_SCHEMA).read_text(encoding="utf-8"))
    # Every absolute $ref of the entry schema names a versioned file by its last path segment.
    resources = []
    for ref in sorted({ref.partition("#")[0] for ref in _refs(schema)} - {""}):
        local = SCHEMA_DIR / Path(urlparse(ref).path).name
        assert local.is_file(), f"{ENTRY_SCHEMA} refers to {ref}, but {local} is missing"
        contents = json.loads(local.read_text(encoding="utf-8"))
        resources.append((ref, Resource.from_contents(contents, default_specification=DRAFT7)))
    assert resources, f"{ENTRY_SCHEMA} no longer refers to its versioned schemas"
    registry = Registry().with_resources(resources)
    Draft7Validator.check_schema(schema)
    for _, resource in resources:
        Draft7Validator.check_schema(resource.contents)
    return Draft7Validator(schema, registry=registry)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _applies(branch: list[ValidationError]) -> bool:
    # Each oneOf branch is allOf[<selector on _metadata>, <versioned schema>]; a branch whose
    # selector fails is for another manifest version, so its errors are not this manifest's.
    return not any(list(error.relative_schema_path)[1:3] == ["allOf", 0] for error in branch)


def _problems(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """The innermost errors, keeping only the oneOf branch (schema version) that applies."""
    for error in errors:
        if not error.context:
            yield error
            continue
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        applicable = [branch for branch in branches.values() if _applies(branch)]
        if not applicable:  # no version fits (e.g. an unknown major_version): show everything
            applicable = list(branches.values())
        for branch in applicable:
            yield from _problems(branch)


def problems(validator: Draft7Validator, instance: Any) -> list[ValidationError]:
    """Every problem once (several versions can report the same one), in document order."""
    unique = {(e.json_path, e.message): e for e in _problems(validator.iter_errors(instance))}
    return sorted(unique.values(), key=lambda error: list(map(str, error.absolute_path)))


def describe(errors: Iterable[ValidationError]) -> str:
    return "\n".join(f"  {error.json_path}: {error.message[:300]}" for error in errors)


def test_manifest_is_valid_for_slack(validator: Draft7Validator, manifest: dict[str, Any]) -> None:
    found = problems(validator, manifest)
    assert not found, f"{MANIFEST.name} does not match Slack's manifest schema:\n{describe(found)}"


def _without_description(manifest: dict[str, Any]) -> None:
    del manifest["features"]["slash_commands"][0]["description"]


def _unknown_scope_type(manifest: dict[str, Any]) -> None:
    manifest["oauth_config"]["scopes"]["workspace"] = ["chat:write"]


def _command_without_slash(manifest: dict[str, Any]) -> None:
    manifest["features"]["slash_commands"][1]["command"] = "supplier"


def _short_long_description(manifest: dict[str, Any]) -> None:
    manifest["display_information"]["long_description"] = "Pay bills in Slack."


@pytest.mark.parametrize(
    ("breakage", "where", "keyword"),
    [
        (_without_description, "$.features.slash_commands[0]", "required"),
        (_unknown_scope_type, "$.oauth_config.scopes", "additionalProperties"),
        (_command_without_slash, "$.features.slash_commands[1].command", "pattern"),
        (_short_long_description, "$.display_information.long_description", "minLength"),
    ],
    ids=["command-without-description", "unknown-scope-type", "command-without-slash", "short"],
)
def test_a_broken_manifest_fails(
    validator: Draft7Validator, manifest: dict[str, Any], breakage: Any, where: str, keyword: str
) -> None:
    broken = copy.deepcopy(manifest)
    breakage(broken)
    found = problems(validator, broken)
    assert [(error.json_path, error.validator) for error in found] == [(where, keyword)], describe(
        found
    )


def test_commands(manifest: dict[str, Any]) -> None:
    commands = [command["command"] for command in manifest["features"]["slash_commands"]]
    assert sorted(commands) == sorted(COMMANDS)
    for command in manifest["features"]["slash_commands"]:
        assert command["description"].strip(), command
        # /billpay names people (`/billpay away @ben`): only escaped text carries their ids.
        assert command["should_escape"] is (command["command"] == "/billpay"), command


def test_events(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(BOT_EVENTS)
    assert "user_events" not in manifest["settings"]["event_subscriptions"]


def test_bot_scopes_are_the_minimal_set(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == sorted(BOT_SCOPES)
    assert set(scopes) == {"bot"}, "the app asks for no user or optional scopes"


def test_the_install_asks_for_the_manifests_scopes_and_comes_back_to_the_bot(
    manifest: dict[str, Any],
) -> None:
    from billpay.slack.installations import BOT_SCOPES as ASKED
    from billpay.slack.oauth import REDIRECT_PATH

    assert list(ASKED) == manifest["oauth_config"]["scopes"]["bot"]
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    assert urlparse(redirect).scheme == "https"
    assert urlparse(redirect).path == REDIRECT_PATH


def test_interactivity_on_and_socket_mode_by_default(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    # Socket Mode needs no request URLs; the comments in manifest.yml say how to add them.
    assert "request_url" not in settings["interactivity"]
    assert "request_url" not in settings["event_subscriptions"]
    assert not [c["command"] for c in manifest["features"]["slash_commands"] if "url" in c]


def test_background_color_is_a_hex_colour(manifest: dict[str, Any]) -> None:
    # Slack's schema spells this check "regex", which JSON Schema ignores, so it is checked here.
    color = manifest["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color), color


def test_the_message_shortcut_is_the_one_the_bot_listens_for(manifest: dict[str, Any]) -> None:
    from billpay.slack.blocks.ids import SupplierCallback

    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message"
    assert shortcut["callback_id"] == SupplierCallback.BILL_FROM_FILE
    assert shortcut["name"] == "Create bill from invoice"


def test_message_events_come_with_their_history_scopes(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    for event in events:
        if event in EVENT_SCOPES:
            assert EVENT_SCOPES[event] in scopes, event


def billpay_verbs() -> set[str]:
    """The verbs a `/billpay` listener serves, as the handlers register them."""
    found = set()
    for source in HANDLERS.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        found |= set(re.findall(r'command\(\s*"/billpay",\s*verb="([^"]+)"', text))
    return found


def test_the_billpay_usage_hint_names_every_verb(manifest: dict[str, Any]) -> None:
    verbs = billpay_verbs()
    assert {"connect", "disconnect", "policy", "admins", "away", "language"} <= verbs
    (command,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/billpay"]
    hinted = {word.strip() for word in command["usage_hint"].split("|")}
    assert verbs | {"help"} == hinted
