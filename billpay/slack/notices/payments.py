"""A payment the scheduler sent (held for its undo window, or scheduled for a later date), shown
where people look: every card showing the bill, the audit line in the newest one's thread, the
payer's Pay modal if it is still open, and a direct message to the payer when it was not sent.
"""

from __future__ import annotations

from billpay.core.i18n import N_, words
from billpay.payments.scheduled import SentByScheduler
from billpay.services import Services
from billpay.slack.blocks.modals import payment_result_modal
from billpay.slack.blocks.text import escape, money
from billpay.slack.people import UNHURRIED_WAIT_SECONDS, People


class PaymentResults:
    """Shows each payment the scheduler sent; `people` is the scheduler's cache of readers."""

    def __init__(self, services: Services, people: People) -> None:
        self.services = services
        self.publisher = services.must_publish()
        self.people = people

    async def show(self, sent: SentByScheduler) -> None:
        """The cards and the thread in the team's language, the modal and the word to the payer
        in the payer's."""
        team_id = sent.link.team_id
        locale = self.services.settings.default_locale
        shown = await self.publisher.bill_changed(team_id, sent.link.id, sent.bill_id)
        if shown:
            newest = shown[0]
            await self.publisher.payment_note(
                team_id, newest.channel_id, newest.ts, sent.outcome, locale
            )
        client = self.publisher.client(team_id)
        payer = await self.people.get(client, team_id, sent.payer, wait=UNHURRIED_WAIT_SECONDS)
        _ = words(payer.locale)
        if sent.view_id:
            await self.publisher.quietly(
                client.views_update(
                    view_id=sent.view_id,
                    view=payment_result_modal(sent.outcome, locale=payer.locale),
                ),
                "show the payment's result",
            )
        payment = sent.outcome.payment
        if sent.outcome.status == "not_sent" and payment is not None:
            told = _(
                N_(
                    "Your scheduled payment of {amount} to *{supplier}* was not sent: {reason} "
                    "Nothing was paid; the bill can be paid again."
                ),
                amount=money(payment.amount, payment.currency, payer.locale),
                supplier=escape(sent.outcome.case.supplier_name),
                reason=_(sent.outcome.message),
            )
            await self.publisher.quietly(
                self.publisher.direct_message(team_id, sent.payer, f":warning: {told}"),
                "tell the payer",
            )
