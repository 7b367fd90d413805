"""What the listeners of a bill card's buttons share: acting only from a message that is up to
date, bringing every message that shows the bill up to date after a change, and answering the
person who clicked, in words only they see.

A click from a message retired as out of date, or (Approve, Reject, Reopen) from a card drawn
before the bill's last change, is refused (`MessageOutOfDate`, `CardOutOfDate`), and the
message is brought up to date before the boundary answers the refusal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from slack_bolt.async_app import AsyncRespond

from billpay.core.errors import CardOutOfDate, MessageOutOfDate, OutOfDate
from billpay.services import Services
from billpay.slack.blocks.ids import Action, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from billpay.slack.boundary import L, Listeners
from billpay.slack.envelope import Click
from billpay.slack.publisher import Publisher


def overflow(on: Listeners, option: MoreOption) -> Callable[[L], L]:
    """Registers the listener of one choice of a card's overflow menu (the menu is one
    action; each area serves its own choices)."""
    return on.action(Action.MORE, MoreAction, when=lambda value: value.choice == option)


async def tell(respond: AsyncRespond, text: str) -> None:
    """An answer only the person who clicked sees, under the message they clicked."""
    await respond(text=text, response_type="ephemeral", replace_original=False)


class Cards:
    """The cards of one channel as a click sees them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.publisher = services.must_publish()

    @asynccontextmanager
    async def up_to_date(self, click: Click, bill_id: str) -> AsyncIterator[None]:
        """Refusals because the click came from an older message or card: before the refusal
        is answered, the message is brought up to date (or shown out of date)."""
        try:
            yield
        except MessageOutOfDate:
            await Publisher.quietly(
                self.publisher.refresh_message(click.team_id, click.channel_id, click.message_ts),
                "show the message out of date",
            )
            raise
        except CardOutOfDate:
            await self.changed(click, bill_id)
            raise

    async def current(self, click: Click, bill_id: str) -> None:
        """A click acts only from a message that is not out of date."""
        async with self.up_to_date(click, bill_id):
            await self.services.messages.ensure_current(click.channel_id, click.message_ts)

    async def drawn_from(self, click: Click, bill_id: str, version: int | None) -> None:
        """`current`, and the button (Approve, Reject, Reopen) must carry the case version its
        card was drawn from: the decision is taken only if the case is still at that version."""
        if version is None:
            raise OutOfDate()
        await self.current(click, bill_id)

    async def changed(self, click: Click, bill_id: str) -> None:
        """After a change: every message that shows the bill, the clicked one first."""
        await Publisher.quietly(
            self.publisher.bill_changed_here(
                click.team_id, click.channel_id, bill_id, click.message_ts
            ),
            "update the cards",
        )
