"""Who may pay a bill now: the channel's policy checked on the server at click time (a payer, and
not the bill's approver where the policy keeps approvers from paying); refusals are audited.
"""

from __future__ import annotations

from sqlalchemy import select

from billpay.bills.book import CaseBook
from billpay.bills.cases import approvals_of
from billpay.bills.links import Links
from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.core.i18n import N_
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink


class Payers:
    def __init__(self, db: Database, links: Links, cases: CaseBook) -> None:
        self.db = db
        self.links = links
        self.cases = cases

    async def as_payer(self, ref: CaseRef, user_id: str) -> tuple[CompanyLink, EffectivePolicy]:
        """The channel's link and policy, once the person is known to be allowed to pay."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        policy = await self.links.policy_for(link)
        await self.check(link, policy, ref.bill_id, user_id)
        return link, policy

    async def check(
        self, link: CompanyLink, policy: EffectivePolicy, bill_id: str, user_id: str
    ) -> None:
        if not policy.may_pay(user_id):
            await self.cases.denied(link, user_id, "pay", bill_id)
            raise Denied(
                N_("Only {who} can pay bills in this channel. Nothing was changed."),
                who=policy.who_may_pay(),
            )
        if policy.approver_may_pay:
            return
        async with self.db.read() as s:
            case = await s.scalar(
                select(BillCase).where(BillCase.link_id == link.id, BillCase.bill_id == bill_id)
            )
            approved = case is not None and user_id in await approvals_of(s, case.id)
        if approved:
            await self.cases.denied(link, user_id, "pay", bill_id, reason="approver may not pay")
            raise Denied(
                N_(
                    "You approved this bill, and this channel's policy asks someone else to pay "
                    "it. Nothing was changed."
                )
            )
