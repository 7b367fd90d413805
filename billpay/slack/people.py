"""Who is clicking: a Slack user's locale and time zone, from `users.info`, cached for an hour
so that a person's clicks cost one lookup an hour, not one each. A lookup that fails or takes
longer than the caller can wait gives the defaults: knowing someone's locale is never worth a
click that doesn't answer.

`LazyPerson` is how a listener receives the person behind its request: nothing is asked of
Slack until the listener awaits it, so the ack never waits for `users.info`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
TTL_SECONDS = 3600.0
DEFAULT_TIME_ZONE = "Europe/London"
# How long a listener waits for `users.info` before it goes on with the defaults.
LOOKUP_WAIT_SECONDS = 1.0
# How long what the bot sends one person on its own (nobody waits for an answer) waits for it.
UNHURRIED_WAIT_SECONDS = 5.0
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,24}$")


@dataclass(frozen=True)
class Person:
    user_id: str
    locale: str  # Babel's spelling, e.g. fr_FR
    time_zone: str

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.time_zone)).date()


@dataclass
class People:
    default_locale: str
    _cache: dict[tuple[str, str], tuple[float, Person]] = field(default_factory=dict)

    def fallback(self, user_id: str) -> Person:
        return Person(user_id, self.default_locale, DEFAULT_TIME_ZONE)

    async def get(
        self, client: AsyncWebClient, team_id: str, user_id: str, *, wait: float | None = None
    ) -> Person:
        """The person, from the cache or `users.info`; the defaults if Slack fails or takes
        longer than `wait` seconds."""
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
            return hit[1]
        try:
            async with asyncio.timeout(wait):
                response = await client.users_info(user=user_id, include_locale=True)
            user = response.get("user") or {}
        except (SlackApiError, SlackClientError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %r", user_id, exc)
            return self.fallback(user_id)
        person = Person(
            user_id,
            babel_locale(user.get("locale"), self.default_locale),
            _zone(user.get("tz")),
        )
        self._cache[key] = (time.monotonic(), person)
        return person


class LazyPerson:
    """The person behind one request, looked up on first use and then kept.

    `await person` gives the `Person` (the defaults when Slack is slow or the ids don't look
    like Slack's, in which case Slack is not asked). `lookup()` starts the lookup without
    waiting for it, for a listener with other slow work to do meanwhile."""

    def __init__(
        self, people: People, client: AsyncWebClient, team_id: object, user_id: object
    ) -> None:
        self._people = people
        self._client = client
        self._team_id = team_id
        self._user_id = user_id
        self._lookup: asyncio.Future[Person] | None = None

    def lookup(self, *, wait: float | None = LOOKUP_WAIT_SECONDS) -> asyncio.Future[Person]:
        """The lookup, started now if it wasn't; `wait` bounds it when it starts here."""
        if self._lookup is None:
            self._lookup = asyncio.ensure_future(self._get(wait))
        return self._lookup

    def fallback(self) -> Person:
        """The defaults, for a listener that can't wait for the lookup to end."""
        user_id = self._user_id if isinstance(self._user_id, str) else ""
        return self._people.fallback(user_id)

    def __await__(self) -> Generator[object, None, Person]:
        return self.lookup().__await__()

    async def _get(self, wait: float | None) -> Person:
        team_id, user_id = self._team_id, self._user_id
        if not (isinstance(team_id, str) and _SLACK_ID.match(team_id)):
            return self.fallback()
        if not (isinstance(user_id, str) and _SLACK_ID.match(user_id)):
            return self.fallback()
        return await self._people.get(self._client, team_id, user_id, wait=wait)


def _zone(name: str | None) -> str:
    if not name:
        return DEFAULT_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return name


def babel_locale(slack_locale: str | None, default: str) -> str:
    """Slack's `fr-FR` as Babel's `fr_FR`; unknown or missing locales fall back to `default`."""
    if not slack_locale:
        return default
    candidate = slack_locale.replace("-", "_")
    try:
        Locale.parse(candidate)
    except (UnknownLocaleError, ValueError):
        return default
    return candidate
