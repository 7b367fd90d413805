"""Listing bills: `/bills [overdue | due 7d | supplier]`, paging a `/bills` message, the daily
digest's buttons that open a list, and a card's overflow choices Refresh and Details.

Every listener acks first; a refusal or a failure travels to the error boundary. `/bills`
reads the payables API before it can post the cards, so it answers within Slack's budget
(`billpay.slack.budget`): "Reading bills…" when the read is slow, then the cards or the reason.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond

from billpay.bills.listing import parse_filter
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.blocks.bills.card import details_blocks, refreshed_text
from billpay.slack.blocks.ids import Action, DigestAction, MoreOption
from billpay.slack.blocks.invoices import details_extra
from billpay.slack.blocks.metadata import DigestListAction, MoreAction, PageAction
from billpay.slack.blocks.text import escape, moment
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import CommandAnswer
from billpay.slack.envelope import Click, Command
from billpay.slack.handlers.cards import Cards, overflow
from billpay.slack.people import LazyPerson


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()
    cards = Cards(services)

    @on.command("/bills")
    async def bills(
        ack: Ack,
        slash: Command,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        bill_filter = parse_filter(slash.text)
        answer = CommandAnswer(respond, context, person, services.clock)

        async def post() -> None:
            link = await services.links.link_for(slash.team_id, slash.channel_id)
            await publisher.post_listing(
                slash.team_id,
                await person,
                link,
                bill_filter,
                channel_id=slash.channel_id,
                posted=answer.posted,  # the cards are in the channel: "Reading bills…" goes
            )

        await answer.within_budget(post())
        await answer.posted()  # in case the placeholder landed after the cards

    async def page(click: Click, value: PageAction, person: LazyPerson) -> None:
        link = await services.links.link_for(click.team_id, click.channel_id)
        await publisher.post_listing(
            click.team_id,
            await person,
            link,
            parse_filter(value.filter_text),
            page=value.page,
            channel_id=click.channel_id,
            ts=click.message_ts,
        )

    @on.action(Action.PAGE_PREVIOUS, PageAction)
    async def page_previous(ack: Ack, click: Click, value: PageAction, person: LazyPerson) -> None:
        await ack()
        await page(click, value, person)

    @on.action(Action.PAGE_NEXT, PageAction)
    async def page_next(ack: Ack, click: Click, value: PageAction, person: LazyPerson) -> None:
        await ack()
        await page(click, value, person)

    @on.action(DigestAction.OPEN_OVERDUE, DigestListAction)
    @on.action(DigestAction.OPEN_DUE, DigestListAction)
    async def open_from_digest(
        ack: Ack, click: Click, value: DigestListAction, person: LazyPerson
    ) -> None:
        """A new `/bills` message under the digest, never a redraw of the digest itself."""
        await ack()
        await page(
            click.model_copy(update={"message_ts": None}),
            PageAction(page=0, filter_text=value.filter_text),
            person,
        )

    @overflow(on, MoreOption.REFRESH)
    async def refresh(
        ack: Ack, click: Click, value: MoreAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        """Re-read the bill, redraw its cards, and tell the person it was done: a card that
        did not change would otherwise look as if nothing happened."""
        await ack()
        await cards.current(click, value.bill_id)
        case = await services.cases.refresh(click.case(value.bill_id))
        await publisher.bill_changed_here(
            click.team_id, click.channel_id, value.bill_id, click.message_ts
        )
        reader = await person
        await respond(
            text=refreshed_text(case, services.clock(), reader.time_zone, reader.locale),
            response_type="ephemeral",
            replace_original=False,
        )

    @overflow(on, MoreOption.DETAILS)
    async def details(
        ack: Ack, click: Click, value: MoreAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        await ack()
        await cards.current(click, value.bill_id)
        details = await services.invoices.details(click.case(value.bill_id))
        case = details.case
        reader = await person
        now = services.clock()
        blocks = details_blocks(
            case,
            locale=reader.locale,
            today=reader.today(now),
            as_of=moment(now, reader.time_zone, reader.locale),
        )
        blocks += details_extra(case, details.attachments, details.lines, locale=reader.locale)
        _ = words(reader.locale)
        await respond(
            text=_("Details of the bill from {supplier}", supplier=escape(case.supplier_name)),
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )
