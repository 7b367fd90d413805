"""Slash commands: `/bills [overdue | due 7d | supplier]` and `/billpay connect | digest [now] |
status | help` (its `bill` and `account new` verbs are served by `handlers/suppliers.py`, as is
`/supplier`). Each acks at once, then does its work and answers; a
refusal or a failure is answered by the error boundary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.listing import parse_filter
from billpay.core.i18n import N_, words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.services import Services
from billpay.slack.blocks.metadata import DigestMetadata
from billpay.slack.blocks.modals import digest_modal
from billpay.slack.blocks.status import status_text
from billpay.slack.blocks.text import money, one_of
from billpay.slack.boundary import Listeners
from billpay.slack.envelope import Command
from billpay.slack.handlers.suppliers import BillpayVerb
from billpay.slack.notices.digests import DigestSender
from billpay.slack.people import People

BILLPAY_HELP = N_(
    "*Bill Pay*\n"
    "• `/billpay connect` links this channel to your company's bills "
    "(`/billpay connect <company name or id>` when there are several).\n"
    "• `/bills` lists outstanding bills here; `/bills overdue`, `/bills due 7d` or "
    "`/bills <supplier>` narrow it.\n"
    "• `/supplier <name>` looks a supplier up; `/billpay bill` adds a new bill; "
    "`/billpay account new` adds a bank account.\n"
    "• `/billpay digest` sets when the daily digest comes; `/billpay digest now` posts it now.\n"
    "• `/billpay status` shows this channel's company, policy and digest.\n"
    "On each bill: *Approve*, *Reject* (with a reason) and *Pay…*."
)


def register(
    on: Listeners, services: Services, people: People, verbs: Mapping[str, BillpayVerb]
) -> None:
    """`verbs`: the `/billpay` verbs other areas serve (`bill`, `account new`)."""

    @on.command("/bills")
    async def bills(ack: AsyncAck, slash: Command, client: AsyncWebClient) -> None:
        await ack()
        bill_filter = parse_filter(slash.text)
        link = await services.workflow.link_for(slash.team_id, slash.channel_id)
        person = await people.get(client, slash.team_id, slash.user_id, wait=1.0)
        await services.must_publish().post_listing(
            slash.team_id, person, link, bill_filter, channel_id=slash.channel_id
        )

    @on.command("/billpay")
    async def billpay(
        ack: AsyncAck,
        slash: Command,
        respond: AsyncRespond,
        client: AsyncWebClient,
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        verb, _, rest = slash.text.partition(" ")
        served = verbs.get(slash.text.lower()) or verbs.get(verb.lower())
        if served is not None:
            await served(slash, body, client, context)
            return
        match verb.lower():
            case "connect":
                await connect(slash, rest, respond, client)
            case "digest":
                await digest(slash, rest, respond, client, body)
            case "status":
                await status(slash, respond, client)
            case _:
                person = await people.get(client, slash.team_id, slash.user_id, wait=1.0)
                await respond(text=words(person.locale)(BILLPAY_HELP), response_type="ephemeral")

    async def digest(
        slash: Command,
        rest: str,
        respond: AsyncRespond,
        client: AsyncWebClient,
        body: dict[str, Any],
    ) -> None:
        link = await services.workflow.link_for(slash.team_id, slash.channel_id)
        person = await people.get(client, slash.team_id, slash.user_id, wait=1.0)
        subscription = await digest_store.create_subscription(
            services.db, link.id, created_by=slash.user_id, time_zone=person.time_zone
        )
        if rest.strip().lower() == "now":
            if subscription.paused:
                subscription = await digest_store.resume_subscription(services.db, subscription.id)
            await DigestSender(services).now(subscription)
            return
        metadata = DigestMetadata(channel_id=slash.channel_id, subscription_id=subscription.id)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=digest_modal(subscription, metadata, locale=person.locale),
        )

    async def status(slash: Command, respond: AsyncRespond, client: AsyncWebClient) -> None:
        link = await services.workflow.link_for(slash.team_id, slash.channel_id)
        person = await people.get(client, slash.team_id, slash.user_id, wait=1.0)
        policy = await services.workflow.policy_for(link)
        subscription = await digest_store.subscription_for_link(services.db, link.id)
        await respond(
            text=status_text(
                link.company_name,
                link.base_currency,
                one_of(policy.approvers, person.locale),
                one_of(policy.payers, person.locale),
                subscription,
                locale=person.locale,
            ),
            response_type="ephemeral",
        )

    async def connect(
        slash: Command, rest: str, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        link, created = await services.workflow.connect(
            slash.team_id, slash.channel_id, slash.user_id, rest
        )
        person = await people.get(client, slash.team_id, slash.user_id, wait=1.0)
        await digest_store.create_subscription(
            services.db, link.id, created_by=slash.user_id, time_zone=person.time_zone
        )
        policy = await services.workflow.policy_for(link)
        _ = words(person.locale)
        anyone = _("anyone in this channel")
        threshold = (
            " "
            + _(
                "Bills above {amount} need two different approvers.",
                amount=money(policy.dual_approval_threshold, link.base_currency, person.locale),
            )
            if policy.dual_approval_threshold is not None
            else ""
        )
        who = {
            "person": f"<@{slash.user_id}>",
            "company": escape(link.company_name),
            "currency": link.base_currency,
        }
        linked = (
            _("{person} linked this channel to *{company}* (base currency {currency}).", **who)
            if created
            else _(
                "{person} re-linked this channel to *{company}* (base currency {currency}).", **who
            )
        )
        text = (
            linked
            + " "
            + _(
                "Approvers: {approvers}. Payers: {payers}.",
                approvers=one_of(policy.approvers, person.locale) or anyone,
                payers=one_of(policy.payers, person.locale) or anyone,
            )
            + threshold
            + " "
            + _(
                "Run `/bills` to see what's due; a digest of what is due comes weekdays at "
                "09:00 (`/billpay digest` to change it)."
            )
        )
        await respond(text=text, response_type="in_channel")
