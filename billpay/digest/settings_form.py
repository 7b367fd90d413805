"""Reading the digest settings a person typed in the `/billpay digest` modal: each mistake named
on its field (`25:00`, an unknown time zone, no weekday), nothing saved until all are right.
Pure: the modal's raw values in, the settings or one message per field out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from billpay.core.i18n import Phrase
from billpay.digest.schedule import (
    LOOK_AHEAD_RANGE,
    InvalidSchedule,
    check_look_ahead,
    parse_local_time,
    parse_time_zone,
    parse_weekdays,
)

Field = Literal["time", "zone", "weekdays", "look_ahead"]


@dataclass(frozen=True)
class DigestSettings:
    local_time: time
    time_zone: str
    weekdays: tuple[int, ...]
    look_ahead_days: int
    post_when_empty: bool


def read_digest_form(
    *,
    local_time: str | None,
    time_zone: str | None,
    weekdays: list[str],
    look_ahead: str | None,
    post_when_empty: bool,
) -> DigestSettings | dict[Field, Phrase]:
    """The settings, or one message per field (translated for the reader when shown)."""
    errors: dict[Field, Phrase] = {}
    parsed_time: time | None = None
    zone = (time_zone or "").strip()
    days: tuple[int, ...] = ()
    ahead = 0
    try:
        parsed_time = parse_local_time((local_time or "").strip()[:16])
    except InvalidSchedule as exc:
        errors["time"] = exc.phrase
    try:
        parse_time_zone(zone)
    except InvalidSchedule as exc:
        errors["zone"] = exc.phrase
    try:
        days = parse_weekdays(weekdays[:7])
    except InvalidSchedule as exc:
        errors["weekdays"] = exc.phrase
    text = (look_ahead or "").strip()
    try:
        ahead = check_look_ahead(
            int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else -1
        )
    except InvalidSchedule as exc:
        errors["look_ahead"] = Phrase(
            LOOK_AHEAD_RANGE, **{**exc.phrase.values, "got": repr(text[:8])}
        )
    if errors:
        return errors
    assert parsed_time is not None
    return DigestSettings(parsed_time, zone, days, ahead, post_when_empty)
