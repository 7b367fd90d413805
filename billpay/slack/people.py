"""Who is clicking: a Slack user's locale and time zone, from `users.info`, cached for an hour
so that a person's clicks cost one lookup an hour, not one each. A lookup that fails or takes
longer than the caller can wait gives the defaults: knowing someone's locale is never worth a
click that doesn't answer."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
TTL_SECONDS = 3600.0
DEFAULT_TIME_ZONE = "Europe/London"
# How long what the bot sends one person on its own (nobody waits for an answer) waits for it.
UNHURRIED_WAIT_SECONDS = 5.0


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
