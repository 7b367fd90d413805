"""When a digest is due: the channel's local date, its time in its zone (daylight saving
included), subscribed weekdays, and the words for settings that cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from billpay.digest.schedule import (
    InvalidSchedule,
    Subscription,
    check_look_ahead,
    describe_weekdays,
    parse_local_time,
    parse_time_zone,
    parse_weekdays,
)


def sub(**changes: object) -> Subscription:
    values: dict[str, object] = {
        "id": 1,
        "link_id": 1,
        "team_id": "T0001",
        "channel_id": "C0FIN",
        "company_id": "co",
        "connection_id": "cn",
        "company_name": "Larkspur",
        "base_currency": "GBP",
        "time_zone": "Europe/London",
    }
    values.update(changes)
    return Subscription(**values)  # type: ignore[arg-type]


def test_the_local_date_is_the_channels_own() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert sub(time_zone="Asia/Tokyo").local_date(late).isoformat() == "2026-11-24"
    assert sub(time_zone="America/New_York").local_date(late).isoformat() == "2026-11-23"


def test_due_from_the_local_time_on_subscribed_weekdays_within_the_grace() -> None:
    monday = sub()
    assert not monday.is_due(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert monday.is_due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert not monday.is_due(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 3 hours late: skipped
    assert not monday.is_due(datetime(2026, 11, 22, 9, 30, tzinfo=UTC))  # a Sunday
    assert not sub(paused=True).is_due(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))


def test_summer_time_moves_the_utc_instant_not_the_local_time() -> None:
    london = sub()
    assert london.run_at(datetime(2026, 7, 6).date()) == datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    assert london.run_at(datetime(2026, 12, 7).date()) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_next_run_skips_to_the_next_subscribed_weekday() -> None:
    friday_after = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert sub().next_run(friday_after) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert sub(weekdays=(3,)).next_run(friday_after) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert sub(paused=True).next_run(friday_after) is None
    with pytest.raises(ValueError):
        sub().next_run(datetime(2026, 11, 27, 10, 0))  # naive


@pytest.mark.parametrize(
    "text", ["25:00", "24:00", "9", "09:60", "nine", "", "09:00:00", "25h", "7h5", "h30", "7h30h"]
)
def test_a_time_outside_00_00_to_23_59_is_refused_with_how_to_write_it(text: str) -> None:
    with pytest.raises(InvalidSchedule, match="HH:MM, from 00:00 to 23:59"):
        parse_local_time(text)


def test_times_people_write() -> None:
    assert parse_local_time("9:05") == time(9, 5)
    assert parse_local_time(" 23:59 ") == time(23, 59)
    assert parse_local_time("00:00") == time(0, 0)
    assert parse_local_time("7h30") == time(7, 30)  # as French writes it
    assert parse_local_time("07 h 30") == parse_local_time("07H30") == time(7, 30)
    assert parse_local_time("9h") == time(9, 0)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "GMT+25"]
)
def test_an_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(InvalidSchedule, match="not a time zone I know"):
        parse_time_zone(name)


def test_real_zones_are_accepted() -> None:
    assert parse_time_zone("Europe/London").key == "Europe/London"
    assert parse_time_zone("UTC").key == "UTC"


def test_weekdays_need_at_least_one_and_read_names_or_numbers() -> None:
    with pytest.raises(InvalidSchedule, match="at least one weekday"):
        parse_weekdays([])
    with pytest.raises(InvalidSchedule, match="not a weekday"):
        parse_weekdays(["Funday"])
    with pytest.raises(InvalidSchedule, match="not a weekday"):
        parse_weekdays([8])
    assert parse_weekdays(["fri", "Monday", 3, "3"]) == (1, 3, 5)
    assert describe_weekdays((1, 2, 3, 4, 5)) == "Mon to Fri"
    assert describe_weekdays((1, 3, 5)) == "Mon, Wed, Fri"
    assert describe_weekdays(range(1, 8)) == "every day"


@pytest.mark.parametrize("days", [0, 32, -1])
def test_the_look_ahead_is_1_to_31_days(days: int) -> None:
    with pytest.raises(InvalidSchedule, match="1 to 31 days"):
        check_look_ahead(days)
    assert check_look_ahead(31) == 31
