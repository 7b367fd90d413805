"""Many workspaces: where each workspace's installation of the app is kept, and how the bot finds
the bot token of the workspace it speaks to.

Installing through OAuth (`/slack/install`, `billpay.slack.app`) stores an installation with
slack_sdk's `AsyncSQLAlchemyInstallationStore` in the bot's own database, and the flow's states
with `AsyncSQLAlchemyOAuthStateStore`; their tables are created by migration 0021 (never at
run time) and defined in `billpay.store.models` as slack_sdk defines them. States are also
signed with `SLACK_STATE_SECRET`, so one the bot never issued is refused before the database is
read; a state is used once and lives ten minutes.

`Installations.client(team_id)` is a Web API client for one workspace whose bot token is read
from the store when a call is made (kept `TOKEN_SECONDS`), so a token that changed (the app
reinstalled) or went (uninstalled) is seen within that time by every replica; a workspace
without an installation raises `NotInstalled` instead of calling Slack.

Whoever installed the app in a workspace is its first admin: `installer_of(team_id)`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import and_, desc, select

from billpay.config import Settings
from billpay.store.db import Database
from billpay.store.models import SLACK_BOTS, SLACK_INSTALLATIONS, AuditEvent

log = logging.getLogger(__name__)

# The bot scopes the app asks for when a workspace installs it: manifest.yml's, exactly
# (`tests/test_manifest.py` keeps them in step).
BOT_SCOPES = (
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
)
# How long a state issued by `/slack/install` can come back to `/slack/oauth_redirect`.
STATE_SECONDS = 600
# How long a workspace's bot token is used before it is read again from the store.
TOKEN_SECONDS = 60.0


class NotInstalled(Exception):
    """The app is not installed in this workspace (any more): nothing can be sent there."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"the app is not installed in workspace {team_id}")
        self.team_id = team_id


class SignedStates(AsyncOAuthStateStore):
    """The database's states, each signed: `<state>.<HMAC-SHA256 of it>`."""

    def __init__(self, store: AsyncOAuthStateStore, secret: bytes) -> None:
        self.store = store
        self.secret = secret

    @property
    def logger(self) -> logging.Logger:
        return log

    def _signature(self, state: str) -> str:
        return hmac.new(self.secret, state.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = await self.store.async_issue(*args, **kwargs)
        return f"{state}.{self._signature(state)}"

    async def async_consume(self, state: str) -> bool:
        issued, _, signature = state.rpartition(".")
        if not issued or not hmac.compare_digest(self._signature(issued), signature):
            log.warning("refused an OAuth state the bot did not issue")
            return False
        return await self.store.async_consume(issued)


class _Store(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, telling `arriving(team_id)` before it stores an installation for a
    workspace that had none (installed for the first time, or again after an uninstall)."""

    arriving: Callable[[str], Awaitable[None]] | None = None

    async def async_save(self, installation: Installation) -> None:
        team_id = installation.team_id or ""
        new = not await self.async_find_bot(enterprise_id=None, team_id=team_id)
        if self.arriving is not None and team_id and new:
            await self.arriving(team_id)
        await super().async_save(installation)


class TeamClient(AsyncWebClient):
    """A Web API client for one workspace: each call carries the workspace's bot token as the
    store has it now (`NotInstalled` when there is none)."""

    def __init__(self, team_id: str, installations: Installations, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.team_id = team_id
        self.installations = installations

    async def current_token(self) -> str:
        """The workspace's bot token now (for what is not a Web API call: a file download)."""
        token = await self.installations.bot_token(self.team_id)
        if token is None:
            raise NotInstalled(self.team_id)
        self.token = token
        return token

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        await self.current_token()
        return await super().api_call(api_method, **kwargs)


class Installations:
    """The workspaces that installed the app, over the bot's database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        client: Callable[..., AsyncWebClient],
        clock: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`client(**kwargs)` builds a Web API client as the bot configures them (retries,
        Slack's address); each workspace's is built with it."""
        assert settings.slack_client_id is not None and settings.slack_state_secret is not None
        self.client_id = settings.slack_client_id
        self.store = _Store(client_id=self.client_id, engine=db.engine)
        self.states = SignedStates(
            AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=db.engine),
            settings.slack_state_secret.get_secret_value().encode(),
        )
        self.db = db
        self.clock = clock
        self._new_client = client
        self._monotonic = monotonic
        self._tokens: dict[str, tuple[float, str | None]] = {}
        self._clients: dict[str, AsyncWebClient] = {}

    def client(self, team_id: str) -> AsyncWebClient:
        """The workspace's client (one per workspace, its token read when it calls)."""
        found = self._clients.get(team_id)
        if found is None:
            found = self._clients[team_id] = self._new_client(
                factory=lambda **kwargs: TeamClient(team_id, self, **kwargs)
            )
        return found

    async def bot_token(self, team_id: str) -> str | None:
        """The workspace's bot token, None when the app is not installed there."""
        now = self._monotonic()
        cached = self._tokens.get(team_id)
        if cached is not None and now - cached[0] < TOKEN_SECONDS:
            return cached[1]
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        self._tokens[team_id] = (now, token)
        return token

    async def installed(self, team_id: str) -> bool:
        return await self.bot_token(team_id) is not None

    async def installed_teams(self) -> set[str]:
        """Every workspace with a bot token (one query: the scheduler's filter)."""
        c = SLACK_BOTS.c
        async with self.db.read() as s:
            rows = await s.execute(
                select(c.team_id)
                .where(and_(c.client_id == self.client_id, c.bot_token.is_not(None)))
                .distinct()
            )
            return {str(team_id) for (team_id,) in rows if team_id}

    async def installer_of(self, team_id: str) -> str | None:
        """The Slack user id of whoever installed the app in the workspace last (its first
        admin); None when it is not installed."""
        c = SLACK_INSTALLATIONS.c
        async with self.db.read() as s:
            return await s.scalar(
                select(c.user_id)
                .where(and_(c.client_id == self.client_id, c.team_id == team_id))
                .order_by(desc(c.installed_at))
                .limit(1)
            )

    async def uninstalled(self, team_id: str) -> None:
        """The app was removed from the workspace: its bot and every token go."""
        await self.store.async_delete_bot(enterprise_id=None, team_id=team_id)
        await self.store.async_delete_installation(enterprise_id=None, team_id=team_id)
        self.forget(team_id)

    async def revoked(self, team_id: str, *, users: list[str], bot: bool) -> None:
        """Some tokens were revoked (Slack lists whose): those are deleted; the bot's takes the
        workspace's installation with it, as nothing can be sent there without it."""
        for user_id in users:
            await self.store.async_delete_installation(
                enterprise_id=None, team_id=team_id, user_id=user_id
            )
        if bot:
            await self.uninstalled(team_id)
        self.forget(team_id)

    async def record(
        self, team_id: str, actor: str, action: str, details: dict[str, Any] | None = None
    ) -> None:
        """An installation's step in the audit trail (installed, uninstalled, tokens revoked)."""
        async with self.db.write() as s:
            s.add(
                AuditEvent(
                    at=self.clock(),
                    team_id=team_id,
                    actor=actor,
                    action=action,
                    details=details or {},
                )
            )

    def forget(self, team_id: str) -> None:
        """Read the workspace's token again at its next call (it was installed or removed)."""
        self._tokens.pop(team_id, None)
