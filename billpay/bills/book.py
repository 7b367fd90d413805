"""The bot's book of bill cases: a bill read again from the payables API and its case brought up
to date, the views of cases the cards show, and refusals written to the audit trail.

A bill that has left the outstanding list closes its case, unless a payment of ours whose
outcome is unknown may explain it: only settling that payment may tell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from billpay.bills.cases import (
    OPEN_STATES,
    audit,
    case_for_update,
    stamp,
    sync_case,
    views_of,
)
from billpay.bills.facts import BillFacts, apply_facts
from billpay.bills.links import Links
from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import CaseRef, CaseState, CaseView, PaymentStatus
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.mirror.service import Mirror
from billpay.payables.errors import BillNotOutstanding
from billpay.payables.models import Bill
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Payment


class CaseBook:
    def __init__(
        self,
        db: Database,
        links: Links,
        mirror: Mirror,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.mirror = mirror
        self.clock = clock

    async def sync_cases(
        self,
        link: CompanyLink,
        bills: Sequence[Bill],
        facts: dict[str, BillFacts] | None = None,
    ) -> dict[str, CaseView]:
        """Bring the cases of `bills` up to date with what the API just said (and, for a
        page of cards, with their files and possible duplicates)."""
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            cases = [await sync_case(s, link, bill, policy, now=now) for bill in bills]
            await s.flush()
            for case in cases:
                await apply_facts(s, case, (facts or {}).get(case.bill_id))
            views = await views_of(s, cases)
        return {view.bill_id: view for view in views}

    async def case_views(self, link_id: int, bill_ids: Sequence[str]) -> list[CaseView]:
        """The cases shown on a message, in its order, read in one go."""
        async with self.db.read() as s:
            rows = (
                await s.scalars(
                    select(BillCase).where(
                        BillCase.link_id == link_id, BillCase.bill_id.in_(list(bill_ids))
                    )
                )
            ).all()
            views = {v.bill_id: v for v in await views_of(s, list(rows))}
        return [views[bill_id] for bill_id in bill_ids if bill_id in views]

    async def refresh(self, ref: CaseRef) -> CaseView:
        """Re-read one bill and bring its case up to date (a bill paid elsewhere closes)."""
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        link = await self.links.link_for(team_id, channel_id)
        return await self.fresh_view(link, bill_id, await self.links.policy_for(link))

    async def read_bill(self, link: CompanyLink, bill_id: str) -> Bill:
        """The bill as the payables API has it now (a live read, cheap when the mirror knows
        the bill: `Mirror.live_bill`)."""
        try:
            return await self.mirror.live_bill(link, bill_id)
        except BillNotOutstanding:
            # Not an ordinary 404 (a removed company is one too): the bill left the list.
            await self._close_missing(link, bill_id)
            raise Denied(
                N_(
                    "This bill is no longer outstanding in the accounting platform (paid or "
                    "voided elsewhere). Nothing was changed."
                )
            ) from None

    async def _close_missing(self, link: CompanyLink, bill_id: str) -> None:
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            if case is None or case.state not in OPEN_STATES:
                return
            if await s.scalar(
                select(Payment.id).where(
                    Payment.case_id == case.id,
                    Payment.status.in_((PaymentStatus.REQUESTED, PaymentStatus.IN_DOUBT)),
                )
            ):
                return  # perhaps our own payment paid it: only settling that payment may tell
            case.state = CaseState.CLOSED
            case.note = Phrase(N_("No longer outstanding (paid or voided elsewhere).")).dump()
            stamp(case, now)
            audit(s, link, "system", "case_closed", bill_id, now=now, reason="not outstanding")

    async def case_view(self, link: CompanyLink, bill_id: str) -> CaseView | None:
        views = await self.case_views(link.id, [bill_id])
        return views[0] if views else None

    async def view_of_bill(
        self, link: CompanyLink, bill: Bill, policy: EffectivePolicy
    ) -> CaseView:
        async with self.db.write() as s:
            case = await sync_case(s, link, bill, policy, now=self.clock())
            return (await views_of(s, [case]))[0]

    async def fresh_view(
        self, link: CompanyLink, bill_id: str, policy: EffectivePolicy
    ) -> CaseView:
        return await self.view_of_bill(link, await self.read_bill(link, bill_id), policy)

    async def denied(
        self, link: CompanyLink, user_id: str, action: str, bill_id: str | None, **details: Any
    ) -> None:
        async with self.db.write() as s:
            audit(
                s,
                link,
                user_id,
                "permission_denied",
                bill_id,
                now=self.clock(),
                attempted=action,
                **details,
            )
