"""The person behind a request, as listeners receive it: looked up in Slack only when a listener
awaits it, once however often it is awaited, never for ids that aren't Slack's, and with the
defaults when Slack is slower than the listener can wait."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.slack.people import LazyPerson, People


class _Users:
    """A Web API client whose users.info counts its calls and may take its time."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay

    async def users_info(self, *, user: str, include_locale: bool) -> dict[str, Any]:
        self.calls.append(user)
        await asyncio.sleep(self.delay)
        return {"user": {"locale": "fr-FR", "tz": "Europe/Paris"}}


def _lazy(users: _Users, team_id: object = "T0TEAM", user_id: object = "U0BEN") -> LazyPerson:
    client: AsyncWebClient = users  # type: ignore[assignment]
    return LazyPerson(People(default_locale="en_GB"), client, team_id, user_id)


async def test_slack_is_asked_only_when_the_person_is_awaited_and_only_once() -> None:
    users = _Users()
    person = _lazy(users)
    await asyncio.sleep(0)
    assert users.calls == []
    first, second = await person, await person
    assert users.calls == ["U0BEN"]
    assert first == second
    assert (first.locale, first.time_zone) == ("fr_FR", "Europe/Paris")


async def test_a_lookup_started_early_is_the_one_awaited_later() -> None:
    users = _Users(delay=0.05)
    person = _lazy(users)
    lookup = person.lookup()
    await asyncio.sleep(0.01)
    assert users.calls == ["U0BEN"] and not lookup.done()
    assert (await person).locale == "fr_FR"
    assert users.calls == ["U0BEN"]


async def test_ids_that_are_not_slacks_ask_slack_nothing() -> None:
    users = _Users()
    for team_id, user_id in (("T0TEAM", None), ("T0TEAM", "<!channel>"), (None, "U0BEN")):
        person = await _lazy(users, team_id, user_id)
        assert person.locale == "en_GB"
    assert users.calls == []


async def test_slack_slower_than_the_wait_gives_the_defaults() -> None:
    users = _Users(delay=0.5)
    person = _lazy(users)
    assert (await person.lookup(wait=0.01)).locale == "en_GB"
    assert person.fallback().user_id == "U0BEN"
