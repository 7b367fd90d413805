"""Linking a channel to a company: `/billpay connect [company]`, `/billpay status` (the
channel's company, policy, digest and language), `/billpay language [fr|en]` (the language of
what the bot says to the channel; the linker's until changed) and `/billpay help`, which also
answers any `/billpay` text no other area serves. Each acks at once, then does its work and
answers; a refusal or a failure is answered by the error boundary. Linking reads the payables
API, so it answers within Slack's budget (`billpay.slack.budget`)."""

from __future__ import annotations

from datetime import UTC

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond

from billpay.bills.duties import policy_count
from billpay.bills.policy import EffectivePolicy
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase, spoken_locale, words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.services import Services
from billpay.slack.blocks.status import (
    BILLPAY_HELP,
    calls_line,
    language_line,
    language_set_text,
    linked_text,
    policy_line,
    status_text,
)
from billpay.slack.blocks.text import one_of
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import CommandAnswer
from billpay.slack.envelope import Command
from billpay.slack.notices.filling import FillProgress
from billpay.slack.people import LazyPerson
from billpay.store import calls

LINKING = N_("Finding the company in the accounting platform…")


def register(on: Listeners, services: Services) -> None:
    settings = services.settings

    def _policy_words(policy: EffectivePolicy, base_currency: str, locale: str) -> str:
        count = policy_count(policy, settings.auto_approve_below, settings.auto_approve_after_hours)
        return policy_line(count, base_currency, locale=locale)

    @on.command("/billpay", verb="connect")
    async def connect(
        ack: Ack,
        slash: Command,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        answer = CommandAnswer(respond, context, person, services.clock)

        async def link_channel() -> str:
            linker = await person
            link, created = await services.links.connect(
                slash.team_id, slash.channel_id, slash.user_id, slash.rest, language=linker.locale
            )
            # Linking read the connection as Linked: a pause noted before is over.
            await services.health.observe(
                link.company_id,
                link.connection_id,
                "Linked",
                None,
                source="read",
                platform_name=link.platform_name,
            )
            subscription = await digest_store.create_subscription(
                services.db, link.id, created_by=slash.user_id, time_zone=linker.time_zone
            )
            # Told to the channel: in its language (the linker's, unless it had one already).
            language = services.links.language_of(link)
            if services.publisher is not None:
                client = services.publisher.client(slash.team_id)
                FillProgress(services.mirror, client, link, language).start()
            else:
                services.mirror.fill_soon(link.company_id, link.connection_id)
            policy = await services.links.policy_for(link)
            return linked_text(
                slash.user_id,
                link.company_name,
                link.base_currency,
                one_of(policy.named_approvers, language),
                one_of(policy.payers, language),
                _policy_words(policy, link.base_currency, language),
                subscription,
                created=created,
                locale=language,
            )

        await answer.in_channel(text=await answer.within_budget(link_channel(), LINKING))

    @on.command("/billpay", verb="status")
    async def status(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        link = await services.links.link_for(slash.team_id, slash.channel_id)
        locale = (await person).locale
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
        text += "\n" + language_line(services.links.language_of(link), locale=locale)
        text += "\n" + await _calls(services, link.company_id, locale)
        await respond(text=text, response_type="ephemeral")

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
