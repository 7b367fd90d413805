"""`/supplier <name>`: up to ten suppliers whose name contains the text, with their contact,
balance and outstanding bills, and each one's Show bills button (a `/bills` list of theirs).
The answer's New bill, Edit supplier and Create supplier buttons are served by `new_bill` and
`supplier_form`. The suppliers are read from the payables API, so the answer comes within
Slack's budget (`billpay.slack.budget`): "Looking up suppliers…" first when the read is slow."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond

from billpay.bills.listing import MAX_FILTER_LENGTH, BillFilter
from billpay.core.i18n import N_, words
from billpay.services import Services
from billpay.slack.blocks.ids import SupplierAction
from billpay.slack.blocks.metadata import SupplierButton
from billpay.slack.blocks.suppliers import supplier_blocks
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import CommandAnswer
from billpay.slack.envelope import Click, Command
from billpay.slack.people import LazyPerson

LOOKING_UP = N_("Looking up suppliers…")


def register(on: Listeners, services: Services) -> None:
    suppliers = services.suppliers
    publisher = services.must_publish()

    @on.command("/supplier")
    async def supplier_command(
        ack: Ack,
        slash: Command,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        if not slash.text:
            _ = words((await person).locale)
            await respond(
                text=_(
                    "Which supplier? Try `/supplier northridge`: up to ten suppliers whose name "
                    "contains the text."
                ),
                response_type="ephemeral",
            )
            return
        answer = CommandAnswer(respond, context, person, services.clock)

        async def look_up() -> dict[str, Any]:
            link = await services.links.link_for(slash.team_id, slash.channel_id)
            found = await suppliers.lookup(link, slash.text)
            return supplier_blocks(
                slash.text,
                found.matches,
                locale=(await person).locale,
                total=found.total,
                can_edit=await suppliers.can_edit_suppliers(link),
            )

        await answer.ephemeral(**await answer.within_budget(look_up(), LOOKING_UP))

    @on.action(SupplierAction.SHOW_BILLS, SupplierButton)
    async def show_bills(ack: Ack, click: Click, value: SupplierButton, person: LazyPerson) -> None:
        await ack()
        link = await services.links.link_for(click.team_id, click.channel_id)
        reader = await person
        supplier = await suppliers.supplier(link, value.supplier_id)
        # The name as a filter's text, never read as `overdue` or `due …` words.
        only = BillFilter(text=" ".join(supplier.supplier_name.split())[:MAX_FILTER_LENGTH])
        await publisher.post_listing(click.team_id, reader, link, only, channel_id=click.channel_id)
