"""The daily digest as the bot posts it: a channel's digest through the publisher (or, when the
accounting platform couldn't be read, a word saying so), each scheduled run's claim renewed just
before it is posted (a run another replica took over is left to it) and its end recorded, and
the digest of a channel the bot can no longer post in paused, with a note in the audit trail and
a word to who set it up. `/billpay digest now` posts one at once, outside the schedule."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError

from billpay.core.i18n import N_, words
from billpay.digest import store as digest_store
from billpay.digest.schedule import Subscription
from billpay.digest.service import ChannelDigest, compute_digests
from billpay.services import Services
from billpay.slack.blocks.digest import digest_empty_message, digest_message
from billpay.slack.blocks.text import escape
from billpay.slack.people import UNHURRIED_WAIT_SECONDS, People

log = logging.getLogger(__name__)
# Slack's pace for chat.postMessage is about one message a second per channel; digests go to
# different channels, but a pause keeps a burst of hundreds from meeting the workspace limit.
DIGEST_PACE_SECONDS = 0.2
# Answers of chat.postMessage after which a channel's digest is paused, not retried daily.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}


class DigestSender:
    """Posts a channel's digest through the publisher, and pauses the digest of a channel the
    bot can no longer post in (with a note in the audit trail and a word to who set it up)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.publisher = services.must_publish()

    async def send(self, due: list[tuple[Subscription, date]]) -> None:
        """Post the digests whose scheduled runs were claimed, each for its channel's day."""
        results = await compute_digests(
            self.services.db,
            self.services.mirror,
            due,
            default_approvers=self.services.settings.approvers,
            directory=self.services.links.directory,
        )
        for result in results:
            await self.post(result)
            await asyncio.sleep(DIGEST_PACE_SECONDS)

    async def now(self, subscription: Subscription) -> str | None:
        """Post the channel's digest at once, as a preview (the day's own still goes out)."""
        today = subscription.local_date(self.services.clock())
        (result,) = await compute_digests(
            self.services.db,
            self.services.mirror,
            [(subscription, today)],
            default_approvers=self.services.settings.approvers,
            directory=self.services.links.directory,
        )
        return await self.post(result, claimed=False)

    async def post(self, result: ChannelDigest, *, claimed: bool = True) -> str | None:
        """Post one channel's digest; a failure here never stops the others. A claimed run (the
        scheduled digest) records how it ended; `/billpay digest now` posts one unclaimed."""
        sub = result.subscription
        locale = await self.publisher.channel_language(sub.team_id, sub.channel_id)
        db = self.services.db
        if result.digest is None:
            _ = words(locale)
            failed = _(
                N_(
                    "I couldn't read today's bills from the accounting platform for {company}, "
                    "so there is no digest today. `/bills` shows them when it answers again."
                ),
                company=escape(sub.company_name),
            )
            message: dict[str, Any] = {"text": f":warning: {failed}"}
            status = "failed"
        elif result.digest.is_empty and not sub.post_when_empty:
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "empty")
            return None
        elif result.digest.is_empty:
            message = digest_empty_message(
                company_name=sub.company_name,
                locale=locale,
                today=result.today,
                look_ahead_days=sub.look_ahead_days,
            )
            status = "posted"
        else:
            message = digest_message(
                result.digest, company_name=sub.company_name, locale=locale, today=result.today
            )
            status = "posted"
        if claimed and not await digest_store.keep_run(
            db, self.services.claimant, sub.id, result.today, self.services.clock()
        ):
            log.warning(
                "the digest of %s for %s was taken over by another replica: not posted here",
                sub.channel_id,
                result.today,
            )
            return None
        try:
            ts = await self.publisher.post(sub.team_id, sub.channel_id, message)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "")) if exc.response else ""
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "failed", error=code)
            if code in CHANNEL_GONE:
                await self._pause(sub, code)
            else:
                log.warning("the digest for %s was not posted: %s", sub.channel_id, code)
            return None
        except Exception as exc:
            log.exception("the digest for %s was not posted", sub.channel_id)
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "failed", error=repr(exc))
            return None
        if not claimed:
            return ts
        error = repr(result.error) if result.error else None
        await digest_store.record_run(
            db,
            sub.id,
            result.today,
            status,  # type: ignore[arg-type]
            message_ts=ts,
            blocks=len(message.get("blocks", [])),
            error=error,
        )
        return ts

    async def _pause(self, sub: Subscription, code: str) -> None:
        # Kept as a message id, so that it is shown in the reader's language.
        reason = {
            "is_archived": N_("the channel is archived"),
            "not_in_channel": N_("the bot is no longer in the channel"),
        }.get(code, N_("the channel can't be found"))
        await digest_store.pause_subscription(self.services.db, sub.id, reason)
        await self.services.links.record_digest_paused(sub.link_id, reason)
        if sub.created_by:
            client = self.publisher.client(sub.team_id)
            person = await People(self.services.settings.default_locale).get(
                client, sub.team_id, sub.created_by, wait=UNHURRIED_WAIT_SECONDS
            )
            _ = words(person.locale)
            told = _(
                N_(
                    "I paused the daily digest of <#{channel}>: {reason}. Run `/billpay digest` "
                    "there to set it up again."
                ),
                channel=sub.channel_id,
                reason=_(reason),
            )
            await self.publisher.quietly(
                self.publisher.direct_message(sub.team_id, sub.created_by, told),
                "tell who set up the digest",
            )
