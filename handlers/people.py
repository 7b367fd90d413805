"""Who is clicking: a Slack user's locale and time zone, from `users.info`, cached for an hour
so that a person's clicks cost one lookup an hour, not one each."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.text import babel_locale

log = logging.getLogger(__name__)
TTL_SECONDS = 3600.0
DEFAULT_TIME_ZONE = "Europe/London"


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

    async def get(self, client: AsyncWebClient, team_id: str, user_id: str) -> Person:
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
            return hit[1]
        try:
            response = await client.users_info(user=user_id, include_locale=True)
            user = response.get("user") or {}
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return Person(user_id, self.default_locale, DEFAULT_TIME_ZONE)
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
