"""When a digest goes out: a subscription's settings as a plain value, the channel's local date
at an instant, whether a run is due, the next run, and the checks on settings people type
(a time `HH:MM` or `7h30`, an IANA time zone, at least one weekday, a look-ahead of 1 to 31 days).

Pure: no clock (every function takes `now`), no database. The scheduler asks `is_due(now)` for
each active subscription and then claims `(subscription, local_date(now))` in the store, so a
day's digest goes out once however many replicas ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.digest.compute import DEFAULT_LOOK_AHEAD_DAYS, MAX_LOOK_AHEAD_DAYS

DEFAULT_TIME = time(9, 0)
DEFAULT_TIME_ZONE = "UTC"
DEFAULT_WEEKDAYS = (1, 2, 3, 4, 5)  # ISO: Monday 1 to Sunday 7
# A digest that could not go out at its time (every replica down) still goes out this late,
# not later: a morning digest at midnight helps nobody.
DEFAULT_GRACE = timedelta(hours=3)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class InvalidSchedule(Denied):
    """A digest setting that cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class Subscription:
    """A linked channel's digest settings, with the link's figures the digest needs."""

    id: int
    link_id: int
    team_id: str
    channel_id: str
    company_id: str
    connection_id: str
    company_name: str
    base_currency: str
    local_time: time = DEFAULT_TIME
    time_zone: str = DEFAULT_TIME_ZONE
    weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS
    look_ahead_days: int = DEFAULT_LOOK_AHEAD_DAYS
    post_when_empty: bool = False
    paused: bool = False
    paused_reason: str | None = None
    created_by: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return parse_time_zone(self.time_zone)

    def local_date(self, now: datetime) -> date:
        """The channel's date at the instant `now` (timezone-aware)."""
        return _aware(now).astimezone(self.zone).date()

    def run_at(self, local_day: date) -> datetime:
        """The instant (UTC) of the digest of `local_day`, at the local time in the zone."""
        return datetime.combine(local_day, self.local_time, tzinfo=self.zone).astimezone(UTC)

    def is_due(self, now: datetime, *, grace: timedelta = DEFAULT_GRACE) -> bool:
        """Whether today's digest (in the channel's zone) should go out at `now`: not paused, a
        subscribed weekday, the local time reached and not more than `grace` ago. Claiming the
        run in the store is what makes it go out once."""
        if self.paused:
            return False
        day = self.local_date(now)
        if day.isoweekday() not in self.weekdays:
            return False
        at = self.run_at(day)
        return at <= _aware(now) < at + grace

    def next_run(self, after: datetime) -> datetime | None:
        """The first run strictly after `after` (UTC), or None when paused."""
        if self.paused or not self.weekdays:
            return None
        day = self.local_date(after)
        for offset in range(8):
            candidate = day + timedelta(days=offset)
            if candidate.isoweekday() in self.weekdays:
                at = self.run_at(candidate)
                if at > _aware(after):
                    return at
        return None  # pragma: no cover - a subscribed weekday comes within 8 days

    def terms(self) -> dict[str, object]:
        """The settings as the audit trail keeps them (before and after a change)."""
        return {
            "time": f"{self.local_time:%H:%M}",
            "time_zone": self.time_zone,
            "weekdays": list(self.weekdays),
            "look_ahead_days": self.look_ahead_days,
            "post_when_empty": self.post_when_empty,
            "paused": self.paused,
        }

    def describe(self) -> str:
        """`09:00 Europe/London, Mon to Fri, 7 days ahead`."""
        return (
            f"{self.local_time:%H:%M} {self.time_zone}, {describe_weekdays(self.weekdays)}, "
            f"{self.look_ahead_days} day{'s' if self.look_ahead_days != 1 else ''} ahead"
        )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone: pass an aware one (UTC)")
    return moment


# `09:00`, `9:00`; and as French writes it, `7h30`, `7 h 30`, `7h`.
_TIME = re.compile(
    r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})|\s?[hH]\s?(?P<after_h>[0-9]{2})?)"
)


def parse_local_time(text: str | time) -> time:
    """`09:00` (or `9:00`, `9h00`, `9h`) → 09:00, from 00:00 to 23:59."""
    if isinstance(text, time):
        return text.replace(second=0, microsecond=0, tzinfo=None)
    match = _TIME.fullmatch(text.strip())
    hour = int(match["hour"]) if match else 0
    minute = int(match["minute"] or match["after_h"] or 0) if match else 0
    if match is None or hour > 23 or minute > 59:
        raise InvalidSchedule(
            N_(
                "“{typed}” is not a time of day: write it as HH:MM, from 00:00 to 23:59 "
                "(e.g. 09:00)."
            ),
            typed=text,
        )
    return time(hour, minute)


def parse_time_zone(name: str) -> ZoneInfo:
    """A real IANA time zone (`Europe/London`, `America/New_York`, `UTC`)."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64 or ".." in cleaned or cleaned.startswith("/"):
        raise InvalidSchedule(_zone_error(name))
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(_zone_error(name)) from None


def _zone_error(name: str) -> Phrase:
    return Phrase(
        N_("“{typed}” is not a time zone I know: use an IANA name such as Europe/London."),
        typed=name,
    )


def parse_weekdays(days: Iterable[int | str]) -> tuple[int, ...]:
    """ISO weekday numbers (1 Monday … 7 Sunday) or names (`Mon`, `monday`), at least one;
    sorted, each once."""
    found: set[int] = set()
    for day in days:
        number = _weekday_number(day)
        if number is None:
            raise InvalidSchedule(
                N_(
                    "“{typed}” is not a weekday: use Mon, Tue, Wed, Thu, Fri, Sat, Sun (or 1 to 7)."
                ),
                typed=str(day),
            )
        found.add(number)
    if not found:
        raise InvalidSchedule(N_("Choose at least one weekday for the digest (e.g. Mon to Fri)."))
    return tuple(sorted(found))


def _weekday_number(day: int | str) -> int | None:
    if isinstance(day, bool):
        return None
    if isinstance(day, int):
        return day if 1 <= day <= 7 else None
    text = day.strip().lower()
    if text.isascii() and text.isdigit():
        return _weekday_number(int(text))
    for number, name in enumerate(WEEKDAY_NAMES, start=1):
        if len(text) >= 3 and (name.lower().startswith(text) or text.startswith(name.lower())):
            return number
    return None


LOOK_AHEAD_RANGE = N_("Look ahead 1 to {most} days (got {got}); 7 is a week.")


def check_look_ahead(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LOOK_AHEAD_DAYS:
        raise InvalidSchedule(LOOK_AHEAD_RANGE, most=MAX_LOOK_AHEAD_DAYS, got=repr(days))
    return days


def describe_weekdays(days: Iterable[int]) -> str:
    """`Mon to Fri`, `Mon, Wed, Fri`, `every day`."""
    chosen = sorted(set(days))
    if chosen == list(range(1, 8)):
        return "every day"
    if len(chosen) > 2 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return f"{WEEKDAY_NAMES[chosen[0] - 1]} to {WEEKDAY_NAMES[chosen[-1] - 1]}"
    return ", ".join(WEEKDAY_NAMES[d - 1] for d in chosen)
