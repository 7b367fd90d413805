"""What a Web API call is to the Slack stand-in: `Call` (one call as received and answered),
`SlackError` (how a handler answers `ok: false`), and how Slack reads arguments and tokens."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any]]
"""A Web API method: its arguments in, its response out (or `SlackError`)."""


@dataclass
class Download:
    """A GET of a file's `url_private`; `ok` when it carried the bot token."""

    file_id: str
    token: str | None
    ok: bool


@dataclass
class Call:
    """One Web API call as the fake received and answered it."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int = 200
    token: str | None = None
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")


class SlackError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": ...}`.

    `problems` are the reasons the request was malformed; when given, they are also added to
    `FakeSlack.problems`.
    """

    def __init__(self, error: str, *, problems: Iterable[str] = (), **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.problems = list(problems)
        self.extra = extra


def truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it from JSON, a form or a query string."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def bearer_token(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def describe_call(call: Call) -> str:
    outcome = "ok" if call.ok else f"error={call.error}"
    args = json.dumps(call.args, default=str)
    if len(args) > 200:
        args = args[:200] + "..."
    return f"{call.method} [{call.status} {outcome}] {args}"
