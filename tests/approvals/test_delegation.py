"""Who is away, read from a Slack status, and what `/billpay away …` asks for: as rules, over
text people type (statuses in any case or accent, dates, mentions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.approvals.delegation import AWAY_WORDS, AwayRequest, read_away, status_says_away
from billpay.bills.policy import Standing
from billpay.core.errors import Denied

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def _status(text: str = "", emoji: str = "", expiration: int = 0) -> Standing:
    return Standing("U0ANA", status_text=text, status_emoji=emoji, status_expiration=expiration)


@pytest.mark.parametrize(
    ("text", "emoji", "away"),
    [
        ("Out of Office until Monday", "", True),
        ("OOO", "", True),
        ("en congé jusqu'au 3", "", True),
        ("EN CONGE", "", True),
        ("Vacances !", "", True),
        ("on holiday in Crete", "", True),
        ("", ":palm_tree:", True),
        ("", ":airplane:", True),
        ("In a meeting", ":calendar:", False),
        ("cooordinating", "", False),  # "ooo" inside a word
        ("Booked", "", False),
    ],
)
def test_a_status_says_away_in_these_words_or_emoji(text: str, emoji: str, away: bool) -> None:
    assert status_says_away(_status(text, emoji), NOW) is away


def test_an_expired_status_says_nothing() -> None:
    past = int(NOW.timestamp()) - 1
    later = int(NOW.timestamp()) + 3600
    assert not status_says_away(_status("OOO", ":palm_tree:", past), NOW)
    assert status_says_away(_status("OOO", "", later), NOW)


@given(
    st.sampled_from(AWAY_WORDS),
    st.text(max_size=30),
    st.text(max_size=30),
    st.booleans(),
)
def test_away_words_are_read_whatever_their_case_and_surroundings(
    word: str, before: str, after: str, upper: bool
) -> None:
    typed = word.upper() if upper else word.title()
    text = f"{before} {typed} {after}"
    assert status_says_away(_status(text), NOW)


@given(st.text(max_size=200), st.text(max_size=40), st.integers(-(2**40), 2**40))
def test_any_status_is_read_without_failing(text: str, emoji: str, expiration: int) -> None:
    assert isinstance(status_says_away(_status(text, emoji, expiration), NOW), bool)


def test_away_requests_read_as_people_type_them() -> None:
    assert read_away("off", TODAY) == AwayRequest(None)
    assert read_away("<@U0BEN|ben> until 2026-12-24", TODAY) == AwayRequest(
        "U0BEN", TODAY, date(2026, 12, 24)
    )
    assert read_away("<@U0BEN> from 2026-12-20 until 2026-12-24", TODAY) == AwayRequest(
        "U0BEN", date(2026, 12, 20), date(2026, 12, 24)
    )
    assert read_away("U0BEN", TODAY) == AwayRequest("U0BEN")
    for wrong in (
        "",
        "@ben",
        "<@U0BEN> until",
        "<@U0BEN> from 2026-12-20",
        "<@U0BEN> until 2026-12-24 until 2026-12-25",
        "<@U0BEN> until 2026-11-22",
        "<@U0BEN> from 2026-12-24 until 2026-12-20",
        "<@U0BEN> until 2026-02-30",
        "<!channel> until 2026-12-24",
    ):
        with pytest.raises(Denied):
            read_away(wrong, TODAY)


@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_in_words(text: str) -> None:
    try:
        request = read_away(text, TODAY)
    except Denied:
        return
    assert request.delegate_id is None or request.delegate_id.startswith(("U", "W"))
    assert request.ends_on is None or request.ends_on >= TODAY
