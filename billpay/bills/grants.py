"""Giving a company to a workspace from Slack: `/billpay grant <company id>` and
`/billpay grant remove <company id>`, for those who may change settings (`billpay.bills.admins`).

A company made in the payables service's portal carries no workspace tag, so only
`BILLPAY_COMPANY_GRANTS` offers it. Granting it tags it with the workspace (`slack_team`, as a
company the bot creates is) through Codat's *Update company* (`PATCH /companies/{companyId}`),
keeping its other tags: the grant then lives with the company itself, where every replica and
every later install reads it, and no table of the bot's can drift from what Codat says. The
tags sent are the company's as read plus this one, whether Codat merges or replaces them; Codat
allows at most 10 tags. Removing a grant takes the tag off again (the configuration's grants
still apply). Each is audited with the tags before and after.

Refused, in words: a company another workspace's tag names (in the same words as one that does
not exist), one a channel of another workspace is linked to, and taking away a company a channel
here is still linked to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from billpay.bills.admins import Admins
from billpay.bills.companies import TEAM_TAG
from billpay.core.errors import Denied
from billpay.core.i18n import N_
from billpay.core.mrkdwn import escape
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesNotFound
from billpay.store.db import Database
from billpay.store.models import AuditEvent, CompanyLink

MAX_TAGS = 10  # Codat's limit on a company's tags
USAGE = N_(
    "Give a company of the payables account to this workspace: `/billpay grant <company id>` "
    "(the id is in the Codat portal); `/billpay grant remove <company id>` takes it back."
)
UNKNOWN = N_(
    "No company with that id can be given to this workspace. Check the id in the Codat portal. "
    "Nothing was changed."
)


def read_company_id(text: str) -> str:
    """The company id typed (a UUID, as Codat's are); `Denied` with the usage otherwise."""
    typed = text.strip()
    try:
        return str(uuid.UUID(typed[:40]))
    except ValueError:
        raise Denied(USAGE) from None


class Grants:
    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        admins: Admins,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.reads = reads
        self.admins = admins
        self.clock = clock

    async def grant(
        self, team_id: str, channel_id: str, actor: str, company_id: str
    ) -> tuple[models.Company, bool]:
        """Tag the company with the workspace; (the company, False when it already was)."""
        await self.admins.require(team_id, actor)
        company = await self._company(company_id)
        tags = dict(company.tags or {})
        owner = tags.get(TEAM_TAG)
        if owner == team_id:
            return company, False
        if owner is not None:
            raise Denied(UNKNOWN)
        if await self._linked_elsewhere(team_id, company.id):
            raise Denied(
                N_(
                    "*{company}* is linked in another workspace; it can't be given to this one. "
                    "Nothing was changed."
                ),
                company=escape(company.name),
            )
        if len(tags) >= MAX_TAGS:
            raise Denied(
                N_(
                    "*{company}* already has {n} tags in Codat, the most it allows: remove one "
                    "in the Codat portal first. Nothing was changed."
                ),
                company=escape(company.name),
                n=MAX_TAGS,
            )
        after = {**tags, TEAM_TAG: team_id}
        updated = await self.reads.update_company(company.id, tags=after)
        await self._audit(team_id, channel_id, actor, "company_granted", company.id, tags, after)
        return updated, True

    async def remove(
        self, team_id: str, channel_id: str, actor: str, company_id: str
    ) -> models.Company:
        """Take the workspace's tag off the company."""
        await self.admins.require(team_id, actor)
        company = await self._company(company_id)
        tags = dict(company.tags or {})
        if tags.get(TEAM_TAG) != team_id:
            raise Denied(N_("That company was not given to this workspace. Nothing was changed."))
        if await self._linked_here(team_id, company.id):
            raise Denied(
                N_(
                    "A channel here is linked to *{company}*: run `/billpay disconnect` there "
                    "first. Nothing was changed."
                ),
                company=escape(company.name),
            )
        after = {key: value for key, value in tags.items() if key != TEAM_TAG}
        updated = await self.reads.update_company(company.id, tags=after)
        await self._audit(
            team_id, channel_id, actor, "company_grant_removed", company.id, tags, after
        )
        return updated

    async def _company(self, company_id: str) -> models.Company:
        try:
            return await self.reads.get_company(company_id)
        except PayablesNotFound:
            raise Denied(UNKNOWN) from None

    async def _linked_elsewhere(self, team_id: str, company_id: str) -> bool:
        async with self.db.read() as s:
            found = await s.scalar(
                select(CompanyLink.id)
                .where(
                    CompanyLink.company_id == company_id,
                    CompanyLink.team_id != team_id,
                    CompanyLink.archived.is_(False),
                )
                .limit(1)
            )
        return found is not None

    async def _linked_here(self, team_id: str, company_id: str) -> bool:
        async with self.db.read() as s:
            found = await s.scalar(
                select(CompanyLink.id)
                .where(
                    CompanyLink.company_id == company_id,
                    CompanyLink.team_id == team_id,
                    CompanyLink.archived.is_(False),
                )
                .limit(1)
            )
        return found is not None

    async def _audit(
        self,
        team_id: str,
        channel_id: str,
        actor: str,
        action: str,
        company_id: str,
        before: dict[str, str],
        after: dict[str, str],
    ) -> None:
        async with self.db.write() as s:
            s.add(
                AuditEvent(
                    at=self.clock(),
                    team_id=team_id,
                    channel_id=channel_id,
                    actor=actor,
                    action=action,
                    company_id=company_id,
                    details={"before": before, "after": after},
                )
            )
