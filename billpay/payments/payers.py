"""Who may pay a bill now: the channel's policy checked on the server at click time (a payer, and
not held back by the bill's separation of duties, `billpay.bills.duties`); refusals are audited.
"""

from __future__ import annotations

from sqlalchemy import select

from billpay.bills.book import CaseBook
from billpay.bills.cases import approval_people
from billpay.bills.duties import origin_of, payment_refusal
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
        async with self.db.read() as s:
            case = await s.scalar(
                select(BillCase).where(BillCase.link_id == link.id, BillCase.bill_id == bill_id)
            )
            approvals = await approval_people(s, case.id) if case is not None else []
            origin = await origin_of(s, link.company_id, bill_id)
        if refusal := payment_refusal(policy, origin, approvals, user_id):
            await self.cases.denied(link, user_id, "pay", bill_id, reason="separation of duties")
            raise Denied(refusal)
