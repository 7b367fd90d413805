"""The playground: a local stand-in for a Slack workspace, a page a person uses in a browser.

`Playground` is the Slack stand-in (`FakeSlack`: the Web API the bot calls, validating every
payload) plus the page: a `#finance` channel, a composer for slash commands, modals, threads and
the App Home. What the person does on the page is sent to the bot's request URL exactly as Slack
sends it (signed slash commands, `block_actions`, `view_submission`, `view_closed`,
`block_suggestion`, `app_home_opened`), and what the bot answers is applied as Slack would
(acks with `response_action`, then its Web API calls). The page learns of every change through
server-sent events and fetches what changed. Anything Slack would reject is shown with the
validator's reason.

It listens on 127.0.0.1 only, and answers only requests that prove they hold its token: a random
key made at each start and printed in the page's address (`/?token=...`, as Jupyter does). The
page's address sets it as a cookie (HttpOnly, SameSite=Strict) that the page's own requests
carry; the bot reaches the Web API and files with the run's bot token, and response and upload
URLs carry the token in their query. Anything else is refused with 403. The Host and Origin
check stays behind it, against other sites open in the same browser.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hmac
import html
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from aiohttp import web

from slack_playground import history as history_file
from slack_playground.blockkit import validate_ack
from slack_playground.inbound import SlackRequests
from slack_playground.inbound.element_state import empty_required
from slack_playground.markup import (
    STARTING_HTML,
    DemoPerson,
    Notice,
    modal_markup,
    page_html,
)
from slack_playground.reading import Reader, client_words, reading_as
from slack_playground.render import render_blocks, render_mrkdwn
from slack_playground.slack import FakeSlack, SlackError
from slack_playground.webapi.calls import bearer_token

log = logging.getLogger(__name__)

CHANNEL = "C0FIN"
CHANNEL_NAME = "finance"
SUBMIT_WAIT_SECONDS = 10.0
TOKEN_PARAMETER = "token"  # noqa: S105 (the query parameter's name, not a secret)
# What the bot calls with its own bot token, as a Slack client does.
BOT_PATHS = ("/api/", "/files-pri/")


PEOPLE = (
    DemoPerson("U0ANA", "ana", "Ana Lopez", "approver", "en-US", "Europe/London"),
    DemoPerson("U0SAM", "sam", "Sam Okafor", "payer", "en-GB", "Europe/London"),
    DemoPerson("U0LEA", "lea", "Léa Martin", "French", "fr-FR", "Europe/Paris"),
)
APPROVERS = ["U0ANA", "U0LEA"]
PAYERS = ["U0ANA", "U0SAM", "U0LEA"]


@dataclass(frozen=True)
class _Viewer:
    """Who is looking at the page: whose ephemerals and modals, names for mentions, and the
    locale and time zone dates and times are written in."""

    user: str
    names: dict[str, str]
    people: dict[str, str]
    reader: Reader


# The demo company of the payables sandbox the playground runs on by default.
DEMO_CONNECT = "connect Larkspur Design Studio Ltd"


class Playground(FakeSlack):
    """The Slack stand-in with the page. `request_url` is the bot's `/slack/events`, set once the
    bot listens; `token` is what every request must prove it holds (`page_url` carries it);
    `notice` says on the page what the bot behind it can reach; `history` is the file its
    channels are kept in across restarts (`slack_playground.history`), if any."""

    def __init__(
        self,
        *,
        signing_secret: str,
        bot_token: str,
        notice: Notice | None = None,
        history: Path | None = None,
        connect_text: str = DEMO_CONNECT,
        **kwargs: Any,
    ) -> None:
        super().__init__(bot_token=bot_token, team_name="Larkspur Design Studio", **kwargs)
        self.signing_secret = signing_secret
        self.token = secrets.token_urlsafe(32)
        self.notice = notice
        # What `/billpay` is given when the page first opens: the demo company's name links
        # it at once; a bare `connect` opens the bot's connect form instead.
        self.connect_text = connect_text
        self.request_url: str | None = None
        self.requests = SlackRequests(signing_secret, self)
        self.version = 0
        # Message timestamps from the clock and ids salted per run: a bot database kept from an
        # earlier run never mistakes a new message or view for an old one.
        self.ts_epoch = int(time.time())
        self.id_salt = secrets.token_hex(4)
        self.linked = False
        self.stacks: dict[str, list[str]] = {}
        self._trigger_user: dict[str, str] = {}
        self._acting: str = PEOPLE[0].user_id
        self._http: httpx.AsyncClient | None = None
        for person in PEOPLE:
            self.users[person.user_id] = {
                "name": person.name,
                "real_name": person.real_name,
                "locale": person.locale,
                "tz": person.tz,
                "tz_label": person.tz,
                # The demo's first person administers its workspace: the settings forms open.
                "is_admin": person is PEOPLE[0],
            }
        self.channels[CHANNEL] = {"name": CHANNEL_NAME}
        self.history = history
        if history is not None:
            self._restore(history_file.load(history))

    def _restore(self, kept: history_file.Kept) -> None:
        """The channels as an earlier run left them; new messages come after them."""
        self.messages.update(kept.messages)
        self._replies.update(kept.replies)
        for (channel, parent), replies in kept.replies.items():
            for reply in replies:
                self._parent_of[(channel, str(reply["ts"]))] = parent
        self.linked = kept.linked
        self.ts_epoch = max(self.ts_epoch, int(kept.latest_ts) + 1)

    # -- Slack's side of what the bot calls ----------------------------------------------------

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        trigger_id = super().new_trigger_id(view_id=view_id)
        self._trigger_user[trigger_id] = self._acting
        return trigger_id

    def _trigger_owner(self, args: dict[str, Any]) -> str:
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        return self._trigger_user.get(trigger, self._acting)

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        response = super()._views_open(args)
        self.stacks[self._trigger_owner(args)] = [response["view"]["id"]]
        return response

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        response = super()._views_push(args)
        self.stacks.setdefault(self._trigger_owner(args), []).append(response["view"]["id"])
        return response

    async def notify(self) -> None:
        self.version += 1
        if self.history is not None:
            kept = history_file.Kept(self.messages, self._replies, self.linked)
            try:
                history_file.save(self.history, kept)
            except OSError as exc:  # the page goes on; the next start shows less
                log.warning("the playground's channels could not be kept: %s", exc)
        await super().notify()

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        self._http = httpx.AsyncClient(timeout=SUBMIT_WAIT_SECONDS)
        await super().start(port)

    async def stop(self) -> None:
        await super().stop()
        if self._http is not None:
            await self._http.aclose()

    @property
    def page_url(self) -> str:
        """The address to open: the page, with the token."""
        return f"{self.base_url}/?{TOKEN_PARAMETER}={self.token}"

    @property
    def cookie_name(self) -> str:
        """The cookie that carries the token; named by the port, since browsers share a host's
        cookies across its ports (two playgrounds side by side keep their own)."""
        return f"billpay_playground_{self.port}"

    def issued_url(self, path: str) -> str:
        return f"{self.base_url}{path}?{TOKEN_PARAMETER}={self.token}"

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._token_required)
        app.middlewares.append(_same_origin_only)
        app.router.add_get("/", self._page)
        app.router.add_get("/ui/state", self._state)
        app.router.add_get("/ui/events", self._events)
        app.router.add_get("/ui/suggest", self._suggest)
        app.router.add_post("/ui/command", self._command)
        app.router.add_post("/ui/action", self._action)
        app.router.add_post("/ui/submit", self._submit)
        app.router.add_post("/ui/close", self._close)
        app.router.add_post("/ui/home", self._home_opened)

    # -- who may use it ----------------------------------------------------------------------

    def proof(self, request: web.Request) -> str | None:
        """How `request` proves it may use the playground: "query" (the token in the address,
        as printed), "cookie" (set when that address was opened), "bot" (the run's bot token as
        the bearer of a Web API call or a file download), or None. A token given in the query
        must be right, whatever else the request carries."""
        given = request.query.get(TOKEN_PARAMETER)
        if given is not None:
            return "query" if _same_secret(given, self.token) else None
        cookie = request.cookies.get(self.cookie_name)
        if cookie is not None and _same_secret(cookie, self.token):
            return "cookie"
        if request.path.startswith(BOT_PATHS):
            bearer = bearer_token(request.headers.get("Authorization"))
            if bearer is not None and _same_secret(bearer, self.bot_token):
                return "bot"
        return None

    @web.middleware
    async def _token_required(self, request: web.Request, handler: Any) -> web.StreamResponse:
        proof = self.proof(request)
        if proof is None:
            log.warning("refused a request to %r without the playground's token", request.path)
            raise web.HTTPForbidden(text=NO_ENTRY.format(base_url=self.base_url))
        response: web.StreamResponse = await handler(request)
        if not response.prepared:
            # The address carries the token: never sent on to another site.
            response.headers["Referrer-Policy"] = "no-referrer"
            if proof == "query":
                response.set_cookie(
                    self.cookie_name, self.token, path="/", httponly=True, samesite="Strict"
                )
        return response

    # -- sending to the bot ------------------------------------------------------------------

    async def _send(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        if self.request_url is None or self._http is None:
            raise web.HTTPServiceUnavailable(text="the bot is still starting")
        try:
            response = await self._http.post(self.request_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.problems.append(f"the bot did not answer: {exc!r}")
            await self.notify()
            return 0, None
        if response.status_code != 200:
            self.problems.append(
                f"the bot answered HTTP {response.status_code} (Slack shows an error to the user)"
            )
        text = response.text.strip()
        if not text:
            return response.status_code, None
        try:
            return response.status_code, json.loads(text)
        except ValueError:
            return response.status_code, text

    async def _send_payload(self, payload: dict[str, Any]) -> tuple[int, Any]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        signed = self.requests.sign(body, payload=payload)
        return await self._send(signed.body, signed.headers)

    def _check_ack(self, request: dict[str, Any], ack: Any) -> list[str]:
        problems = validate_ack(request, ack if not isinstance(ack, str) else {"text": ack})
        self.problems += [f"acknowledgement: {p}" for p in problems]
        return problems

    async def run_command(self, user: str, line: str) -> None:
        """A slash command typed in the composer, as Slack sends it."""
        command, _, text = line.strip().partition(" ")
        self._acting = user
        fields = self.requests.command_payload(command, text.strip(), user_id=user)
        signed = self.requests.sign(urlencode(fields).encode(), payload=fields)
        _, ack = await self._send(signed.body, signed.headers)
        if ack and not self._check_ack(fields, ack):
            reply = ack if isinstance(ack, dict) else {"text": ack}
            if reply.get("response_type") == "in_channel":
                with contextlib.suppress(SlackError):
                    self._post(CHANNEL, reply.get("text", ""), reply.get("blocks"), None)
            else:
                self.ephemerals.append(
                    {
                        "channel": CHANNEL,
                        "user": user,
                        "text": reply.get("text", ""),
                        "blocks": reply.get("blocks"),
                        "message_ts": self.new_ts(),
                    }
                )
        if command == "/billpay" and text.strip().startswith("connect"):
            self.linked = True
        await self.notify()

    # -- the page's requests -----------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.StreamResponse:
        if self.request_url is None:
            return web.Response(
                status=503,
                text=STARTING_HTML,
                content_type="text/html",
                headers={"Retry-After": "1"},
            )
        if not self.linked:
            # The channel is linked to the demo company on first open.
            self.linked = True
            await self.run_command(PEOPLE[0].user_id, f"/billpay {self.connect_text}")
        return web.Response(text=page_html(PEOPLE, self.notice), content_type="text/html")

    async def _state(self, request: web.Request) -> web.StreamResponse:
        user = _user(request.query.get("user"))
        thread = request.query.get("thread") or None
        return web.json_response(self.state_for(user, thread))

    def state_for(self, user: str, thread: str | None) -> dict[str, Any]:
        viewer = self._viewer(user)
        with reading_as(viewer.reader):
            return self._state_markup(viewer, thread)

    def _state_markup(self, viewer: _Viewer, thread: str | None) -> dict[str, Any]:
        user = viewer.user
        modal_html, modal_key = "", ""
        stack = [v for v in self.stacks.get(user, []) if v in self.views]
        self.stacks[user] = stack
        if stack:
            view = self.views[stack[-1]]
            modal_key = f"{view['id']}:{view['hash']}"
            modal_html = modal_markup(view, viewer.names, viewer.people, back=len(stack) > 1)
        home = self.home_views.get(user)
        return {
            "version": self.version,
            "channel": self._channel_markup(viewer),
            "dm": self._direct_markup(viewer),
            "thread": self._thread_markup(thread, viewer) if thread else "",
            "modal": modal_html,
            "modal_key": modal_key,
            "home": (
                f'<div data-home-view="{html.escape(str(home["id"]))}">'
                f"{render_blocks(home.get('blocks'), viewer.names, people=viewer.people)}</div>"
                if home
                else '<p class="empty">The App Home has not been published for you yet.</p>'
            ),
            "problems": [html.escape(p) for p in self.problems],
        }

    def _viewer(self, user: str) -> _Viewer:
        person = next(p for p in PEOPLE if p.user_id == user)
        people = {p.user_id: p.real_name for p in PEOPLE}
        names = people | {self.bot_user_id: self.bot_name, CHANNEL: CHANNEL_NAME}
        return _Viewer(
            user=user,
            names=names,
            people=people,
            reader=Reader(person.locale, ZoneInfo(person.tz)),
        )

    def _message_markup(
        self, message: dict[str, Any], viewer: _Viewer, *, reply: bool, ephemeral: bool = False
    ) -> str:
        blocks = message.get("blocks")
        body = (
            render_blocks(blocks, viewer.names, people=viewer.people)
            if blocks
            else f'<div class="text">{render_mrkdwn(str(message.get("text", "")), viewer.names)}'
            "</div>"
        )
        files = [f for f in message.get("files") or [] if isinstance(f, dict)]
        if files:  # a file shared by the bot (View invoice): its name and size
            listed = "".join(
                f"<li>📎 {html.escape(str(f.get('name', '')))} "
                f"({int(f.get('size') or 0):,} bytes)</li>"
                for f in files
            )
            body += f'<ul class="files">{listed}</ul>'
        ts = str(message.get("ts") or message.get("message_ts") or "")
        replies = self._replies.get((CHANNEL, ts), [])
        thread = ""
        if replies and not reply:
            count = len(replies)
            thread = (
                f'<button type="button" class="thread-link" data-thread="{html.escape(ts)}">'
                f"{count} {'reply' if count == 1 else 'replies'}</button>"
            )
        return (
            f'<article class="message{" ephemeral" if ephemeral else ""}"'
            f' data-ts="{html.escape(ts)}"><div class="author">{html.escape(self.bot_name)}'
            f' <span class="app">APP</span> {_when(message, ts, viewer.reader, ephemeral)}'
            f"</div>{body}{thread}</article>"
        )

    def _direct_markup(self, viewer: _Viewer) -> str:
        """What the bot sent the person directly (reminders, escalations)."""
        direct = sorted(
            (m for (channel, _), m in self.messages.items() if channel == viewer.user),
            key=lambda m: float(m["ts"]),
        )
        if not direct:
            return (
                '<p class="empty">No direct messages from Bill Pay yet (reminders come here).</p>'
            )
        return "".join(self._message_markup(m, viewer, reply=False) for m in direct)

    def _channel_markup(self, viewer: _Viewer) -> str:
        items: list[tuple[float, str]] = [
            (float(ts), self._message_markup(message, viewer, reply=False))
            for (channel, ts), message in self.messages.items()
            if channel == CHANNEL
        ]
        items += [
            (
                float(e["message_ts"]),
                self._message_markup(e, viewer, reply=False, ephemeral=True),
            )
            for e in self.ephemerals
            if e["user"] == viewer.user and e["channel"] == CHANNEL and not e.get("thread_ts")
        ]
        items.sort(key=lambda item: item[0])
        if not items:
            return (
                '<p class="empty">This is the very beginning of <b>#finance</b>. '
                "Type <code>/bills</code> below.</p>"
            )
        return "".join(markup for _, markup in items)

    def _thread_markup(self, ts: str, viewer: _Viewer) -> str:
        parent = self.messages.get((CHANNEL, ts))
        if parent is None:
            return ""
        replies = "".join(
            self._message_markup(r, viewer, reply=True)
            for r in self._replies.get((CHANNEL, ts), [])
        )
        return self._message_markup(parent, viewer, reply=True) + (
            f'<div class="replies">{replies}</div>'
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        seen = -1
        try:
            while True:
                if seen != self.version:
                    seen = self.version
                    await response.write(f"data: {seen}\n\n".encode())
                    continue

                def changed(last: int = seen) -> bool:
                    return self.version != last

                if not await self._wait(changed, 15.0):
                    await response.write(b": still here\n\n")
        except ConnectionResetError:  # the page was reloaded or closed: nothing went wrong
            log.debug("the page's live updates ended: its browser went away")
        return response

    async def _command(self, request: web.Request) -> web.StreamResponse:
        data = await request.json()
        user, line = _user(data.get("user")), str(data.get("text", "")).strip()
        if not line.startswith("/"):
            return web.json_response(
                {"error": "Only slash commands reach the bot here: try /bills."}
            )
        await self.run_command(user, line)
        return web.json_response({"ok": True})

    def _container(self, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The message or view the person used, as Slack stores it; and whether ephemeral."""
        if data.get("view_id"):
            view = self.views.get(str(data["view_id"]))
            if view is None:
                raise web.HTTPGone(text="This view is no longer open.")
            return view, False
        ts = str(data.get("ts", ""))
        channel = self.channel_of(ts)
        message = self._find_message(channel, ts) if channel else None
        if message is not None:
            return {**message, "channel": channel}, False
        for ephemeral in self.ephemerals:
            if ephemeral["message_ts"] == ts:
                return {**ephemeral, "ts": ts, "type": "message"}, True
        raise web.HTTPGone(text="This message is gone.")

    async def _action(self, request: web.Request) -> web.StreamResponse:
        data = await request.json()
        user = _user(data.get("user"))
        container, ephemeral = self._container(data)
        self._acting = user
        try:
            action = self.requests.action_for(
                container,
                str(data.get("action_id")),
                block_id_prefix=str(data.get("block_id")),
                option_value=data.get("value"),
            )
        except AssertionError:  # the message changed under the person's click
            return web.json_response({"error": "That button is no longer there."}, status=409)
        if data.get("view_id"):
            # The view's state holds what the person has entered so far, as Slack sends it.
            entered = data.get("values") if isinstance(data.get("values"), dict) else {}
            entered.pop(str(data.get("action_id")), None)  # the action's own value counts
            try:
                payload = self.requests.block_action_payload(
                    action, user_id=user, view=container, inputs=entered
                )
            except AssertionError:  # the form changed under the person's typing
                return web.json_response({"error": "That form has changed."}, status=409)
        elif ephemeral:
            payload = self.requests.block_action_payload(
                action,
                user_id=user,
                message=container,
                channel_id=CHANNEL,
                container={
                    "type": "message",
                    "message_ts": container["ts"],
                    "channel_id": CHANNEL,
                    "is_ephemeral": True,
                },
            )
        else:
            payload = self.requests.block_action_payload(
                action, user_id=user, message=container, channel_id=container["channel"]
            )
        _, ack = await self._send_payload(payload)
        self._check_ack(payload, ack)
        await self.notify()
        return web.json_response({"ok": True})

    def _uploaded(self, values: dict[str, Any], user: str) -> dict[str, Any]:
        """A file input's files arrive with their bytes: keep each as Slack keeps an upload
        and put its file record (whose `url_private` serves it to the bot token) in the form."""
        kept = dict(values)
        for action_id, value in values.items():
            if not isinstance(value, list) or not all(
                isinstance(f, dict) and "content_b64" in f for f in value
            ):
                continue
            try:
                kept[action_id] = [
                    self.add_file(
                        str(f.get("name") or "file"),
                        base64.b64decode(str(f["content_b64"]), validate=True),
                        mimetype=str(f.get("mimetype") or "application/octet-stream"),
                        user_id=user,
                    )
                    for f in value
                ]
            except binascii.Error as exc:
                raise AssertionError("the file could not be read") from exc
        return kept

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        data = await request.json()
        user = _user(data.get("user"))
        view = self.views.get(str(data.get("view_id")))
        if view is None:
            return web.json_response({"closed": True})
        self._acting = user
        try:
            values = self._uploaded(data.get("values") or {}, user)
            empty = empty_required(view, values)
            if empty:  # Slack's client keeps the form, in the person's words, on each field
                required = client_words("required", self._viewer(user).reader)
                return web.json_response({"errors": dict.fromkeys(empty, required)})
            payload = self.requests.view_submission_payload(view, values, user_id=user)
        except AssertionError as exc:  # what Slack's client refuses before sending
            return web.json_response({"client_error": str(exc)})
        _, ack = await self._send_payload(payload)
        problems = self._check_ack(payload, ack)
        result: dict[str, Any] = {"ok": True}
        if problems:
            result["problems"] = problems
        elif isinstance(ack, dict) and ack.get("response_action") == "errors":
            result["errors"] = ack.get("errors")
        elif isinstance(ack, dict) and ack.get("response_action") == "update":
            with contextlib.suppress(SlackError):
                self.answer_submission(view["id"], ack)
        elif isinstance(ack, dict) and ack.get("response_action") == "push":
            with contextlib.suppress(SlackError):
                pushed = self._store_view(ack["view"], previous=view)
                self.stacks.setdefault(user, []).append(pushed["id"])
        elif isinstance(ack, dict) and ack.get("response_action") == "clear":
            self._close_views(user, everything=True)
        else:
            self._close_views(user)
        await self.notify()
        return web.json_response(result)

    def _close_views(self, user: str, *, everything: bool = False) -> list[dict[str, Any]]:
        stack = self.stacks.get(user, [])
        closing = stack if everything else stack[-1:]
        self.stacks[user] = [] if everything else stack[:-1]
        return [self.views.pop(v) for v in closing if v in self.views]

    async def _close(self, request: web.Request) -> web.StreamResponse:
        data = await request.json()
        user = _user(data.get("user"))
        stack = self.stacks.get(user) or []
        top = stack[-1] if stack else None
        if top is not None and self.views.get(top, {}).get("notify_on_close"):
            payload = self.requests.view_closed_payload(self.views[top], user)
            await self._send_payload(payload)
        self._close_views(user)
        await self.notify()
        return web.json_response({"ok": True})

    async def _suggest(self, request: web.Request) -> web.StreamResponse:
        user = _user(request.query.get("user"))
        container, _ = self._container(dict(request.query))
        payload = {
            "type": "block_suggestion",
            "user": {"id": user, "name": self.user_name(user), "team_id": self.team_id},
            "container": (
                {"type": "view", "view_id": container["id"]}
                if request.query.get("view_id")
                else {"type": "message", "message_ts": container.get("ts")}
            ),
            "api_app_id": self.app_id,
            "token": self.requests.verification_token,
            "action_id": request.query.get("action_id", ""),
            "block_id": request.query.get("block_id", ""),
            "value": request.query.get("value", ""),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "view": copy.deepcopy(container) if request.query.get("view_id") else None,
        }
        _, ack = await self._send_payload(payload)
        options = ack.get("options", []) if isinstance(ack, dict) else []
        return web.json_response({"options": options})

    async def _home_opened(self, request: web.Request) -> web.StreamResponse:
        data = await request.json()
        user = _user(data.get("user"))
        self._acting = user
        signed = self.requests.event(
            {"type": "app_home_opened", "user": user, "channel": "D0" + user[2:], "tab": "home"}
        )
        await self._send(signed.body, signed.headers)
        await self.notify()
        return web.json_response({"ok": True})


