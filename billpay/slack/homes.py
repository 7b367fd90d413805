"""App Home tabs kept up to date: each person's Home is published when they open it and again,
in the background, after a change to a bill of their workspace (an approval, a payment, a
cancelled schedule), whoever made it and whichever replica handled it.

A change never waits for a Home: it only asks for a refresh (`changed`), which marks the Homes
of the workspace's people due a redraw in the database (`billpay.store.home_views`, every Home
any replica drew: the latest `MAX_VIEWERS` per workspace), then after `DEBOUNCE_SECONDS` draws
each person's Home once however many bills changed meanwhile (a bulk approval of ten bills is
one `views.publish` per person, not ten). Each redraw is claimed first, so a Home is drawn by one
replica, not once per replica. What a replica that stopped left undone (a Home marked due and
never claimed, a redraw claimed and never done) is drawn by any replica's tick (`drain`).
Whoever opens their Home gets it drawn afresh anyway. A workspace that uninstalled the app gets
none (`forget`, and a refresh that finds it gone forgets its Homes without calling Slack).

Links to cards are Slack's permalinks (`chat.getPermalink`), which Slack documents as the way to
get one, cached here for good (a message's permalink never changes); a refresh asks Slack for
`MAX_NEW_PERMALINKS` new ones at most, and shows the others' channel until a later one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.slack.boundary import in_flight
from billpay.slack.people import Person
from billpay.store import claims, home_views
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.home_views import Redraw, Viewer

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
MAX_VIEWERS = 200
MAX_NEW_PERMALINKS = 10
MAX_PERMALINKS = 5000
# A Home marked due this long ago and not claimed was left by a replica that stopped: a tick
# draws it. Far longer than the debounce, so a tick never races the replica drawing it.
LEFT_AFTER = timedelta(seconds=30)
# Homes a tick draws at most (left ones and claims taken over); the rest wait for the next.
DRAIN_BATCH = 100
# Per-person locks kept (only a person's concurrent draws need one).
MAX_LOCKS = 1000

# Draws a person's Home: (team, person, permalinks of its cards) to the view.
Render = Callable[["HomeTabs", str, Person], Awaitable[dict[str, Any]]]


class HomeTabs:
    def __init__(
        self,
        clients: Callable[[str], AsyncWebClient],
        *,
        db: Database,
        claimant: Claimant,
        clock: Callable[[], datetime],
        reaches: Callable[[str], Awaitable[bool]] | None = None,
        delay: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.clients = clients
        self.db = db
        self.claimant = claimant
        self.clock = clock
        # Whether the bot may still speak in a workspace (not, once it uninstalled the app).
        self.reaches = reaches
        self.delay = delay
        # Set by the Home's listeners (`billpay.slack.handlers.home`): how a Home is drawn.
        self.render: Render | None = None
        self._waiting: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()
        self._locks: OrderedDict[tuple[str, str], asyncio.Lock] = OrderedDict()
        self._permalinks: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def publish(self, team_id: str, person: Person) -> None:
        """Draw and publish the person's Home now; later changes refresh it too, whichever
        replica handles them."""
        if self.render is None:
            return
        # One at a time per person, so a Home drawn earlier never replaces one drawn later.
        async with self._lock(team_id, person.user_id):
            # Recorded before it is drawn: a change made while it is drawn marks it due again.
            viewer = Viewer(team_id, person.user_id, person.locale, person.time_zone)
            await home_views.drawn(self.db, viewer, self.clock())
            view = await self.render(self, team_id, person)
            await self.clients(team_id).views_publish(user_id=person.user_id, view=view)

    def _lock(self, team_id: str, user_id: str) -> asyncio.Lock:
        key = (team_id, user_id)
        lock = self._locks.pop(key, None) or asyncio.Lock()
        self._locks[key] = lock
        while len(self._locks) > MAX_LOCKS:
            oldest = next(iter(self._locks))
            if self._locks[oldest].locked():
                break
            del self._locks[oldest]
        return lock

    async def forget(self, team_id: str) -> None:
        """The workspace uninstalled the app: its Homes are no longer refreshed (a person who
        opens theirs after it installs again is drawn afresh)."""
        await home_views.forget(self.db, team_id)

    def changed(self, team_id: str) -> None:
        """A bill of this workspace changed: refresh its people's Homes soon, once each."""
        task = asyncio.get_running_loop().create_task(self._changed(team_id))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    async def _changed(self, team_id: str) -> None:
        try:
            users = await home_views.mark_due(self.db, team_id, self.clock(), MAX_VIEWERS)
        except Exception as exc:  # the change is made; a Home is only its picture
            log.warning("could not ask for the Homes of %s to be redrawn: %r", team_id, exc)
            return
        for user_id in users:
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
                try:
                    redraw = await home_views.claim(
                        self.db, self.claimant, team_id, user_id, self.clock()
                    )
                    if redraw is not None:
                        await self._redraw(redraw, renew=False)  # claimed just now
                except Exception as exc:
                    log.warning("could not refresh the Home of %s: %r", user_id, exc)
                if key not in self._again:
                    return
        finally:
            self._waiting.pop(key, None)
            self._again.discard(key)

    async def _redraw(self, redraw: Redraw, *, renew: bool = True) -> None:
        """Draw a claimed redraw, unless another replica took the claim over meanwhile (its
        lease renewed first, unless claimed an instant ago); its claim is done once drawn, or
        once drawing failed (a Home is only a picture: the next change or opening draws it
        again)."""
        viewer = redraw.viewer
        if renew and not await claims.keep(
            self.db, self.claimant, home_views.KIND, redraw.subject, self.clock()
        ):
            return
        try:
            if self.reaches is not None and not await self.reaches(viewer.team_id):
                await self.forget(viewer.team_id)  # uninstalled (seen by another replica, maybe)
                return
            person = Person(viewer.user_id, viewer.locale, viewer.time_zone)
            try:
                await self.publish(viewer.team_id, person)
            except Exception as exc:  # the change is made; a Home is only its picture
                log.warning("could not refresh the Home of %s: %r", viewer.user_id, exc)
        finally:
            await claims.done(self.db, home_views.KIND, redraw.subject, self.clock())

    async def drain(self) -> int:
        """A tick: draw the Homes a replica that stopped left due (marked and never claimed, or
        claimed and never drawn), once across replicas. Returns how many were drawn."""
        now = self.clock()
        redraws: list[Redraw] = []
        for held in await claims.take_over_expired(self.db, self.claimant, [home_views.KIND], now):
            viewer = await home_views.viewer_of(self.db, held.subject)
            if viewer is None:  # forgotten meanwhile (uninstalled)
                await claims.done(self.db, home_views.KIND, held.subject, now)
                continue
            redraws.append(Redraw(viewer, held.subject))
        for team_id, user_id in await home_views.due_before(self.db, now - LEFT_AFTER, DRAIN_BATCH):
            if (team_id, user_id) in self._waiting:
                continue  # this replica draws it already
            redraw = await home_views.claim(self.db, self.claimant, team_id, user_id, now)
            if redraw is not None:
                redraws.append(redraw)
        for redraw in redraws:
            await self._redraw(redraw)
        await claims.forget_done(self.db, home_views.KIND, now - timedelta(days=1))
        return len(redraws)

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
