"""The playground's channels kept across restarts: a JSON file of its own beside the bot's
database, so `billpay run --playground` started again shows the messages and threads the bot
still knows about (and can still update), as a Slack workspace would.

What is kept: every message and thread reply (the channel's and the bot's direct messages),
and whether the channel was linked. Ephemerals, modals and response URLs are not: Slack
forgets them too. Deleting the file empties the channels; deleting the playground's folder
starts everything afresh.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

VERSION = 1


@dataclass
class Kept:
    """What a history file holds."""

    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    linked: bool = False

    @property
    def latest_ts(self) -> float:
        stamps = [float(ts) for _, ts in self.messages]
        stamps += [float(r["ts"]) for replies in self.replies.values() for r in replies]
        return max(stamps, default=0.0)


def load(path: Path) -> Kept:
    """The channels kept in `path`; nothing when there is no file or it cannot be read (said
    in the log: the playground then starts with empty channels)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Kept()
    except (OSError, ValueError) as exc:
        log.warning("the playground's channels in %s could not be read (%s): empty", path, exc)
        return Kept()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        log.warning("the playground's channels in %s are not in a known form: empty", path)
        return Kept()
    return Kept(
        messages={(m["channel"], m["ts"]): m["message"] for m in data.get("messages", [])},
        replies={(r["channel"], r["ts"]): r["replies"] for r in data.get("replies", [])},
        linked=bool(data.get("linked")),
    )


def save(path: Path, kept: Kept) -> None:
    """Write the channels to `path` whole (a new file moved into place: a stop midway leaves
    the last one)."""
    data = {
        "version": VERSION,
        "linked": kept.linked,
        "messages": [
            {"channel": channel, "ts": ts, "message": message}
            for (channel, ts), message in kept.messages.items()
        ],
        "replies": [
            {"channel": channel, "ts": ts, "replies": replies}
            for (channel, ts), replies in kept.replies.items()
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