LOCAL_HOSTS = ("127.0.0.1", "localhost")
NO_ENTRY = (
    "This playground answers only requests that carry its token. Open the address billpay run "
    "printed when it started ({base_url}/?token=...); each start makes a new token."
)


def _same_secret(given: str, expected: str) -> bool:
    """Compared in constant time, as bytes: a token typed by anyone may be any text."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


@web.middleware
async def _same_origin_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """The page's requests come from the page itself: another site open in the same browser
    (or a DNS name rebound to 127.0.0.1) must not approve or pay through it."""
    if request.path == "/" or request.path.startswith("/ui/"):
        host = (request.host or "").rsplit(":", 1)[0]
        if host not in LOCAL_HOSTS:
            raise web.HTTPForbidden(text="Open the playground at http://127.0.0.1.")
        origin = request.headers.get("Origin")
        if origin is not None and origin.rsplit(":", 1)[0].split("//")[-1] not in LOCAL_HOSTS:
            raise web.HTTPForbidden(text="Requests from other sites are refused.")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="The page sends JSON.")
    response: web.StreamResponse = await handler(request)
    return response


def _when(message: dict[str, Any], ts: str, reader: Reader, ephemeral: bool) -> str:
    """A message's time as the reader's client writes it, "(edited)" after a change (the
    change's time in its tooltip), and "Only visible to you" on an ephemeral."""
    sent = float(ts or 0)
    markup = (
        f'<time datetime="{reader.local(sent).isoformat()}"'
        f' title="{html.escape(reader.day_and_time(sent))}">{html.escape(reader.time(sent))}</time>'
    )
    edited = message.get("edited")
    if isinstance(edited, dict):
        when = reader.day_and_time(float(edited.get("ts") or sent))
        title = client_words("edited_at", reader).format(when=when)
        markup += (
            f' <span class="edited" title="{html.escape(title)}">'
            f"{html.escape(client_words('edited', reader))}</span>"
        )
    if ephemeral:
        markup += f' <span class="only-you">{html.escape(client_words("only_you", reader))}</span>'
    return markup


def _user(value: Any) -> str:
    known = {p.user_id for p in PEOPLE}
    return str(value) if value in known else PEOPLE[0].user_id


def new_credentials() -> tuple[str, str]:
    """A bot token and signing secret for one run: the bot and the playground share them."""
    return f"xoxb-playground-{secrets.token_hex(16)}", secrets.token_hex(16)
