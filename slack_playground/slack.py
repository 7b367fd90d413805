"""A stand-in for Slack's Web API server, run in the caller's own event loop (a test's, or the
playground's).

`FakeSlack` owns the HTTP side of Slack: `/api/<method>` (the Web API, as slack_sdk's
`AsyncWebClient` calls it), `/response/<n>` (response_url posts), `/socket` (the Socket Mode
websocket, served by `slack_playground.socket_mode.SocketModeFake` once enabled) and
`/oauth/v2/authorize` (the consent screen of an installation through OAuth; several
workspaces, each with its own token and channels: `slack_playground.webapi.teams`).

It keeps the state Slack would keep (messages, threads, ephemerals, views, Home tabs, trigger
ids), records every call, validates every `blocks` and `view` with `slack_playground.blockkit`,
and answers the way Slack does: HTTP 200 with `ok: false` for errors, HTTP 429 with
`Retry-After` when rate limited.

Payloads Slack would reject as malformed (invalid blocks or views, missing arguments, unknown
methods, bad tokens) are also collected in `problems`; `assert_no_problems()` fails a test that
sent one without expecting it. Runtime conditions a bot must handle (`not_in_channel`,
`message_not_found`, `hash_conflict`, used trigger ids, injected faults) are not problems.

`FakeSlack` is composed here of the Web API's families in `slack_playground.webapi` (state and
record, dispatch, chat, response URLs, views, workspace, files, uploads); this module serves
them and names the methods it answers.
"""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from slack_playground.blockkit import validate_message_blocks, validate_view
from slack_playground.socket_mode import SocketModeFake
from slack_playground.webapi.calls import Call, SlackError
from slack_playground.webapi.dispatch import WebApiDispatch
from slack_playground.webapi.files import SharedFiles
from slack_playground.webapi.response_urls import ResponseUrls
from slack_playground.webapi.uploads import SlackUploads
from slack_playground.webapi.views import ViewMethods
from slack_playground.webapi.workspace import WorkspaceMethods

__all__ = [
    "Call",
    "FakeSlack",
    "SlackError",
    "validate_message_blocks",
    "validate_view",
]


class FakeSlack(ResponseUrls, ViewMethods, WorkspaceMethods, SharedFiles, WebApiDispatch):
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
        super().__init__(
            bot_token=bot_token,
            app_token=app_token,
            team_id=team_id,
            team_name=team_name,
            team_domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            bot_name=bot_name,
            app_id=app_id,
        )
        self.init_teams()
        self._handlers.update(
            {
                "oauth.v2.access": self._oauth_v2_access,
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
                "usergroups.list": self._usergroups_list,
                "usergroups.users.list": self._usergroups_users_list,
                "conversations.info": self._conversations_info,
                "files.info": self._files_info,
            }
        )
        self.uploads = SlackUploads(chat=self, shared=self)
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
        # at most 100 MB).
        app = web.Application(client_max_size=128 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/response/{n}", self._serve_response_url)
        app.router.add_get("/socket", self._serve_socket)
        app.router.add_get("/oauth/v2/authorize", self._serve_authorize)
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

    def enable_socket_mode(self) -> SocketModeFake:
        """Serve Socket Mode: `apps.connections.open` then answers with the fake's ws URL."""
        if self.socket is None:
            self.socket = SocketModeFake(self)
        return self.socket

    async def _serve_socket(self, request: web.Request) -> web.StreamResponse:
        if self.socket is None:
            return web.json_response({"ok": False, "error": "not_allowed"}, status=404)
        return await self.socket.handle(request)
