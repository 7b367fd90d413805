"""`/billpay connect`: with a company's name or id, links the channel to it at once (a company
the workspace may see, whose accounting platform is linked); without, opens the connect form
at once and fills it once the companies the workspace may link are read (a company, or a new
one, and the platform to connect). The form's submission links the channel, or creates the
connection and gives the person its link to authorise privately, while the channel reads that
it waits (`billpay.bills.connecting`; `billpay.slack.notices.linking` says how it ends).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.companies import NAME_MAX, PLATFORMS
from billpay.bills.connecting import Linked
from billpay.core.errors import FieldErrors
from billpay.core.i18n import N_, words
from billpay.payables.client import new_idempotency_key
from billpay.services import Services
from billpay.slack.blocks.connect import (
    CONNECT_TITLE,
    CONNECTING,
    authorise_message,
    company_options,
    connect_modal,
    waiting_text,
)
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import ConnectMetadata
from billpay.slack.blocks.modals import loading_modal
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import CommandAnswer, open_modal, reader_now, trigger_of
from billpay.slack.envelope import Command, Submission, field_value, team_of
from billpay.slack.notices.linking import LinkNotices
from billpay.slack.people import LazyPerson

LINKING = N_("Finding the company in the accounting platform…")


def register(on: Listeners, services: Services) -> None:
    notices = LinkNotices(services)
    services.connecting.on_done = notices.done

    @on.command("/billpay", verb="connect")
    async def connect(
        ack: Ack,
        slash: Command,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        if not slash.rest.strip():
            services.links.may_link(slash.user_id)
            trigger = trigger_of(body)
            reader = await reader_now(person)
            metadata = ConnectMetadata(
                channel_id=slash.channel_id, idempotency_key=new_idempotency_key()
            )

            async def form() -> dict[str, Any]:
                found = await services.links.companies.visible(slash.team_id)
                return connect_modal(
                    [(c.id, c.name) for c in found], PLATFORMS, metadata, locale=reader.locale
                )

            loading = loading_modal(CONNECT_TITLE, locale=reader.locale, text=CONNECTING)
            await open_modal(client, trigger, context, loading, form())
            return
        answer = CommandAnswer(respond, context, person, services.clock)

        async def link_channel() -> str:
            linker = await person
            link, created = await services.links.connect(
                slash.team_id, slash.channel_id, slash.user_id, slash.rest, language=linker.locale
            )
            return await notices.linked(
                link, created=created, user_id=slash.user_id, time_zone=linker.time_zone
            )

        await answer.in_channel(text=await answer.within_budget(link_channel(), LINKING))

    @on.options(Input.CONNECT_COMPANY)
    async def company_suggestions(ack: Ack, body: dict[str, Any]) -> None:
        typed = body.get("value") if isinstance(body.get("value"), str) else ""
        found = await services.links.companies.visible(str(team_of(body)), str(typed)[:100])
        await ack(options=company_options([(c.id, c.name) for c in found]))

    @on.view(Callback.CONNECT, ConnectMetadata)
    async def connect_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: ConnectMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        company_id = field_value(body, Input.CONNECT_COMPANY)
        new_name = (field_value(body, Input.CONNECT_NEW) or "").strip()
        platform_key = field_value(body, Input.CONNECT_PLATFORM)
        reader = await person
        _ = words(reader.locale)
        if company_id and new_name:
            raise FieldErrors(
                {Input.CONNECT_NEW: _("Choose a company or name a new one, not both.")}
            )
        if not company_id and not new_name:
            raise FieldErrors({Input.CONNECT_NEW: _("Choose a company, or name a new one.")})
        if len(new_name) > NAME_MAX or any(ord(c) < 32 for c in new_name):
            raise FieldErrors(
                {Input.CONNECT_NEW: _("A company's name is one line of up to 100 characters.")}
            )
        if platform_key is not None and platform_key not in PLATFORMS:
            raise FieldErrors({Input.CONNECT_PLATFORM: _("Choose one of the platforms offered.")})
        if new_name and platform_key is None:
            raise FieldErrors(
                {Input.CONNECT_PLATFORM: _("Choose the new company's accounting platform.")}
            )
        await ack()
        started = await services.connecting.start(
            submission.team_id,
            metadata.channel_id,
            submission.user_id,
            company_id=company_id,
            new_name=new_name or None,
            platform_key=platform_key,
            key=metadata.idempotency_key,
            language=reader.locale,
            time_zone=reader.time_zone,
        )
        if isinstance(started, Linked):
            text = await notices.linked(
                started.link,
                created=started.created,
                user_id=submission.user_id,
                time_zone=reader.time_zone,
            )
            await client.chat_postMessage(channel=metadata.channel_id, text=text)
            return
        pending = started.pending
        language = pending.language or services.settings.default_locale
        posted = await client.chat_postMessage(
            channel=metadata.channel_id,
            text=waiting_text(
                submission.user_id, pending.company_name, pending.platform_name, locale=language
            ),
        )
        ts = posted.get("ts")
        if isinstance(ts, str) and not await services.connecting.shown(pending.id, ts):
            # Authorised before the line went out: the outcome is already in the channel.
            await client.chat_delete(channel=metadata.channel_id, ts=ts)
        await client.chat_postEphemeral(
            channel=metadata.channel_id,
            user=submission.user_id,
            **authorise_message(
                pending.company_name,
                pending.platform_name,
                started.link_url,
                int(services.settings.connect_wait_minutes),
                locale=reader.locale,
            ),
        )

    @on.action(Action.AUTHORISE, None)
    async def authorise(ack: Ack) -> None:
        """A link button: Slack opens the connection's linkUrl; the click only needs its ack."""
        await ack()
