"""What the channel reads when it is linked to a company: at once (`/billpay connect <name>`,
or the connect form for a company whose platform is linked), or when a connection the form
created is authorised (Codat's webhook, or the scheduler's poll), when the bot stopped
waiting, or when linking was refused meanwhile. The "waiting" message the form posted is
turned into the outcome, so the channel keeps one message about it.

Linking also starts what a linked channel has: its connection noted as Linked, its daily
digest (in the linker's time zone) and the mirror's first fill, with its progress shown.
"""

from __future__ import annotations

import logging

from billpay.bills.connecting import Done, expired_words
from billpay.bills.duties import policy_count
from billpay.core.i18n import words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.services import Services
from billpay.slack.blocks.status import linked_text, policy_line
from billpay.slack.blocks.text import one_of
from billpay.slack.notices.filling import FillProgress
from billpay.store.models import CompanyLink

log = logging.getLogger(__name__)


class LinkNotices:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _reaches(self, team_id: str) -> bool:
        publisher = self.services.publisher
        return publisher is not None and await publisher.reaches(team_id)

    async def linked(
        self, link: CompanyLink, *, created: bool, user_id: str, time_zone: str | None
    ) -> str:
        """Start what a linked channel has; the words the channel reads, in its language."""
        services = self.services
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
            services.db,
            link.id,
            created_by=user_id,
            time_zone=time_zone or services.settings.default_time_zone,
        )
        language = services.links.language_of(link)
        # A connection authorised after its workspace uninstalled the app still links the
        # channel (ready when it installs again), but nothing is said there.
        reaches = await self._reaches(link.team_id)
        if services.publisher is not None and reaches:
            client = services.publisher.client(link.team_id)
            FillProgress(services.mirror, client, link, language).start()
            services.publisher.homes.changed(link.team_id)  # the Homes list the channel
        else:
            services.mirror.fill_soon(link.company_id, link.connection_id)
        for dropped in await services.connecting.drop_waiting(link):
            if dropped.message_ts is not None and services.publisher is not None and reaches:
                _ = words(dropped.language or services.settings.default_locale)
                text = _(
                    "No longer waiting for {platform}: this channel was linked to *{company}* "
                    "instead.",
                    platform=escape(dropped.platform_name),
                    company=escape(link.company_name),
                )
                await services.publisher.client(link.team_id).chat_update(
                    channel=dropped.channel_id, ts=dropped.message_ts, text=text
                )
        policy = await services.links.policy_for(link)
        settings = services.settings
        count = policy_count(policy, settings.auto_approve_below, settings.auto_approve_after_hours)
        return linked_text(
            user_id,
            link.company_name,
            link.base_currency,
            one_of(policy.named_approvers, language),
            one_of(policy.payers, language),
            policy_line(count, link.base_currency, locale=language),
            subscription,
            created=created,
            locale=language,
        )

    async def done(self, done: Done) -> None:
        """A waiting connection ended: the channel's waiting message says how."""
        pending = done.pending
        language = pending.language or self.services.settings.default_locale
        if done.link is not None:
            text = await self.linked(
                done.link,
                created=done.created,
                user_id=pending.requested_by,
                time_zone=pending.time_zone,
            )
        elif done.expired:
            _ = words(language)
            text = ":warning: " + expired_words(
                pending, self.services.settings.connect_wait_minutes
            ).say(_)
        else:
            assert done.refusal is not None
            text = ":warning: " + done.refusal.phrase.say(words(language))
        publisher = self.services.publisher
        if publisher is None:
            log.warning("no Slack to tell %s how its connection ended", pending.channel_id)
            return
        if not await publisher.reaches(pending.team_id):
            log.info("a connection ended for workspace %s, which uninstalled", pending.team_id)
            return
        client = publisher.client(pending.team_id)
        if pending.message_ts is not None:
            await client.chat_update(channel=pending.channel_id, ts=pending.message_ts, text=text)
        else:
            await client.chat_postMessage(channel=pending.channel_id, text=text)
