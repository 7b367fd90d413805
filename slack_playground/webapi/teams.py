"""Several workspaces installing the app through OAuth, as Slack keeps them apart.

The stand-in's own workspace (the constructor's team and bot token) is always there; others are
added with `add_team`. A workspace's bot token is only handed out by the OAuth flow:

- `GET /oauth/v2/authorize` is Slack's consent screen, approved at once as the person
  `authorize_as` names (or refused, with `deny_next`): it redirects to the app's redirect URL
  with a one-time `code` and the app's `state`, or with `error=access_denied`;
- `oauth.v2.access` exchanges that code, once, for the workspace's bot token, given the app's
  client id and secret (`oauth_app`) as HTTP Basic credentials or arguments;
- `uninstall(team_id)` removes the app: the workspace's token is revoked (`token_revoked`).

Every call is then made as one workspace (its token's): `auth.test` answers for it, and a
channel of another workspace (`add_team(..., channels=...)`, `add_channel`) is not found,
as Slack answers (`channel_not_found`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from slack_playground.webapi.calls import SlackError
from slack_playground.webapi.state import SlackState

# Web API methods called without a token (the app's credentials instead).
NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})


@dataclass
class Team:
    """One workspace: its bot and whether the app is installed there."""

    team_id: str
    name: str
    domain: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    installed: bool = False
    # Every installation's person (`authed_user`), oldest first.
    installers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Grant:
    """A code the consent screen issued, not yet exchanged."""

    team_id: str
    user_id: str
    scopes: tuple[str, ...]
    redirect_uri: str


class TeamsAndOAuth(SlackState):
    """Workspaces, the consent screen, `oauth.v2.access` and who each call is made as."""

    client_id: str | None = None
    client_secret: str | None = None

    def init_teams(self) -> None:
        self.teams: dict[str, Team] = {
            self.team_id: Team(
                self.team_id,
                self.team_name,
                self.team_domain,
                self.bot_token,
                self.bot_user_id,
                self.bot_id,
                installed=True,
            )
        }
        self.channel_teams: dict[str, str] = {}
        # Files shared in another workspace than the stand-in's own: file id -> its team.
        self.file_teams: dict[str, str] = {}
        self.revoked_tokens: set[str] = set()
        self._grants: dict[str, Grant] = {}
        self._installing = (self.team_id, "U0ANA")
        self._deny_next = False
        # The workspace of the call being answered (set by the dispatch, read by handlers).
        self.calling_team: str = self.team_id

    # -- set-up by tests and the playground ------------------------------------------------

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, as its Basic Information page shows them."""
        self.client_id, self.client_secret = client_id, client_secret

    def add_team(
        self,
        team_id: str,
        name: str,
        *,
        bot_token: str,
        domain: str | None = None,
        channels: tuple[str, ...] = (),
        installed: bool = False,
    ) -> Team:
        """Another workspace, its channels, and a bot token the OAuth flow hands out."""
        suffix = team_id[-4:]
        team = Team(
            team_id,
            name,
            domain or name.lower().split()[0],
            bot_token,
            f"UBOT{suffix}",
            f"BBOT{suffix}",
            installed=installed,
        )
        self.teams[team_id] = team
        for channel in channels:
            self.add_channel(channel, team_id)
        return team

    def add_channel(self, channel: str, team_id: str) -> None:
        self.channel_teams[channel] = team_id

    def authorize_as(self, team_id: str, user_id: str) -> None:
        """Who approves the next consent screens, in which workspace."""
        self._installing = (team_id, user_id)

    def deny_next(self) -> None:
        """The next consent screen is cancelled by the person."""
        self._deny_next = True

    def uninstall(self, team_id: str) -> None:
        """The app is removed from the workspace: its bot token stops working."""
        team = self.teams[team_id]
        team.installed = False
        self.revoked_tokens.add(self.token_of(team))

    def reinstall(self, team_id: str) -> None:
        """The app is installed again in the workspace with the same token (as a test may
        set a bot's configured token afresh): it works again."""
        team = self.teams[team_id]
        team.installed = True
        self.revoked_tokens.discard(self.token_of(team))

    def team_of_channel(self, channel: str) -> str:
        return self.channel_teams.get(channel, self.team_id)

    def token_of(self, team: Team) -> str:
        # The stand-in's own workspace's token may be changed after it starts (`bot_token`).
        return self.bot_token if team.team_id == self.team_id else team.bot_token

    def team_of_token(self, token: str | None) -> Team | None:
        for team in self.teams.values():
            if token == self.token_of(team) and team.installed:
                return team
        return None

    # -- the consent screen ------------------------------------------------------------------

    async def _serve_authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if not self.client_id or query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        redirect_uri = query.get("redirect_uri") or getattr(self, "oauth_redirect_url", "")
        if not redirect_uri:
            return web.Response(status=400, text="bad_redirect_uri")
        state = query.get("state", "")
        if self._deny_next:
            self._deny_next = False
            answer = {"error": "access_denied", "state": state}
        else:
            team_id, user_id = self._installing
            wanted = query.get("team")
            if wanted and wanted in self.teams:
                team_id = wanted
            scopes = tuple(s for s in query.get("scope", "").split(",") if s)
            code = f"code-{self._next()}-{team_id}"
            self._grants[code] = Grant(team_id, user_id, scopes, redirect_uri)
            answer = {"code": code, "state": state}
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(answer)}")

    # -- oauth.v2.access ---------------------------------------------------------------------

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        client_id = args.get("client_id")
        client_secret = args.get("client_secret")
        if not self.client_id or (client_id, client_secret) != (
            self.client_id,
            self.client_secret,
        ):
            raise SlackError("invalid_client_id")
        grant = self._grants.pop(str(args.get("code") or ""), None)
        if grant is None:
            raise SlackError("invalid_code")
        given = args.get("redirect_uri")
        if given and given != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        team = self.teams[grant.team_id]
        team.installed = True
        team.installers.append(grant.user_id)
        self.revoked_tokens.discard(self.token_of(team))
        return {
            "ok": True,
            "access_token": self.token_of(team),
            "token_type": "bot",
            "scope": ",".join(grant.scopes),
            "bot_user_id": team.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": team.team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.user_id},
        }


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic `Authorization` header."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None
