"""What a linked channel knows of its company: `/billpay status` (the company, its connection
and its health, the policy, the digest, the language, the last sync and today's calls),
`/billpay disconnect` (confirmed, then the link archived and what it had scheduled cancelled,
said to the channel), `/billpay language [fr|en]` (the language of what the bot says to the
channel; the linker's until changed) and `/billpay help`, which also answers any `/billpay`
text no other area serves. Each acks at once, then does its work and answers; a refusal or a
failure is answered by the error boundary."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

from slack_bolt.async_app import AsyncRespond

from billpay.bills.duties import policy_count
from billpay.bills.policy import EffectivePolicy
from billpay.core.errors import Denied, NotLinked
from billpay.core.i18n import N_, Phrase, spoken_locale, words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.payments.disconnect import CancelledPayment
from billpay.services import Services
from billpay.slack.blocks.connect import disconnect_confirm, disconnected_text
from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.metadata import DisconnectAction
from billpay.slack.blocks.status import (
    BILLPAY_HELP,
    calls_line,
    connection_line,
    language_line,
    language_set_text,
    policy_line,
    status_message,
    status_text,
    waiting_line,
)
from billpay.slack.blocks.text import one_of
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.envelope import Click, Command
from billpay.slack.people import LazyPerson
from billpay.store import calls

LINKING = N_("Finding the company in the accounting platform…")


def register(on: Listeners, services: Services) -> None:
    settings = services.settings

    def _policy_words(policy: EffectivePolicy, base_currency: str, locale: str) -> str:
        count = policy_count(policy, settings.auto_approve_below, settings.auto_approve_after_hours)
        return policy_line(count, base_currency, locale=locale)

    @on.command("/billpay", verb="status")
    async def status(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        try:
            link = await services.links.link_for(slash.team_id, slash.channel_id)
        except NotLinked:
            waiting = await services.connecting.waiting_in(slash.team_id, slash.channel_id)
            if waiting is None:
                raise
            text = waiting_line(
                waiting.company_name,
                waiting.platform_name,
                waiting.created_at,
                locale=(await person).locale,
            )
            await respond(text=text, response_type="ephemeral")
            return
        locale = (await person).locale
        seen = await services.health.state_of(link)
        policy = await services.links.policy_for(link)
        subscription = await digest_store.subscription_for_link(services.db, link.id)
        text = status_text(
            link.company_name,
            link.base_currency,
            one_of(policy.named_approvers, locale),
            one_of(policy.payers, locale),
            _policy_words(policy, link.base_currency, locale),
            subscription,
            locale=locale,
        )
        status_seen, seen_at = seen if seen is not None else (None, None)
        text += "\n" + connection_line(link.platform_name, status_seen, seen_at, locale=locale)
        text += "\n" + language_line(services.links.language_of(link), locale=locale)
        text += "\n" + await _calls(services, link.company_id, locale)
        await respond(response_type="ephemeral", **status_message(text, locale=locale))

    @on.command("/billpay", verb="disconnect")
    async def disconnect(
        ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        """What disconnecting would do, to the person alone, with the confirmed button."""
        await ack()
        link, waiting = await services.disconnection.preview(
            slash.team_id, slash.channel_id, slash.user_id
        )
        locale = (await person).locale
        message = disconnect_confirm(link.id, link.company_name, _listed(waiting), locale=locale)
        await respond(response_type="ephemeral", **message)

    @on.action(Action.DISCONNECT, DisconnectAction)
    async def disconnect_confirmed(
        ack: Ack, click: Click, value: DisconnectAction, respond: AsyncRespond
    ) -> None:
        await ack()
        done = await services.disconnection.disconnect(
            click.team_id, click.channel_id, click.user_id, value.link_id
        )
        # Said to the channel in its language; the confirmation it answers goes.
        language = done.language or settings.default_locale
        text = disconnected_text(
            click.user_id, done.company_name, _listed(done.cancelled), locale=language
        )
        publisher = services.must_publish()
        await publisher.client(click.team_id).chat_postMessage(channel=click.channel_id, text=text)
        await respond(delete_original=True)
        publisher.homes.changed(click.team_id)  # its bills leave everyone's queue

    @on.command("/billpay", verb="language")
    async def language(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        """Without a word, the channel's language (to the person who asked); with one, the
        channel's new language, announced to the channel in it."""
        await ack()
        link = await services.links.link_for(slash.team_id, slash.channel_id)
        locale = (await person).locale
        wanted = slash.rest.strip()
        if not wanted:
            text = language_line(services.links.language_of(link), locale=locale)
            await respond(text=text, response_type="ephemeral")
            return
        chosen = spoken_locale(wanted, settings.default_locale)
        if chosen is None:
            raise Denied(
                N_(
                    "I can't speak “{choice}” to this channel; I speak {spoken}. Run "
                    "`/billpay language fr` or `/billpay language en`."
                ),
                choice=escape(wanted[:40]),
                spoken=Phrase(N_("English and French")),
            )
        await services.links.set_language(slash.team_id, slash.channel_id, slash.user_id, chosen)
        await respond(text=language_set_text(slash.user_id, chosen), response_type="in_channel")

    @on.command("/billpay")
    async def billpay_help(ack: Ack, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        locale = (await person).locale
        await respond(text=words(locale)(BILLPAY_HELP), response_type="ephemeral")


def _listed(payments: list[CancelledPayment]) -> list[tuple[str, Decimal, str, date]]:
    return [(p.supplier_name, p.amount, p.currency, p.payment_date) for p in payments]


async def _calls(services: Services, company_id: str, locale: str) -> str:
    """Today's calls for the company: the other replicas' as last written, this one's as
    counted now."""
    budget = services.budget
    now = services.clock()
    others = await calls.usage(
        services.db, now.astimezone(UTC).date(), but=services.claimant.holder
    )
    counted = budget.today(company_id, now).calls
    if company_id in others:
        counted += others[company_id].calls
    return calls_line(
        counted,
        budget.left(now),
        budget.reset_at(now),
        await services.last_synced(company_id),
        exhausted=budget.sync_paused(now),
        locale=locale,
    )
