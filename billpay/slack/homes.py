"""App Home tabs kept up to date: each person's Home is published when they open it and again,
in the background, after a change to a bill of their workspace (an approval, a payment, a
cancelled schedule), whoever made it.

A change never waits for a Home: it only asks for a refresh (`changed`), which runs after
`DEBOUNCE_SECONDS` and publishes each person's Home once however many bills changed meanwhile (a
bulk approval of ten bills is one `views.publish` per person, not ten). Homes refreshed are those
this process published since it started (`MAX_VIEWERS` per workspace, the latest): whoever
opens their Home gets it drawn afresh anyway. A workspace that uninstalled the app gets none
(`forget`, and a refresh that finds it gone drops its viewers without calling Slack).

Links to cards are Slack's permalinks (`chat.getPermalink`), which Slack documents as the way to
get one, cached here for good (a message's permalink never changes); a refresh asks Slack for
`MAX_NEW_PERMALINKS` new ones at most, and shows the others' channel until a later one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.slack.boundary import in_flight
from billpay.slack.people import Person

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
MAX_VIEWERS = 200
MAX_NEW_PERMALINKS = 10
MAX_PERMALINKS = 5000

# Draws a person's Home: (team, person, permalinks of its cards) to the view.
Render = Callable[["HomeTabs", str, Person], Awaitable[dict[str, Any]]]


class HomeTabs:
    def __init__(
        self,
        clients: Callable[[str], AsyncWebClient],
        *,
        reaches: Callable[[str], Awaitable[bool]] | None = None,
        delay: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.clients = clients
        # Whether the bot may still speak in a workspace (not, once it uninstalled the app).
        self.reaches = reaches
        self.delay = delay
        # Set by the Home's listeners (`billpay.slack.handlers.home`): how a Home is drawn.
        self.render: Render | None = None
        self._viewers: dict[str, OrderedDict[str, Person]] = {}
        self._waiting: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._permalinks: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def publish(self, team_id: str, person: Person) -> None:
        """Draw and publish the person's Home now; later changes refresh it too."""
        viewers = self._viewers.setdefault(team_id, OrderedDict())
        viewers[person.user_id] = person
        viewers.move_to_end(person.user_id)
        while len(viewers) > MAX_VIEWERS:
            gone, _ = viewers.popitem(last=False)
            self._locks.pop((team_id, gone), None)
        if self.render is None:
            return
        # One at a time per person, so a Home drawn earlier never replaces one drawn later.
        async with self._locks.setdefault((team_id, person.user_id), asyncio.Lock()):
            view = await self.render(self, team_id, person)
            await self.clients(team_id).views_publish(user_id=person.user_id, view=view)

    def forget(self, team_id: str) -> None:
        """The workspace uninstalled the app: its Homes are no longer refreshed (a person who
        opens theirs after it installs again is drawn afresh)."""
        for user_id in self._viewers.pop(team_id, {}):
            self._locks.pop((team_id, user_id), None)

    def changed(self, team_id: str) -> None:
        """A bill of this workspace changed: refresh its people's Homes soon, once each."""
        for user_id in list(self._viewers.get(team_id, ())):
            self.soon(team_id, user_id)

    def soon(self, team_id: str, user_id: str) -> None:
        key = (team_id, user_id)
        if key in self._waiting:
            self._again.add(key)  # drawn again after the refresh under way, if it has begun
            return
        task = asyncio.get_running_loop().create_task(self._refresh(key))
        self._waiting[key] = task
        # Awaited with the listeners' runs at shutdown, so none reaches Slack after it.
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    async def _refresh(self, key: tuple[str, str]) -> None:
        team_id, user_id = key
        try:
            while True:
                await asyncio.sleep(self.delay)
                self._again.discard(key)
                viewers = self._viewers.get(team_id)
                person = viewers.get(user_id) if viewers is not None else None
                if person is None:
                    return
                if self.reaches is not None and not await self.reaches(team_id):
                    self.forget(team_id)  # uninstalled (seen by another replica, maybe)
                    return
                try:
                    await self.publish(team_id, person)
                except Exception as exc:  # the change is made; a Home is only its picture
                    log.warning("could not refresh the Home of %s: %r", user_id, exc)
                if key not in self._again:
                    return
        finally:
            self._waiting.pop(key, None)
            self._again.discard(key)

    async def permalinks(
        self, team_id: str, cards: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The permalinks of these cards (channel, ts): cached ones, and up to
        `MAX_NEW_PERMALINKS` asked of Slack now, side by side."""
        missing = [card for card in cards if card not in self._permalinks][:MAX_NEW_PERMALINKS]
        client = self.clients(team_id)

        async def ask(card: tuple[str, str]) -> None:
            try:
                response = await client.chat_getPermalink(channel=card[0], message_ts=card[1])
            except Exception as exc:  # the line shows the card's channel instead
                log.info("no permalink for %s: %r", card, exc)
                return
            url = response.get("permalink")
            if isinstance(url, str) and url.startswith("https://"):
                self._permalinks[card] = url
                while len(self._permalinks) > MAX_PERMALINKS:
                    self._permalinks.popitem(last=False)

        await asyncio.gather(*(ask(card) for card in missing))
        return {card: self._permalinks[card] for card in cards if card in self._permalinks}
