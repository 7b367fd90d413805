"""Who reads the page, and what Slack's client writes for them in their own locale and time zone:
`<!date^…>` tokens, a message's time, and the client's own words ("(edited)", "This field is
required"). Slack formats these on the reader's side, from their profile, never from the
browser's settings, so two people looking at one message can see two ways of writing a date.

`Reader` is set around a rendering with `reading_as`; without one, a date token shows its
fallback text, as the bot wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, format_timedelta

__all__ = ["Reader", "client_words", "date_token", "reader", "reading_as"]


@dataclass(frozen=True)
class Reader:
    """A person's locale (as Slack gives it: "fr-FR") and time zone; `now` for the relative
    words ("Today", "3 minutes ago")."""

    locale: str
    zone: ZoneInfo
    now: datetime | None = None

    @property
    def babel(self) -> str:
        try:
            return str(Locale.parse(self.locale, sep="-"))
        except (ValueError, UnknownLocaleError):
            return "en_US"

    @property
    def language(self) -> str:
        return self.babel.split("_", 1)[0]

    def local(self, epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.zone)

    def time(self, epoch: float) -> str:
        """A message's time as Slack's client shows it beside the author: "9:05 AM", "09:05"."""
        return format_time(self.local(epoch), "short", locale=self.babel)

    def day_and_time(self, epoch: float) -> str:
        """The day and time, for the time's tooltip: "Dec 5, 9:05 AM", "5 déc., 09:05"."""
        moment = self.local(epoch)
        return f"{format_skeleton('MMMd', moment, locale=self.babel)}, {self.time(epoch)}"


_current: ContextVar[Reader | None] = ContextVar("slack_playground_reader", default=None)


def reader() -> Reader | None:
    """Who the page being drawn is for, if anyone."""
    return _current.get()


@contextmanager
def reading_as(who: Reader) -> Iterator[Reader]:
    """Draw what follows for `who`."""
    token = _current.set(who)
    try:
        yield who
    finally:
        _current.reset(token)


# Slack's client's own words, in the languages of the playground's people.
_CLIENT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "edited": "(edited)",
        "edited_at": "Edited {when}",
        "only_you": "Only visible to you",
        "required": "This field is required",
        "today": "Today",
        "yesterday": "Yesterday",
        "tomorrow": "Tomorrow",
    },
    "fr": {
        "edited": "(modifié)",
        "edited_at": "Modifié le {when}",
        "only_you": "Visible uniquement par vous",
        "required": "Ce champ est obligatoire",
        "today": "Aujourd’hui",
        "yesterday": "Hier",
        "tomorrow": "Demain",
    },
}


def client_words(key: str, who: Reader | None = None) -> str:
    """One of the client's own words, in the reader's language (English otherwise)."""
    who = who or reader()
    language = who.language if who else "en"
    return _CLIENT_WORDS.get(language, _CLIENT_WORDS["en"])[key]


_TOKEN = re.compile(r"\{(\w+)\}")


def _pretty(moment: datetime, who: Reader, otherwise: str) -> str:
    today = (who.now or datetime.now(UTC)).astimezone(who.zone).date()
    days = (moment.date() - today).days
    relative = {0: "today", -1: "yesterday", 1: "tomorrow"}.get(days)
    return client_words(relative, who) if relative else otherwise


def _token(name: str, moment: datetime, who: Reader) -> str | None:
    locale = who.babel
    formats = {
        "date_num": lambda: format_skeleton("yMd", moment, locale=locale),
        "date": lambda: format_date(moment, "long", locale=locale),
        "date_short": lambda: format_skeleton("yMMMd", moment, locale=locale),
        "date_long": lambda: format_date(moment, "full", locale=locale),
        "time": lambda: format_time(moment, "short", locale=locale),
        "time_secs": lambda: format_time(moment, "medium", locale=locale),
    }
    if name in formats:
        return formats[name]()
    if name.endswith("_pretty") and name[: -len("_pretty")] in formats:
        return _pretty(moment, who, formats[name[: -len("_pretty")]]())
    if name == "ago":
        now = (who.now or datetime.now(UTC)).astimezone(who.zone)
        delta: timedelta = moment - now
        return format_timedelta(delta, add_direction=True, locale=locale)
    return None


def date_token(inner: str) -> str | None:
    """The text of `<!date^EPOCH^FORMAT[^LINK]|FALLBACK>` (`inner` without the brackets and
    label) for the current reader, or None when there is no reader or the token is malformed
    (Slack then shows the fallback)."""
    who = reader()
    parts = inner.split("^")
    if who is None or len(parts) < 3 or not (parts[1].isascii() and parts[1].lstrip("-").isdigit()):
        return None
    moment = who.local(float(parts[1]))
    unknown = False

    def one(match: re.Match[str]) -> str:
        nonlocal unknown
        text = _token(match.group(1), moment, who)
        if text is None:
            unknown = True
            return match.group(0)
        return text

    written = _TOKEN.sub(one, parts[2])
    return None if unknown else written
