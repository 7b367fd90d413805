"""Which company each linked channel pays bills for, and who may approve and pay there.

A channel is linked to one company (and its accounting connection) by `/billpay connect`; its
policy comes from its `policies` row, saved from the configured default when the channel is
linked, so a later change of configuration applies to channels linked after it; a channel
linked before policies were saved follows the configuration until it has a row. Link-level
events (linking, digest changes, the app uninstalled) are audited here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import audit
from billpay.bills.companies import ACCOUNTING, Companies, linked_accounting
from billpay.bills.policy import CONFIGURATION_ACTOR, Directory, EffectivePolicy, policy_terms
from billpay.config import Settings
from billpay.core.domain import PaymentStatus
from billpay.core.errors import Denied, NotLinked
from billpay.core.i18n import N_, Phrase
from billpay.core.mrkdwn import escape
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.store.db import Database
from billpay.store.models import (
    AuditEvent,
    BillCase,
    CompanyLink,
    Payment,
    Policy,
)


class Links:
    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.reads = reads
        self.settings = settings
        self.clock = clock
        self.companies = Companies(reads, settings)
        # The configured policy's terms each link was last seen (and audited) with here.
        self._recorded: dict[int, dict[str, Any]] = {}
        self._recording = asyncio.Lock()
        # Slack, to read the members of an approvers' user group (set with the Slack app).
        self.directory: Directory | None = None

    async def link_for(self, team_id: str, channel_id: str) -> CompanyLink:
        async with self.db.read() as s:
            link = await s.scalar(
                select(CompanyLink).where(
                    CompanyLink.team_id == team_id, CompanyLink.channel_id == channel_id
                )
            )
        if link is None:
            raise NotLinked(
                N_(
                    "This channel isn't linked to a company yet. Run `/billpay connect` here to "
                    "link it, then `/bills` again."
                )
            )
        return link

    async def policy_for(self, link: CompanyLink, *, fresh: bool = True) -> EffectivePolicy:
        """The channel's policy; its user group's members read from Slack now, or, not
        `fresh` (for what only shows or reminds, never to decide), as read a minute ago."""
        async with self.db.read() as s:
            row = await s.get(Policy, link.id)
        if row is not None:
            members = None
            if row.approver_group is not None and self.directory is not None:
                members = await self.directory.group_members(
                    link.team_id, row.approver_group, fresh=fresh
                )
            return EffectivePolicy.from_row(row, members)
        policy = EffectivePolicy.from_settings(self.settings)
        terms = policy_terms(policy, self.settings.auto_approve_below)
        if self._recorded.get(link.id) != terms:
            async with self._recording:  # one look per link at a time in this process
                if self._recorded.get(link.id) != terms:
                    await self._record_policy(link, terms)
                    self._recorded[link.id] = terms
        return policy

    async def _record_policy(self, link: CompanyLink, terms: dict[str, Any]) -> None:
        """A channel following the configured policy has it in its audit trail: with its link
        (`channel_linked`), or when first used by a link made before policies were recorded
        (`policy_in_force`), then each time the configuration changed it (`policy_changed`,
        with the terms before), by the replica that first saw the change (the link's row is
        locked while it looks)."""
        async with self.db.read() as s:
            if await self._last_policy(s, link) == terms:
                return  # as recorded: no write, so the first requests after a start don't queue
        async with self.db.write() as s:
            await s.scalar(
                select(CompanyLink.id).where(CompanyLink.id == link.id).with_for_update()
            )
            before = await self._last_policy(s, link)
            if before == terms:
                return
            action = "policy_in_force" if before is None else "policy_changed"
            audit(
                s,
                link,
                CONFIGURATION_ACTOR,
                action,
                None,
                now=self.clock(),
                policy=terms,
                before=before,
            )

    @staticmethod
    async def _last_policy(s: AsyncSession, link: CompanyLink) -> dict[str, Any] | None:
        """The configured policy's terms as the channel's audit trail last recorded them."""
        last = await s.scalar(
            select(AuditEvent.details)
            .where(
                AuditEvent.team_id == link.team_id,
                AuditEvent.channel_id == link.channel_id,
                AuditEvent.company_id == link.company_id,
                AuditEvent.action.in_(("channel_linked", "policy_in_force", "policy_changed")),
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        found = (last or {}).get("policy")
        return found if isinstance(found, dict) else None

    async def connect(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        choice: str = "",
        *,
        language: str | None = None,
    ) -> tuple[CompanyLink, bool]:
        """Link the channel to a company the workspace may see (`billpay.bills.companies`):
        the one named or whose id is given, or the only one there is with a linked
        accounting connection. Returns the link and whether it is new. Raises `Denied`
        listing the companies when the choice is ambiguous. A channel without a language of
        its own takes `language`, the linker's."""
        self.may_link(user_id)
        companies = await self.companies.visible(team_id)
        # `/billpay` text arrives escaped as Slack escapes it (so that mentions carry ids).
        choice = choice.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
        if choice:
            wanted = choice.casefold()
            matches = [c for c in companies if c.id == choice or c.name.casefold() == wanted]
        else:
            matches = [c for c in companies if linked_accounting(c) is not None]
        if len(matches) != 1:
            listed = "\n".join(f"• {escape(c.name)} (`{c.id}`)" for c in companies[:10])
            if choice and not matches:
                raise Denied(
                    N_(
                        "No company this workspace can link matches “{choice}”. Run `/billpay "
                        "connect` to choose or create one, or `/billpay connect <company name "
                        "or id>` with one of:\n{companies}"
                    ),
                    choice=escape(choice[:100]),
                    companies=listed or Phrase(N_("none")),
                )
            raise Denied(
                N_(
                    "Several companies could be linked. Run `/billpay connect <company name or "
                    "id>` with one of:\n{companies}"
                ),
                companies=listed or Phrase(N_("none")),
            )
        company = matches[0]
        connection = linked_accounting(company)
        if connection is None:
            raise Denied(
                N_(
                    "{company} has no linked accounting platform yet. Run `/billpay connect` "
                    "and choose its platform to connect it."
                ),
                company=escape(company.name),
            )
        return await self.link_company(
            team_id, channel_id, user_id, company, connection, language=language
        )

    def may_link(self, user_id: str) -> None:
        """Only approvers may link, and a company's bills are handled in one channel of a
        workspace, so approvals given in one channel cannot be side-stepped in another."""
        policy = EffectivePolicy.from_settings(self.settings)
        if not policy.may_approve(user_id):
            raise Denied(
                N_("Only {who} can link a channel to a company."), who=policy.who_may_approve()
            )

    async def link_company(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        company: models.Company,
        connection: models.Connection,
        *,
        language: str | None = None,
    ) -> tuple[CompanyLink, bool]:
        """Link the channel to the company's Linked accounting connection (nothing else is
        ever linked: a Banking connection holds no bills). Returns the link and whether it is
        new."""
        if connection.source_type != ACCOUNTING or connection.status != "Linked":
            raise Denied(
                N_("{company} has no linked accounting platform yet."),
                company=escape(company.name),
            )
        policy = EffectivePolicy.from_settings(self.settings)
        info = await self.reads.get_company_information(company.id, connection.id)
        async with self.db.write() as s:
            now = self.clock()
            elsewhere = await s.scalar(
                select(CompanyLink.channel_id).where(
                    CompanyLink.team_id == team_id,
                    CompanyLink.company_id == company.id,
                    CompanyLink.connection_id == connection.id,
                    CompanyLink.channel_id != channel_id,
                    CompanyLink.archived.is_(False),
                )
            )
            if elsewhere is not None:
                raise Denied(
                    N_(
                        "{company} is already linked to <#{channel}>; its bills are approved "
                        "and paid there."
                    ),
                    company=escape(company.name),
                    channel=elsewhere,
                )
            link = await s.scalar(
                select(CompanyLink)
                .where(CompanyLink.team_id == team_id, CompanyLink.channel_id == channel_id)
                .with_for_update()
            )
            if link is not None and (link.company_id, link.connection_id) != (
                company.id,
                connection.id,
            ):
                if await _has_scheduled(s, link.id):
                    raise Denied(
                        N_(
                            "This channel has payments scheduled for {company}. Run `/billpay "
                            "disconnect` first: it says which payments it cancels."
                        ),
                        company=escape(link.company_name),
                    )
                # Another company: the old link keeps its cases and history, out of the way.
                audit(
                    s,
                    link,
                    user_id,
                    "channel_unlinked",
                    None,
                    now=now,
                    company_name=link.company_name,
                )
                link.channel_id = f"{channel_id}~{link.id}"
                link.archived = True
                await s.flush()
                link = None
            created = link is None
            if link is None:
                link = CompanyLink(team_id=team_id, channel_id=channel_id)
                s.add(link)
            link.company_id = company.id
            link.connection_id = connection.id
            link.company_name = info.company_name or company.name
            link.base_currency = (info.base_currency or "GBP").upper()
            link.platform_name = connection.platform_name
            link.linked_by = user_id
            link.linked_at = now
            if link.language is None:
                link.language = language
            await s.flush()
            terms = policy_terms(policy, self.settings.auto_approve_below)
            saved = await s.get(Policy, link.id)
            if saved is None:
                # The configured default, saved: the channel keeps it when configuration changes.
                s.add(
                    Policy(
                        link_id=link.id,
                        approvers=sorted(policy.approvers),
                        payers=sorted(policy.payers),
                        dual_approval_threshold=policy.dual_approval_threshold,
                        approver_may_pay=policy.approver_may_pay,
                        updated_by=CONFIGURATION_ACTOR,
                        updated_at=now,
                    )
                )
            audit(
                s,
                link,
                user_id,
                "channel_linked",
                None,
                now=now,
                company_name=link.company_name,
                policy=None if saved else terms,
            )
        return link, created

    def language_of(self, link: CompanyLink) -> str:
        """The language of what the bot says to the channel: its own, else the default."""
        return link.language or self.settings.default_locale

    async def set_language(
        self, team_id: str, channel_id: str, user_id: str, language: str
    ) -> tuple[CompanyLink, str]:
        """Change the channel's language (who may link a channel may change it; audited).
        Returns the link and the language it had."""
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            raise Denied(
                N_("Only {who} can change the language of this channel."),
                who=policy.who_may_approve(),
            )
        async with self.db.write() as s:
            row = await s.get(CompanyLink, link.id, with_for_update=True)
            assert row is not None
            before = self.language_of(row)
            row.language = language
            audit(
                s,
                row,
                user_id,
                "channel_language_changed",
                None,
                now=self.clock(),
                before=before,
                after=language,
            )
            await s.flush()
        return row, before

    async def links_of_connection(self, company_id: str, connection_id: str) -> list[CompanyLink]:
        """The channels linked to this company's connection now."""
        async with self.db.read() as s:
            rows = await s.scalars(
                select(CompanyLink).where(
                    CompanyLink.company_id == company_id,
                    CompanyLink.connection_id == connection_id,
                    CompanyLink.archived.is_(False),
                )
            )
            return list(rows)

    async def links_of_team(self, team_id: str) -> list[tuple[str, str, str]]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink.channel_id, CompanyLink.company_name, CompanyLink.base_currency)
                .where(CompanyLink.team_id == team_id, CompanyLink.archived.is_(False))
                .order_by(CompanyLink.linked_at)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def record_digest_changed(
        self, link_id: int, user_id: str, before: dict[str, object], after: dict[str, object]
    ) -> None:
        """The channel's digest settings changed (nothing is recorded when they stay)."""
        if before == after:
            return
        async with self.db.write() as s:
            link = await s.get(CompanyLink, link_id)
            if link is not None:
                audit(
                    s,
                    link,
                    user_id,
                    "digest_changed",
                    None,
                    now=self.clock(),
                    before=before,
                    after=after,
                )

    async def record_digest_paused(self, link_id: int, reason: str) -> None:
        async with self.db.write() as s:
            link = await s.get(CompanyLink, link_id)
            if link is not None:
                audit(s, link, "scheduler", "digest_paused", None, now=self.clock(), reason=reason)

    async def record_team_event(self, team_id: str, action: str) -> None:
        async with self.db.write() as s:
            s.add(
                AuditEvent(
                    at=self.clock(), team_id=team_id, actor="slack", action=action, details={}
                )
            )


async def _has_scheduled(s: AsyncSession, link_id: int) -> bool:
    found = await s.scalar(
        select(Payment.id)
        .join(BillCase, BillCase.id == Payment.case_id)
        .where(BillCase.link_id == link_id, Payment.status == PaymentStatus.SCHEDULED)
        .limit(1)
    )
    return found is not None
