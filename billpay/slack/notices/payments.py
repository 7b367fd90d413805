"""What the bot learns of a payment on its own, shown where people look: a payment the scheduler
sent (held for its undo window, or scheduled for a later date), and a payment in doubt that a
later look settled or that now needs a person. Every card showing the bill is updated, the
thread of the newest gets the line, the payer's Pay modal is updated if still open; the payer
is told directly when a payment was not sent, or when they must decide about one in doubt.
"""

from __future__ import annotations

from billpay.core.i18n import N_, words
from billpay.payments.scheduled import SentByScheduler
from billpay.payments.settling import Settled
from billpay.payments.words import in_doubt_text
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

    async def show(self, sent: SentByScheduler | Settled) -> None:
        """The cards and the thread in the channel's language, the modal and the word to the
        payer in the payer's."""
        team_id = sent.link.team_id
        shown = await self.publisher.bill_changed(team_id, sent.link.id, sent.bill_id)
        if shown:
            newest = shown[0]
            await self.publisher.payment_note(team_id, newest.channel_id, newest.ts, sent.outcome)
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

    async def show_settled(self, settled: Settled) -> None:
        """A later look at a payment in doubt: shown when it settled it (recorded or refused) or
        when the checks are over and a person must decide; a look that only plans the next one
        changes nothing anyone sees."""
        outcome = settled.outcome
        if outcome.status in ("recorded", "failed"):
            await self.show(settled)
            return
        if not settled.needs_person or outcome.payment is None:
            return
        team_id = settled.link.team_id
        shown = await self.publisher.bill_changed(team_id, settled.link.id, settled.bill_id)
        payment = outcome.payment
        locale = self.services.links.language_of(settled.link)
        policy = await self.services.links.policy_for(settled.link)
        who = sorted(policy.payers) or [settled.payer]
        _ = words(locale)
        if shown:
            newest = shown[0]
            line = _(
                N_("{people}: {doubt}"),
                people=", ".join(f"<@{user}>" for user in who),
                doubt=in_doubt_text(payment, outcome.case.platform, locale),
            )
            await self.publisher.quietly(
                self.publisher.thread_line(
                    team_id, newest.channel_id, newest.ts, f":warning: {line}"
                ),
                "ask the payers",
            )
        client = self.publisher.client(team_id)
        payer = await self.people.get(client, team_id, settled.payer, wait=UNHURRIED_WAIT_SECONDS)
        told = words(payer.locale)(
            N_("Your payment to *{supplier}*: {doubt}"),
            supplier=escape(outcome.case.supplier_name),
            doubt=in_doubt_text(payment, outcome.case.platform, payer.locale),
        )
        await self.publisher.quietly(
            self.publisher.direct_message(team_id, settled.payer, f":warning: {told}"),
            "tell the payer",
        )
