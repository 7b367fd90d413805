"""The word to each linked channel, once per UTC day, that today's allowance of calls to the
payables API is used up (`billpay.payables.budget`): what still works and when it comes back.
Once per day across replicas: a claim per channel and day (`billpay.store.claims`, kind
"quota_notice") decides which replica says it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from billpay.core.i18n import N_, words
from billpay.services import Services
from billpay.store import claims
from billpay.store.models import CompanyLink

log = logging.getLogger(__name__)

CLAIM_KIND = "quota_notice"
QUOTA_USED = N_(
    ":warning: Bill Pay has used today's allowance of calls to the accounting platform. "
    "Payments still go through; bills and suppliers shown may not be the latest until the "
    "allowance resets at {time} UTC."
)


class QuotaNotices:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.running: set[asyncio.Task[int]] = set()

    def exhausted(self, reset_at: datetime) -> None:
        """The budget's `on_exhausted`: tell the channels, in a task of its own."""
        if self.services.publisher is None:
            return
        task = asyncio.get_running_loop().create_task(self.tell(reset_at))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def tell(self, reset_at: datetime) -> int:
        """Post the notice in each linked channel no replica told today; how many were told."""
        publisher = self.services.must_publish()
        now = self.services.clock()
        day = now.astimezone(UTC).date()
        async with self.services.db.read() as s:
            links = list(
                await s.scalars(select(CompanyLink).where(CompanyLink.archived.is_(False)))
            )
        at = reset_at.astimezone(UTC).strftime("%H:%M")
        told = 0
        for link in links:
            if not await publisher.reaches(link.team_id):
                continue  # the workspace uninstalled the app: nobody to tell there
            text = words(self.services.links.language_of(link))(QUOTA_USED, time=at)
            try:
                async with self.services.db.write() as s:
                    claims.hold(s, self.services.claimant, CLAIM_KIND, f"{day}:{link.id}", now)
                    await s.flush()
                    await claims.finish(s, CLAIM_KIND, f"{day}:{link.id}", now)
            except IntegrityError:
                continue  # another replica told this channel today
            try:
                await publisher.post(link.team_id, link.channel_id, {"text": text})
                told += 1
            except Exception:
                log.exception("could not tell %s the call allowance is used up", link.channel_id)
        return told
