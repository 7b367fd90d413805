"""`/billpay away @ben [from DATE] until DATE` names who decides in the person's place while
they are away, `/billpay away off` ends it, `/billpay away` says what is set. Answered to the
person only; a mistake (themselves, a date past, someone who can't approve) is refused by the
error boundary with the reason."""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond

from billpay.approvals.delegation import delegation_phrase, read_away
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.envelope import Command
from billpay.slack.people import LazyPerson


def register(on: Listeners, services: Services) -> None:
    delegations = services.delegations

    @on.command("/billpay", verb="away")
    async def away(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        locale = (await person).locale
        _ = words(locale)
        if not slash.rest.strip():
            row = await delegations.of(slash.team_id, slash.user_id)
            await respond(text=delegation_phrase(row).say(_), response_type="ephemeral")
            return
        request = read_away(slash.rest, delegations.today())
        if request.delegate_id is None:
            ended = await delegations.end(slash.team_id, slash.channel_id, slash.user_id)
            text = (
                _("Nobody decides for you any more.")
                if ended
                else _("You had no delegate; nothing was changed.")
            )
        else:
            row = await delegations.name(slash.team_id, slash.channel_id, slash.user_id, request)
            text = delegation_phrase(row).say(_)
        await respond(text=text, response_type="ephemeral")
        # An away approver's bills wait in their delegate's Home, or no longer do.
        services.must_publish().homes.changed(slash.team_id)
