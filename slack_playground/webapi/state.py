"""`SlackState`: the workspace `FakeSlack` stands for and everything Slack keeps about it, with
the record tests read.

The workspace (team, bot, app and their tokens; users' and channels' overrides; channels the bot
is not in) and what Slack stores (messages and threads, ephemerals, views and Home tabs, files,
trigger ids, response URLs) live here, with the ids Slack hands out. So does the record: every
call (`calls`), every payload Slack would have rejected as malformed (`problems`), waiting for
calls and `response_url` posts, and the faults a test injects (rate limits, errors, and calls
held before Slack acts on them). The Web API families in this
package add the methods that read and change it.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from slack_playground.blockkit import INTERACTIVE_TYPES
from slack_playground.webapi.calls import Call, Download, Handler, SlackError, describe_call

TS_EPOCH = 1763800000


# What `SlackState.saved` copies: the record, what Slack stores and the ids it hands out.
SAVED_FIELDS = (
    "calls",
    "problems",
    "messages",
    "ephemerals",
    "views",
    "home_views",
    "responses",
    "users",
    "usergroups",
    "channels",
    "not_in_channel",
    "files",
    "downloads",
    "_replies",
    "_parent_of",
    "_triggers",
    "_hooks",
    "_seq",
    "_ts_seq",
)


@dataclass(frozen=True)
class SavedState:
    """What a `SlackState` held at one moment (`SlackState.saved`)."""

    fields: dict[str, Any]


@dataclass
class InjectedFault:
    error: str
    retry_after: int | None = None  # set: HTTP 429


@dataclass
class Hold:
    """Calls to `method` (matching `where`, given a call's arguments) held before the stand-in
    acts on them: the first `skip` pass, the next `count` wait until the test decides.
    `release()` lets them through, answered as usual; `drop()` answers them without acting on
    them (HTTP 503, nothing posted, nothing recorded), as when the caller died before Slack
    read its request. Once decided, the hold takes no more calls."""

    method: str
    skip: int = 0
    count: int = 1
    where: Callable[[dict[str, Any]], bool] | None = None
    # The arguments of each call held, in the order they came.
    held: list[dict[str, Any]] = field(default_factory=list, init=False)
    dropped: bool = field(default=False, init=False)
    _seen: int = field(default=0, init=False)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, init=False)
    _decided: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def takes(self, method: str, args: dict[str, Any]) -> bool:
        if self._decided.is_set() or method != self.method:
            return False
        if self.where is not None and not self.where(args):
            return False
        self._seen += 1
        return self.skip < self._seen <= self.skip + self.count

    async def keep(self, args: dict[str, Any]) -> bool:
        """Hold one call until the test decides: True when it is released."""
        self.held.append(args)
        async with self._changed:
            self._changed.notify_all()
        await self._decided.wait()
        return not self.dropped

    async def wait(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Wait until `count` calls are held; return their arguments."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.held) >= count)
        except TimeoutError:
            raise AssertionError(
                f"expected {count} call(s) to {self.method} held within {timeout}s, "
                f"got {len(self.held)}"
            ) from None
        return list(self.held)

    def release(self) -> None:
        self._decided.set()

    def drop(self) -> None:
        self.dropped = True
        self._decided.set()


@dataclass
class Trigger:
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class ResponseHook:
    """What a response_url is tied to: the message it came from (a button's), or else the
    last message it posted (a slash command's), which `replace_original` and
    `delete_original` act on."""

    channel_id: str
    user_id: str
    message_ts: str | None = None
    uses: int = 0
    posted_ts: str | None = None


class SlackState:
    """The workspace, what Slack keeps about it, and the record of calls (see the module)."""

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
        # User groups: id -> {"handle": ..., "name": ..., "users": [user ids]}.
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.not_in_channel: set[str] = set()
        # Seconds a trigger id stays valid (Slack: 3); None never expires.
        self.trigger_ttl: float | None = None
        self.clock: Callable[[], float] = time.monotonic
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
        self._faults: dict[str, deque[InjectedFault]] = defaultdict(deque)
        self._holds: list[Hold] = []
        self._triggers: dict[str, Trigger] = {}
        self._hooks: dict[int, ResponseHook] = {}
        self._seq = 0
        self._ts_seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Handler] = {}

    # -- where it is served ------------------------------------------------------------------

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

    def issued_url(self, path: str) -> str:
        """An address handed to the app to call without its token (a `response_url`, an upload
        URL): here `base_url` + `path`; the playground adds its own token to it."""
        return f"{self.base_url}{path}"

    # -- the record --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def reset_calls(self) -> None:
        self.calls.clear()

    def saved(self) -> SavedState:
        """A copy of what Slack holds and of the record, for `restore` into another stand-in:
        a workspace brought to a point once (a channel linked) and started from there again."""
        return SavedState(copy.deepcopy({name: getattr(self, name) for name in SAVED_FIELDS}))

    def restore(self, saved: SavedState) -> None:
        """Hold what `saved` holds, as the stand-in it came from did (its own copy of it), with
        ids and timestamps going on from there; faults, holds and waits are this one's own."""
        for name, value in copy.deepcopy(saved.fields).items():
            setattr(self, name, value)

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
            seen = "\n".join(f"  {describe_call(c)}" for c in self.calls) or "  (none)"
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

    # -- fault injection ---------------------------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` calls to `method` get HTTP 429 with `Retry-After: retry_after`."""
        for _ in range(count):
            self._faults[method].append(InjectedFault("ratelimited", retry_after=retry_after))

    def fail_next(self, method: str, error: str = "internal_error", count: int = 1) -> None:
        """The next `count` calls to `method` answer `{"ok": false, "error": error}`."""
        for _ in range(count):
            self._faults[method].append(InjectedFault(error))

    def hold(
        self,
        method: str,
        *,
        skip: int = 0,
        count: int = 1,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Hold:
        """Hold calls to `method` before acting on them (see `Hold`): the first `skip` matching
        calls pass, the next `count` wait for `release()` or `drop()`. A test stalls a caller
        with it mid-work, deterministically, e.g. to kill the caller there."""
        hold = Hold(method, skip=skip, count=count, where=where)
        self._holds.append(hold)
        return hold

    async def _kept_back(self, method: str, args: dict[str, Any]) -> bool:
        """Wait while a hold keeps this call; True when it was dropped."""
        for hold in self._holds:
            if hold.takes(method, args):
                return not await hold.keep(args)
        return False

    # -- ids Slack hands out -----------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing: 1763800000.000100, ...000200, ..."""
        self._ts_seq += 1
        micros = self._ts_seq * 100
        return f"{self.ts_epoch + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_id(self, prefix: str, length: int = 9) -> str:
        seed = f"{self.id_salt}{prefix}-{self._next()}"
        digest = hashlib.sha256(seed.encode()).hexdigest().upper()
        return prefix + digest[: length - len(prefix)]

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

    # -- the workspace -----------------------------------------------------------------------

    def user_name(self, user_id: str) -> str:
        """The user's handle: `slack.users[id]["name"]`, else from the id (U0ANA -> ana)."""
        override = self.users.get(user_id, {}).get("name")
        if override:
            return str(override)
        return (user_id[2:] if user_id.startswith("U0") else user_id).lower()

    def channel_name(self, channel_id: str) -> str:
        return str(self.channels.get(channel_id, {}).get("name", "finance"))

    def _channel(self, args: dict[str, Any]) -> str:
        channel = args.get("channel")
        if not channel or not isinstance(channel, str):
            raise SlackError("channel_not_found", problems=["missing required argument: channel"])
        return channel

    def _member(self, channel: str) -> None:
        if channel in self.not_in_channel:
            raise SlackError("not_in_channel")
