"""Modals and Home tabs: the `views.*` methods and the trigger ids that open them.

A view is validated with `slack_playground.blockkit` and stored as Slack stores it (its own id,
hash, root and previous view, the keys only Slack sets). A trigger id works once, within
`trigger_ttl` when set; `views.update` honours `hash`; a user's Home tab keeps its id across
publishes.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from slack_playground.blockkit import VIEW_SERVER_KEYS, validate_view
from slack_playground.webapi.calls import SlackError
from slack_playground.webapi.state import TS_EPOCH, Trigger
from slack_playground.webapi.teams import TeamsAndOAuth


class ViewMethods(TeamsAndOAuth):
    """Trigger ids, the view store and `views.*`."""

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """A trigger id as an interaction would carry (valid once, for `trigger_ttl`)."""
        n = self._next()
        digest = hashlib.sha256(f"trigger-{n}".encode()).hexdigest()[:19]
        trigger_id = f"{13345224609 + n}.738474920.{digest}"
        self._triggers[trigger_id] = Trigger(issued_at=self.clock(), view_id=view_id)
        return trigger_id

    def _use_trigger(self, args: dict[str, Any]) -> Trigger:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise SlackError(
                "invalid_arguments", **_view_errors(["missing required field: trigger_id"])
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None or trigger.used:
            raise SlackError("invalid_trigger_id")
        if self.trigger_ttl is not None and self.clock() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _view_arg(self, args: dict[str, Any], *, kind: str | None = None) -> dict[str, Any]:
        view = args.get("view")
        if view is None:
            raise SlackError("invalid_arguments", **_view_errors(["missing required field: view"]))
        problems = validate_view(view)
        if not problems and kind is not None and view.get("type") != kind:
            problems = [f"type must be '{kind}' here [json-pointer:/view/type]"]
        if problems:
            raise SlackError("invalid_arguments", **_view_errors(problems))
        return view

    def _store_view(
        self,
        view: dict[str, Any],
        *,
        previous: dict[str, Any] | None = None,
        replacing: str | None = None,
    ) -> dict[str, Any]:
        external_id = view.get("external_id")
        if external_id and any(
            v.get("external_id") == external_id for k, v in self.views.items() if k != replacing
        ):
            raise SlackError("duplicate_external_id")
        view_id = self._new_id("V", 11)
        # The workspace whose token opened it: its submissions come from that workspace.
        team_id = self.calling_team
        stored = {
            "id": view_id,
            "team_id": team_id,
            "type": view["type"],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "title": None,
            "close": None,
            "submit": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": previous["id"] if previous else None,
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "app_id": self.app_id,
            "app_installed_team_id": team_id,
            "bot_id": self.bot_id,
        }
        stored.update(_given(view))
        stored["blocks"] = self._with_ids(view.get("blocks") or [])
        stored["state"] = {"values": {}}
        stored["hash"] = self._new_hash()
        self.views[view_id] = stored
        return stored

    def _new_hash(self) -> str:
        n = self._next()
        return f"{TS_EPOCH + n}.{hashlib.sha256(f'hash-{n}'.encode()).hexdigest()[:8]}"

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args, kind="modal")
        self._use_trigger(args)
        return {"ok": True, "view": copy.deepcopy(self._store_view(view))}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args, kind="modal")
        trigger = self._use_trigger(args)
        previous = self.views.get(trigger.view_id) if trigger.view_id else None
        return {"ok": True, "view": copy.deepcopy(self._store_view(view, previous=previous))}

    def answer_submission(self, view_id: str, ack: dict[str, Any]) -> dict[str, Any] | None:
        """Apply a `view_submission`'s `response_action: update` as Slack does: the open view
        becomes the one in the answer (validated like `views.update`). Returns it, or None when
        the answer was anything else."""
        if ack.get("response_action") != "update":
            return None
        updated = self._views_update({"view_id": view_id, "view": ack["view"]})
        view = updated.get("view")
        return view if isinstance(view, dict) else None

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments", **_view_errors(["provide view_id or external_id"])
            )
        view = self._view_arg(args)
        current = self.views.get(str(view_id)) if view_id else None
        if current is None and external_id:
            current = next(
                (v for v in self.views.values() if v.get("external_id") == external_id), None
            )
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        if view.get("type") != current["type"]:
            raise SlackError(
                "invalid_arguments",
                **_view_errors([f"type must stay {current['type']!r} [json-pointer:/view/type]"]),
            )
        kept = {
            k: current[k]
            for k in (
                "id",
                "team_id",
                "previous_view_id",
                "root_view_id",
                "app_id",
                "app_installed_team_id",
                "bot_id",
            )
        }
        for key in ("private_metadata", "callback_id", "external_id"):
            current[key] = ""
        for key in ("title", "close", "submit"):
            current[key] = None
        current.update(_given(view))
        current.update(kept)
        current["blocks"] = self._with_ids(view.get("blocks") or [])
        current["state"] = {"values": {}}
        current["hash"] = self._new_hash()
        return {"ok": True, "view": copy.deepcopy(current)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user_id")
        if not user_id:
            raise SlackError(
                "invalid_arguments", **_view_errors(["missing required field: user_id"])
            )
        view = self._view_arg(args, kind="home")
        current = self.home_views.get(str(user_id))
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, replacing=current["id"] if current else None)
        if current is not None:  # a user's Home tab keeps its view id across publishes
            del self.views[stored["id"]]
            stored["id"] = stored["root_view_id"] = current["id"]
            self.views[current["id"]] = stored
        self.home_views[str(user_id)] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}


def _given(view: dict[str, Any]) -> dict[str, Any]:
    """The fields of a view the app sent, without those only Slack sets."""
    return {k: copy.deepcopy(v) for k, v in view.items() if k not in VIEW_SERVER_KEYS}


def _view_errors(problems: list[str]) -> dict[str, Any]:
    """SlackError keywords for `invalid_arguments`: the problems, and Slack's messages."""
    return {
        "problems": problems,
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }
