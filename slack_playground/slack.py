"""A stand-in for Slack's Web API server, run in the caller's own event loop (a test's, or the
playground's).

`FakeSlack` owns the HTTP side of Slack: `/api/<method>` (the Web API, as slack_sdk's
`AsyncWebClient` calls it), `/response/<n>` (response_url posts) and `/socket` (the Socket Mode
websocket, served by `slack_playground.socket_mode.SocketModeFake` once enabled). It keeps the state
Slack would keep (messages, threads, ephemerals, views, Home tabs, trigger ids), records every call,
validates every `blocks` and `view` with `slack_playground.blockkit`, and answers the way Slack
does: HTTP 200 with `ok: false` for errors, HTTP 429 with `Retry-After` when rate limited.

Payloads Slack would reject as malformed (invalid blocks or views, missing arguments, unknown
methods, bad tokens) are also collected in `problems`; `assert_no_problems()` fails a test that
sent one without expecting it. Runtime conditions a bot must handle (`not_in_channel`,
`message_not_found`, `hash_conflict`, used trigger ids, injected faults) are not problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from slack_playground.blockkit import (
    INTERACTIVE_TYPES,
    VIEW_SERVER_KEYS,
    validate_message_blocks,
    validate_view,
)
from slack_playground.files import SlackUploads

if TYPE_CHECKING:
    from slack_playground.socket_mode import SocketModeFake

__all__ = [
    "Call",
    "FakeSlack",
    "SlackError",
    "validate_message_blocks",
    "validate_view",
]

# Arguments that form-encoded requests carry as JSON strings.
JSON_ARGS = ("blocks", "attachments", "view", "metadata")
TS_EPOCH = 1763800000
MAX_RESPONSE_URL_USES = 5

Handler = Callable[[dict[str, Any]], dict[str, Any]]


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


@dataclass
class _Fault:
    error: str
    retry_after: int | None = None  # set: HTTP 429


@dataclass
class _Trigger:
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class _Hook:
    """What a response_url is tied to."""

    channel_id: str
    user_id: str
    message_ts: str | None = None
    uses: int = 0


def truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it from JSON, a form or a query string."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


class FakeSlack:
    """The fake Web API server. Use as `async with FakeSlack(...) as slack:`."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107
        app_token: str = "xapp-test",  # noqa: S107
        team_id: str = "T0001",
        team_name: str = "Acme Ltd",
        team_domain: str = "acme",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "billpay",
        app_id: str = "A0BILLPAY",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id

        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        # Per-user / per-channel overrides merged into users.info / conversations.info.
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.not_in_channel: set[str] = set()
        # Seconds a trigger id stays valid (Slack: 3); None never expires.
        self.trigger_ttl: float | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.socket: SocketModeFake | None = None
        # Where message timestamps start and what ids are derived from: fixed, so tests see the
        # same values every run (the playground starts them from the clock instead).
        self.ts_epoch = TS_EPOCH
        self.id_salt = ""
        # Files shared in the workspace (`add_file`): id -> (files.info record, content), and
        # every download of a `url_private`, with the token it carried.
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.downloads: list[Download] = []

        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._parent_of: dict[tuple[str, str], str] = {}
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._triggers: dict[str, _Trigger] = {}
        self._hooks: dict[int, _Hook] = {}
        self._seq = 0
        self._ts_seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Handler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "files.info": self._files_info,
        }
        self.uploads = SlackUploads(self)
        self._handlers.update(self.uploads.handlers())

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self, port: int = 0) -> None:
        """Serve on 127.0.0.1 only (`port` 0: any free port)."""
        # Room for a file picked in a modal (Slack's own limit is far higher; an invoice is
        # at most 20 MB).
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/response/{n}", self._serve_response_url)
        app.router.add_get("/socket", self._serve_socket)
        self.add_routes(app)
        app.router.add_get("/files-pri/{team_file}/{name}", self._serve_file)
        self.uploads.install(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    def add_routes(self, app: web.Application) -> None:
        """More routes on the same server (the playground's page)."""

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeSlack is not running: use `async with FakeSlack() as slack`")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The `base_url` for slack_sdk's web clients: `http://127.0.0.1:PORT/api/`."""
        return f"{self.base_url}/api/"

    def enable_socket_mode(self) -> SocketModeFake:
        """Serve Socket Mode: `apps.connections.open` then answers with the fake's ws URL."""
        from slack_playground.socket_mode import SocketModeFake

        if self.socket is None:
            self.socket = SocketModeFake(self)
        return self.socket

    # -- the record ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def reset_calls(self) -> None:
        self.calls.clear()

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies under the message `ts` in `channel`, oldest first."""
        return list(self._replies.get((channel, ts), []))

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """A stored message or reply (KeyError if there is none)."""
        found = self._find_message(channel, ts)
        if found is None:
            raise KeyError((channel, ts))
        return found

    def channel_of(self, ts: str) -> str | None:
        """The channel of a stored message or reply with this ts."""
        for channel, message_ts in self._all_message_keys():
            if message_ts == ts:
                return channel
        return None

    def add_handler(self, method: str, handler: Handler) -> None:
        """Serve another Web API method: `handler(args)` returns the response (or raises
        `SlackError`)."""
        self._handlers[method] = handler

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until `count` calls to `method` (matching `where`) were received; return them."""

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        if not await self._wait(lambda: len(matching()) >= count, timeout):
            seen = "\n".join(f"  {_describe(c)}" for c in self.calls) or "  (none)"
            which = " matching the filter" if where is not None else ""
            raise AssertionError(
                f"expected {count} call(s) to {method}{which} within {timeout}s, "
                f"got {len(matching())}. Calls seen:\n{seen}"
            )
        return matching()

    async def wait_for_responses(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Wait until `count` response_url posts (matching `where`) were received."""

        def matching() -> list[dict[str, Any]]:
            return [r for r in self.responses if where is None or where(r)]

        if not await self._wait(lambda: len(matching()) >= count, timeout):
            raise AssertionError(
                f"expected {count} response_url post(s) within {timeout}s, got "
                f"{len(matching())}: {self.responses!r}"
            )
        return matching()

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        condition = self._changed
        try:
            async with asyncio.timeout(timeout), condition:
                await condition.wait_for(predicate)
        except TimeoutError:
            return False
        return True

    async def notify(self) -> None:
        """Wake `wait_for` callers (after any change to the record)."""
        async with self._changed:
            self._changed.notify_all()

    def take_problems(self) -> list[str]:
        """Return the problems seen so far and forget them (for tests that expect some)."""
        problems, self.problems = self.problems, []
        return problems

    def assert_no_problems(self) -> None:
        """Fail if any request was sent that Slack would have rejected as malformed."""
        if self.problems:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            raise AssertionError(f"Slack would have rejected {len(self.problems)}:\n{listed}")

    # -- fault injection -------------------------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` calls to `method` get HTTP 429 with `Retry-After: retry_after`."""
        for _ in range(count):
            self._faults[method].append(_Fault("ratelimited", retry_after=retry_after))

    def fail_next(self, method: str, error: str = "internal_error", count: int = 1) -> None:
        """The next `count` calls to `method` answer `{"ok": false, "error": error}`."""
        for _ in range(count):
            self._faults[method].append(_Fault(error))

    # -- ids Slack hands out ---------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing: 1763800000.000100, ...000200, ..."""
        self._ts_seq += 1
        micros = self._ts_seq * 100
        return f"{self.ts_epoch + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """A trigger id as an interaction would carry (valid once, for `trigger_ttl`)."""
        n = self._next()
        digest = hashlib.sha256(f"trigger-{n}".encode()).hexdigest()[:19]
        trigger_id = f"{13345224609 + n}.738474920.{digest}"
        self._triggers[trigger_id] = _Trigger(issued_at=self.clock(), view_id=view_id)
        return trigger_id

    def new_response_url(
        self, *, channel_id: str, user_id: str, message_ts: str | None = None
    ) -> str:
        """A response_url tied to a channel, a user and (for message actions) a message."""
        n = self._next()
        self._hooks[n] = _Hook(channel_id=channel_id, user_id=user_id, message_ts=message_ts)
        return f"{self.base_url}/response/{n}"

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        mimetype: str = "application/pdf",
        user_id: str = "U0ANA",
        channel_id: str = "C0FIN",
    ) -> dict[str, Any]:
        """A file shared in `channel_id`, as `files.info` describes it (its `url_private`
        needs the bot token); returns the record a message's `files` carries."""
        file_id = self._new_id("F", 11)
        url = f"{self.base_url}/files-pri/{self.team_id}-{file_id}/{name}"
        record = {
            "id": file_id,
            "created": self.ts_epoch,
            "timestamp": self.ts_epoch,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rpartition(".")[2].lower() if "." in name else "binary",
            "user": user_id,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "channels": [channel_id],
        }
        self.files[file_id] = (record, content)
        return copy.deepcopy(record)

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = args.get("file")
        if not file_id:
            raise SlackError("invalid_arguments", problems=["files.info needs `file`"])
        found = self.files.get(str(file_id))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": copy.deepcopy(found[0]),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        """A file's `url_private`: the bytes with the bot token as a bearer token; without it,
        as Slack does, a redirect to the sign-in page, never the file."""
        team_file = request.match_info["team_file"]
        file_id = team_file.partition("-")[2]
        token = _bearer(request.headers.get("Authorization"))
        found = self.files.get(file_id)
        ok = found is not None and token == self.bot_token
        self.downloads.append(Download(file_id=file_id, token=token, ok=ok))
        await self.notify()
        if found is None:
            return web.Response(status=404, text="file not found")
        if not ok:
            return web.Response(status=302, headers={"Location": f"{self.base_url}/signin"})
        record, content = found
        return web.Response(body=content, content_type=record["mimetype"])

    def _new_id(self, prefix: str, length: int = 9) -> str:
        seed = f"{self.id_salt}{prefix}-{self._next()}"
        digest = hashlib.sha256(seed.encode()).hexdigest().upper()
        return prefix + digest[: length - len(prefix)]

    def user_name(self, user_id: str) -> str:
        """The user's handle: `slack.users[id]["name"]`, else from the id (U0ANA -> ana)."""
        override = self.users.get(user_id, {}).get("name")
        if override:
            return str(override)
        return (user_id[2:] if user_id.startswith("U0") else user_id).lower()

    def channel_name(self, channel_id: str) -> str:
        return str(self.channels.get(channel_id, {}).get("name", "finance"))

    # -- HTTP ------------------------------------------------------------------------------

    async def _serve_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except ValueError as exc:
            args = {}
            body_error: str | None = str(exc)
        else:
            body_error = None
        token = _bearer(request.headers.get("Authorization")) or args.pop("token", None)
        args.pop("token", None)
        call = Call(method=method, args=args, response={}, token=token, http_method=request.method)
        headers: dict[str, str] = {}
        if body_error is not None:
            call.response = self._reject(method, "invalid_json", [body_error])
        else:
            call.response, call.status, headers = self._dispatch(method, args, token)
        self.calls.append(call)
        await self.notify()
        return web.json_response(call.response, status=call.status, headers=headers)

    def _dispatch(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        handler = self._handlers.get(method)
        if handler is None:
            return self._reject(method, "unknown_method", [f"unknown method {method}"]), 200, {}
        auth_error = self._check_token(method, token)
        if auth_error is not None:
            return self._reject(method, auth_error, [f"{auth_error} (token {token!r})"]), 200, {}
        faults = self._faults.get(method)
        if faults:
            fault = faults.popleft()
            response = {"ok": False, "error": fault.error}
            if fault.retry_after is not None:
                return response, 429, {"Retry-After": str(fault.retry_after)}
            return response, 200, {}
        try:
            return handler(args), 200, {}
        except SlackError as exc:
            response = {"ok": False, "error": exc.error, **exc.extra}
            self.problems += [f"{method}: {p}" for p in exc.problems]
            return response, 200, {}

    def _reject(self, method: str, error: str, problems: list[str]) -> dict[str, Any]:
        self.problems += [f"{method}: {p}" for p in problems]
        return {"ok": False, "error": error}

    def _check_token(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token == wanted:
            return None
        if token in (self.app_token, self.bot_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    async def _serve_response_url(self, request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"]) if request.match_info["n"].isdigit() else -1
        url = f"{self.base_url}/response/{request.match_info['n']}"
        hook = self._hooks.get(n)
        try:
            body = await request.json()
        except ValueError:
            body = None
        error, problems = self._apply_response(hook, body)
        self.problems += [f"response_url: {p}" for p in problems]
        if isinstance(body, dict):
            self.responses.append({**body, "response_url": url})
        await self.notify()
        if error is not None:
            status = 404 if error in ("expired_url", "used_url") else 400
            return web.json_response({"ok": False, "error": error}, status=status)
        return web.json_response({"ok": True})

    def _apply_response(self, hook: _Hook | None, body: Any) -> tuple[str | None, list[str]]:
        if hook is None:
            return "expired_url", ["post to a response_url the fake never issued"]
        if not isinstance(body, dict):
            return "invalid_payload", ["response_url bodies must be JSON objects"]
        hook.uses += 1
        if hook.uses > MAX_RESPONSE_URL_USES:
            return "used_url", [f"response_url used more than {MAX_RESPONSE_URL_USES} times"]
        blocks = body.get("blocks")
        problems = validate_message_blocks(blocks) if blocks is not None else []
        if problems:
            return "invalid_blocks", problems
        original = self._find_message(hook.channel_id, hook.message_ts) if hook.message_ts else None
        if truthy(body.get("delete_original")):
            if original is None:
                return "message_not_found", []
            self._delete_message(hook.channel_id, original["ts"])
            return None, []
        if not body.get("text") and not blocks:
            return "no_text", ["a response needs text or blocks"]
        if truthy(body.get("replace_original")) and original is not None:
            original["text"] = body.get("text", "")
            original.pop("blocks", None)
            if blocks:
                original["blocks"] = self._with_ids(blocks)
            return None, []
        if body.get("response_type") == "in_channel":
            try:
                self._post(hook.channel_id, body.get("text", ""), blocks, body.get("thread_ts"))
            except SlackError as exc:
                return exc.error, exc.problems
        else:
            self.ephemerals.append(
                {
                    "channel": hook.channel_id,
                    "user": hook.user_id,
                    "text": body.get("text", ""),
                    "blocks": blocks,
                    "message_ts": self.new_ts(),
                }
            )
        return None, []

    async def _serve_socket(self, request: web.Request) -> web.StreamResponse:
        if self.socket is None:
            return web.json_response({"ok": False, "error": "not_allowed"}, status=404)
        return await self.socket.handle(request)

    # -- messages --------------------------------------------------------------------------

    def _all_message_keys(self) -> list[tuple[str, str]]:
        keys = list(self.messages)
        for (channel, _), replies in self._replies.items():
            keys += [(channel, r["ts"]) for r in replies]
        return keys

    def _find_message(self, channel: str, ts: str | None) -> dict[str, Any] | None:
        if ts is None:
            return None
        found = self.messages.get((channel, ts))
        if found is not None:
            return found
        parent = self._parent_of.get((channel, ts))
        if parent is not None:
            for reply in self._replies.get((channel, parent), []):
                if reply["ts"] == ts:
                    return reply
        return None

    def _delete_message(self, channel: str, ts: str) -> None:
        if self.messages.pop((channel, ts), None) is not None:
            for reply in self._replies.pop((channel, ts), []):
                self._parent_of.pop((channel, reply["ts"]), None)
            return
        parent = self._parent_of.pop((channel, ts), None)
        if parent is not None:
            replies = self._replies.get((channel, parent), [])
            replies[:] = [r for r in replies if r["ts"] != ts]

    def _with_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Blocks as Slack stores them: a block_id on every block, an action_id on every
        interactive element (generated where the app gave none)."""
        stored = copy.deepcopy(blocks)
        for block in stored:
            if not isinstance(block, dict):
                continue
            block.setdefault("block_id", self._new_id("", 5))
            children: list[Any] = [block.get("accessory"), block.get("element")]
            if block.get("type") in ("actions", "context_actions"):
                children += block.get("elements") or []
            for child in children:
                if isinstance(child, dict) and child.get("type") in INTERACTIVE_TYPES:
                    child.setdefault("action_id", self._new_id("", 5))
        return stored

    def _post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        parent_ts = None
        if thread_ts:
            parent_ts = self._parent_of.get((channel, thread_ts), thread_ts)
            if (channel, parent_ts) not in self.messages:
                raise SlackError("thread_not_found")
        ts = self.new_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text or "",
            "ts": ts,
        }
        if blocks:
            message["blocks"] = self._with_ids(blocks)
        message.update(extra or {})
        if parent_ts is None:
            self.messages[(channel, ts)] = message
        else:
            message["thread_ts"] = parent_ts
            parent = self.messages[(channel, parent_ts)]
            parent["thread_ts"] = parent_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
            self._replies.setdefault((channel, parent_ts), []).append(message)
            self._parent_of[(channel, ts)] = parent_ts
        return message

    def _message_args(self, args: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Validate `blocks` (and blocks inside `attachments`); return the blocks."""
        problems: list[str] = []
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format", problems=["blocks is not a JSON array"])
        if blocks is not None:
            problems += validate_message_blocks(blocks)
        attachments = args.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                problems.append("attachments must be an array [json-pointer:/attachments]")
            else:
                for i, attachment in enumerate(attachments):
                    if isinstance(attachment, dict) and "blocks" in attachment:
                        problems += validate_message_blocks(
                            attachment["blocks"], pointer=f"/attachments/{i}/blocks"
                        )
        if problems:
            raise SlackError(
                "invalid_blocks",
                problems=problems,
                errors=problems,
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            raise SlackError("invalid_arguments", problems=["text must be a string"])
        if isinstance(text, str) and len(text) > 40_000:
            raise SlackError("msg_too_long", problems=["text is longer than 40000 characters"])
        return blocks if isinstance(blocks, list) else None

    def _channel(self, args: dict[str, Any]) -> str:
        channel = args.get("channel")
        if not channel or not isinstance(channel, str):
            raise SlackError("channel_not_found", problems=["missing required argument: channel"])
        return channel

    def _member(self, channel: str) -> None:
        if channel in self.not_in_channel:
            raise SlackError("not_in_channel")

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        blocks = self._message_args(args)
        if not args.get("text") and not blocks and not args.get("attachments"):
            raise SlackError("no_text", problems=["a message needs text, blocks or attachments"])
        self._member(channel)
        extra = {k: args[k] for k in ("attachments", "metadata") if args.get(k) is not None}
        message = self._post(channel, args.get("text") or "", blocks, args.get("thread_ts"), extra)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": _copy(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = args.get("ts")
        if not ts:
            raise SlackError("message_not_found", problems=["missing required argument: ts"])
        blocks = self._message_args(args)
        if "text" not in args and "blocks" not in args and "attachments" not in args:
            raise SlackError("no_text", problems=["chat.update needs text, blocks or attachments"])
        message = self._find_message(channel, str(ts))
        if message is None:
            raise SlackError("message_not_found")
        if "text" in args:
            message["text"] = args.get("text") or ""
        if "blocks" in args:
            if blocks:
                message["blocks"] = self._with_ids(blocks)
            else:
                message.pop("blocks", None)
        if "attachments" in args:
            message["attachments"] = args["attachments"]
        message["edited"] = {"user": self.bot_user_id, "ts": self.new_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": _copy(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = args.get("user")
        if not user:
            raise SlackError("user_not_found", problems=["missing required argument: user"])
        blocks = self._message_args(args)
        if not args.get("text") and not blocks and not args.get("attachments"):
            raise SlackError("no_text", problems=["an ephemeral needs text, blocks or attachments"])
        self._member(channel)
        ts = self.new_ts()
        record = {
            "channel": channel,
            "user": user,
            "text": args.get("text") or "",
            "blocks": blocks,
            "message_ts": ts,
        }
        if args.get("thread_ts"):
            record["thread_ts"] = args["thread_ts"]
        self.ephemerals.append(record)
        return {"ok": True, "message_ts": ts}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("ts") or "")
        if self._find_message(channel, ts) is None:
            raise SlackError("message_not_found")
        self._delete_message(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("message_ts") or "")
        if self._find_message(channel, ts) is None:
            raise SlackError("message_not_found")
        url = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": url}

    # -- views -----------------------------------------------------------------------------

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

    def _use_trigger(self, args: dict[str, Any]) -> _Trigger:
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
        stored = {
            "id": view_id,
            "team_id": self.team_id,
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
            "app_installed_team_id": self.team_id,
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
        return {"ok": True, "view": _copy(self._store_view(view))}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args, kind="modal")
        trigger = self._use_trigger(args)
        previous = self.views.get(trigger.view_id) if trigger.view_id else None
        return {"ok": True, "view": _copy(self._store_view(view, previous=previous))}

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
        return {"ok": True, "view": _copy(current)}

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
        return {"ok": True, "view": _copy(stored)}

    # -- the rest --------------------------------------------------------------------------

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in args.items() if isinstance(v, str)}}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket is None:
            raise SlackError("not_allowed")
        return {"ok": True, "url": self.socket.new_url()}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user")
        if not user_id:
            raise SlackError("user_not_found", problems=["missing required argument: user"])
        user_id = str(user_id)
        if user_id[:1] not in ("U", "W"):
            raise SlackError("user_not_found")
        override = self.users.get(user_id, {})
        tz = str(override.get("tz", "Europe/London"))
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": self.user_name(user_id),
            "real_name": self.user_name(user_id).title(),
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": _tz_offset(tz),
            "locale": "en-GB",
        }
        user.update(copy.deepcopy(override))
        user.setdefault("profile", {"real_name": user["real_name"], "display_name": user["name"]})
        if not truthy(args.get("include_locale")):
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        info: dict[str, Any] = {
            "id": channel,
            "name": "finance",
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": channel not in self.not_in_channel,
        }
        info.update(copy.deepcopy(self.channels.get(channel, {})))
        return {"ok": True, "channel": info}


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)


def _given(view: dict[str, Any]) -> dict[str, Any]:
    """The fields of a view the app sent, without those only Slack sets."""
    return {k: copy.deepcopy(v) for k, v in view.items() if k not in VIEW_SERVER_KEYS}


def _view_errors(problems: list[str]) -> dict[str, Any]:
    """SlackError keywords for `invalid_arguments`: the problems, and Slack's messages."""
    return {
        "problems": problems,
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _describe(call: Call) -> str:
    outcome = "ok" if call.ok else f"error={call.error}"
    args = json.dumps(call.args, default=str)
    if len(args) > 200:
        args = args[:200] + "..."
    return f"{call.method} [{call.status} {outcome}] {args}"


async def _read_args(request: web.Request) -> dict[str, Any]:
    """The request's arguments, however slack_sdk sent them; JSON-string fields decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise ValueError(f"request body is not valid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise ValueError("JSON request body must be an object")
            args.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    args[key] = {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "content": value.file.read(),
                    }
                else:
                    args[key] = value
    for key in JSON_ARGS:
        encoded = args.get(key)
        if isinstance(encoded, str):
            with contextlib.suppress(ValueError):  # left as a string: reported as invalid
                args[key] = json.loads(encoded)
    return args
