"""`/api/<method>`: a Web API call from the HTTP request to its method's handler and back.

The call's arguments are read however slack_sdk sent them (query string, form or JSON, with
`blocks`, `attachments`, `view` and `metadata` as JSON strings in a form); its token is checked
(the app token for `apps.connections.open`, the app's credentials for `oauth.v2.access`, an
installed workspace's bot token for the rest, the call then made as that workspace: another
workspace's channel is not found); a held call waits
for the test to release or drop it; an injected fault answers instead of the handler; and the
call is recorded with its answer. Slack answers errors
with HTTP 200 and `ok: false`, and a rate limit with HTTP 429 and `Retry-After`.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from slack_playground.webapi.calls import Call, SlackError, bearer_token
from slack_playground.webapi.teams import NO_TOKEN_METHODS, TeamsAndOAuth, basic_credentials

# Arguments that form-encoded requests carry as JSON strings.
JSON_ARGS = ("blocks", "attachments", "view", "metadata")


class WebApiDispatch(TeamsAndOAuth):
    """Serving `/api/<method>`."""

    async def _serve_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except ValueError as exc:
            args = {}
            body_error: str | None = str(exc)
        else:
            body_error = None
        header = request.headers.get("Authorization")
        token = bearer_token(header) or args.pop("token", None)
        args.pop("token", None)
        credentials = basic_credentials(header) if method in NO_TOKEN_METHODS else None
        if credentials is not None:
            args.setdefault("client_id", credentials[0])
            args.setdefault("client_secret", credentials[1])
        if body_error is None and await self._kept_back(method, args):
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
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
        channel = args.get("channel")
        if (
            isinstance(channel, str)
            and channel[:1] in ("C", "G")
            and self.team_of_channel(channel) != self.calling_team
        ):
            # Slack does not tell another workspace's channel from one that does not exist.
            return {"ok": False, "error": "channel_not_found"}, 200, {}
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
        self.calling_team = self.team_id
        if method in NO_TOKEN_METHODS:
            return None
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            if token == self.app_token:
                return None
            return "not_allowed_token_type" if self.team_of_token(token) else "invalid_auth"
        team = self.team_of_token(token)
        if team is not None:
            self.calling_team = team.team_id
            return None
        if token == self.app_token:
            return "not_allowed_token_type"
        return "token_revoked" if token in self.revoked_tokens else "invalid_auth"


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
