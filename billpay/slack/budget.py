"""Words within Slack's 3 seconds, whatever the payables API does.

Slack shows nothing of a slash command's answer until the bot sends one, and a trigger id
opens a modal only within 3 seconds of the click; a live read of the payables API may take
as long as its deadline (8 seconds) when the API is slow or down. So a listener whose answer
needs the payables API runs its work through `within_budget`, which shows a placeholder when
the work is not done in time and leaves the answer to replace it:

- a slash command (`CommandAnswer`): if the work takes longer than about a second
  (`PATIENCE_SECONDS`, on the services' clock), an ephemeral placeholder ("Reading bills…")
  goes out through the command's response_url. The answer then takes its place
  (`replace_original`), or, when the answer is posted elsewhere (the cards of `/bills`, a
  message in the channel), the placeholder is deleted. A failure is worded by the error
  boundary in the placeholder's place (it reads `SHOWN_PLACEHOLDER`).
- a modal (`open_modal`): the trigger id cannot wait, so a loading modal opens at once, before
  anything is read, and `views.update` puts the modal the work builds in its place; a failure
  shows there (the boundary reads `SHOWN_VIEW`).

Buttons on a message are not served here: their response_url replaces the message clicked,
and Slack can neither update nor delete an ephemeral posted with `chat.postEphemeral`, so a
placeholder there could never be taken back. The boundary tells a person whose click is still
at work after `PATIENCE_SECONDS` so, in words that stay true (`boundary._noted`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.clock import Clock
from billpay.core.errors import OutOfDate
from billpay.core.i18n import N_, words
from billpay.slack.boundary import HOURGLASS, SHOWN_PLACEHOLDER, SHOWN_VIEW
from billpay.slack.people import LazyPerson, Person

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a slash command's work may run before its placeholder shows.
PATIENCE_SECONDS = 1.0
# How long a loading modal waits to learn the reader's language (usually cached) before it
# opens in the default one: the trigger id is valid for 3 seconds only.
LOCALE_WAIT_SECONDS = 0.5
READING_BILLS = N_("Reading bills…")


async def within_budget(
    work: Awaitable[T],
    placeholder: Callable[[], Awaitable[object]],
    patience: Awaitable[object] | None = None,
) -> T:
    """Run `work` and return what it returns (or raise what it raises). If `patience` (a wait)
    ends first, or at once when there is none, `placeholder()` is shown while the work goes on.
    A placeholder that fails stops the work: there is nowhere to answer."""
    task = asyncio.ensure_future(work)
    try:
        if patience is not None:
            waiting = asyncio.ensure_future(patience)
            try:
                await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiting.cancel()
        if not task.done():
            await placeholder()
        return await task
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        let_finish(task)


def let_finish(task: asyncio.Future[Any]) -> None:
    """Leave work nobody waits for any more to finish on its own: cancelled in the middle of a
    read, it could leave a database connection checked out with its transaction open (and, on
    SQLite, the lock that keeps every writer out). What it raises is logged, not lost."""
    if not task.done():
        task.add_done_callback(_forget)


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.info("work nobody waited for ended with %r", error)


class CommandAnswer:
    """The answer to one slash command, through its response_url. `within_budget` runs the work
    and posts the placeholder when the work is slow; `ephemeral`, `in_channel` and `posted`
    then answer in its place."""

    def __init__(
        self, respond: AsyncRespond, context: AsyncBoltContext, person: LazyPerson, clock: Clock
    ) -> None:
        self.respond = respond
        self.context = context
        self.person = person
        self.clock = clock

    @property
    def shown(self) -> bool:
        """Is the placeholder showing?"""
        return bool(self.context.get(SHOWN_PLACEHOLDER))

    async def within_budget(self, work: Awaitable[T], waiting: str = READING_BILLS) -> T:
        """Run `work`; past `PATIENCE_SECONDS`, say `waiting` (a marked message) meanwhile."""
        self.person.lookup()  # the reader's language, learned while the work runs
        return await within_budget(
            work, lambda: self._placeholder(waiting), self.clock.sleep(PATIENCE_SECONDS)
        )

    async def _placeholder(self, waiting: str) -> None:
        reader = await self.person
        text = f"{HOURGLASS} {words(reader.locale)(waiting)}"
        try:
            response = await self.respond(text=text, response_type="ephemeral")
        except Exception as exc:  # the answer itself may still get through
            log.warning("could not post the placeholder: %r", exc)
            return
        if getattr(response, "status_code", 200) == 200:
            self.context[SHOWN_PLACEHOLDER] = True
        else:
            log.warning("Slack refused the placeholder (HTTP %s)", response.status_code)

    async def ephemeral(self, **message: Any) -> None:
        """The answer only the person sees, in the placeholder's place if it shows."""
        await self.respond(response_type="ephemeral", replace_original=self.shown, **message)

    async def in_channel(self, **message: Any) -> None:
        """The answer everyone in the channel sees (an ephemeral can't become one: the
        placeholder goes first)."""
        await self.posted()
        await self.respond(response_type="in_channel", **message)

    async def posted(self) -> None:
        """The answer went out another way (a message in the channel): the placeholder goes."""
        if self.shown:
            await self.respond(delete_original=True)
            self.context[SHOWN_PLACEHOLDER] = False


def trigger_of(body: dict[str, Any]) -> str:
    """The request's trigger id, to open a modal with; a request without one is out of date."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not 0 < len(trigger) <= 200:
        raise OutOfDate()
    return trigger


async def reader_now(person: LazyPerson) -> Person:
    """The person, if Slack says within `LOCALE_WAIT_SECONDS` who they are (usually from the
    cache); else the defaults, for a modal that must open now."""
    lookup = person.lookup()
    done, _pending = await asyncio.wait({lookup}, timeout=LOCALE_WAIT_SECONDS)
    return lookup.result() if done else person.fallback()


async def open_modal(
    client: AsyncWebClient,
    trigger_id: str,
    context: AsyncBoltContext,
    loading: dict[str, Any],
    work: Awaitable[dict[str, Any]],
) -> None:
    """Open `loading` at once with the trigger id, then put the modal `work` builds in its
    place; if `work` fails, the boundary says why in the modal."""
    shown: list[str] = []

    async def open_loading() -> None:
        opened = await client.views_open(trigger_id=trigger_id, view=loading)
        shown.append(opened["view"]["id"])
        context[SHOWN_VIEW] = shown[0]  # errors from here on show in the modal

    view = await within_budget(work, open_loading)
    if shown:
        await client.views_update(view_id=shown[0], view=view)
    else:  # done before the loading modal was needed
        await client.views_open(trigger_id=trigger_id, view=view)
