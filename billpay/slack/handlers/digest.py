"""The daily digest: `/billpay digest` opens its settings form (time, time zone, days, look
ahead), `/billpay digest now` posts it at once, and the form's submission saves the settings
(resuming a paused digest). The settings are the channel's, as in the policy form: only those
who may change settings (`billpay.bills.admins`) open or save the form, and a change is audited
with the settings before and after. Anyone in the channel may post it now: that changes
nothing but bring back a digest paused while the bot was out of the channel. The digest itself
is sent by `billpay.slack.notices.digests`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import FORM_OUT_OF_DATE, FieldErrors, OutOfDate
from billpay.core.i18n import words
from billpay.digest import store as digest_store
from billpay.digest.settings_form import read_digest_form
from billpay.services import Services
from billpay.slack.blocks.ids import Callback, Input
from billpay.slack.blocks.metadata import DigestMetadata
from billpay.slack.blocks.modals import WHEN_EMPTY, digest_modal
from billpay.slack.blocks.status import digest_line
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import CommandAnswer, trigger_of
from billpay.slack.envelope import Command, Submission, field_choices, field_value
from billpay.slack.notices.digests import DigestSender
from billpay.slack.people import LazyPerson

DIGEST_FIELDS = {
    "time": Input.DIGEST_TIME,
    "zone": Input.DIGEST_ZONE,
    "weekdays": Input.DIGEST_WEEKDAYS,
    "look_ahead": Input.DIGEST_LOOK_AHEAD,
}


def register(on: Listeners, services: Services) -> None:

    @on.command("/billpay", verb="digest")
    async def digest(
        ack: Ack,
        slash: Command,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        link = await services.links.link_for(slash.team_id, slash.channel_id)
        reader = await person
        subscription = await digest_store.create_subscription(
            services.db, link.id, created_by=slash.user_id, time_zone=reader.time_zone
        )
        if slash.rest.strip().lower() == "now":
            if subscription.paused:
                subscription = await digest_store.resume_subscription(services.db, subscription.id)
            # The digest reads the payables API: "Reading bills…" meanwhile if that is slow.
            answer = CommandAnswer(respond, context, person, services.clock)
            await answer.within_budget(DigestSender(services).now(subscription))
            await answer.posted()
            return
        await services.admins.require(slash.team_id, slash.user_id)
        metadata = DigestMetadata(channel_id=slash.channel_id, subscription_id=subscription.id)
        await client.views_open(
            trigger_id=trigger_of(body),
            view=digest_modal(subscription, metadata, locale=reader.locale),
        )

    @on.view(Callback.DIGEST, DigestMetadata)
    async def digest_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: DigestMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        form = read_digest_form(
            local_time=field_value(body, Input.DIGEST_TIME),
            time_zone=field_value(body, Input.DIGEST_ZONE),
            weekdays=field_choices(body, Input.DIGEST_WEEKDAYS),
            look_ahead=field_value(body, Input.DIGEST_LOOK_AHEAD),
            post_when_empty=WHEN_EMPTY in field_choices(body, Input.DIGEST_WHEN_EMPTY),
        )
        if isinstance(form, dict):
            raise FieldErrors({DIGEST_FIELDS[name]: text for name, text in form.items()})
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        current = await digest_store.subscription_for_link(services.db, link.id)
        if current is None or current.id != metadata.subscription_id:
            raise OutOfDate(FORM_OUT_OF_DATE)
        await services.admins.require(link.team_id, submission.user_id)
        await ack()
        saved = await digest_store.save_settings(services.db, current.id, form)
        await services.links.record_digest_changed(
            link.id, submission.user_id, current.terms(), saved.terms()
        )
        locale = (await person).locale
        _ = words(locale)
        await client.chat_postEphemeral(
            channel=metadata.channel_id,
            user=submission.user_id,
            text=_("Saved.") + " " + digest_line(saved, locale=locale),
        )
