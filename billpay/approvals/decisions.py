"""Approving, rejecting and reopening a bill: each decision checked against the channel's policy
and the bill's separation of duties (`billpay.bills.duties`) at click time, and taken in one
transaction on the case row, guarded by the version its card showed, so a click on a card drawn
before the bill changed acts on nothing.

    pending → approved (enough approvers) · pending | approved → rejected · rejected → pending

An approver away may have a delegate decide in their place (`billpay.approvals.delegation`).
Each approval then names two people, who clicked and whom for, and no person is named by two
approvals of one bill: a delegate does not approve what they or the approver brought in, does
not approve again after approving in their own name, and does not approve twice by acting for
two people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.approvals.delegation import Delegations
from billpay.bills.book import CaseBook
from billpay.bills.cases import (
    Outcome,
    approvals_with_principals,
    audit,
    not_pending_text,
    stamp,
    sync_case,
    views_of,
)
from billpay.bills.duties import approval_refusal, origin_of
from billpay.bills.links import Links
from billpay.bills.policy import EffectivePolicy
from billpay.core.bounds import reason_problem
from billpay.core.domain import CaseRef, CaseState, CaseView
from billpay.core.errors import CardOutOfDate, Denied
from billpay.core.i18n import N_, Phrase
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Decision

# Whom a person decides for: themselves (None) or the away approvers they stand in for.
ForWhom = list[str | None]


def changed_since(s: AsyncSession, case: BillCase, seen: int | None) -> bool:
    """Whether the case is not as a card that showed version `seen` drew it: changed since,
    or changing now because the bill was just read with other figures."""
    return seen is not None and (case.version != seen or s.is_modified(case))


class Approvals:
    def __init__(
        self,
        db: Database,
        links: Links,
        cases: CaseBook,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.links = links
        self.cases = cases
        self.clock = clock
        self.delegations: Delegations | None = None

    async def _deciding_for(
        self, link: CompanyLink, policy: EffectivePolicy, user_id: str
    ) -> ForWhom:
        """Themselves if the policy lets them decide, else the away approvers who named them
        their delegate; empty when neither."""
        if policy.may_approve(user_id):
            return [None]
        if self.delegations is None:
            return []
        return list(await self.delegations.acting_for(link.team_id, user_id, policy))

    async def approve(self, ref: CaseRef, user_id: str, seen: int | None = None) -> Outcome:
        """Approve the bill; with `seen` (the case version its card showed), only if the bill
        is still as the card showed it, else `CardOutOfDate` once its case is brought up to
        date."""
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        link = await self.links.link_for(team_id, channel_id)
        policy = await self.links.policy_for(link)
        for_whom = await self._deciding_for(link, policy, user_id)
        if not for_whom:
            await self.cases.denied(link, user_id, "approve", bill_id)
            raise Denied(
                N_("Only {who} can approve bills in this channel. Nothing was changed."),
                who=policy.who_may_approve(),
            )
        async with self.db.read() as s:
            origin = await origin_of(s, link.company_id, bill_id)
        if refusal := approval_refusal(origin, user_id):
            await self.cases.denied(link, user_id, "approve", bill_id, reason="brought the bill in")
            raise Denied(refusal)
        allowed = [p for p in for_whom if p is None or approval_refusal(origin, p) is None]
        if not allowed:
            await self.cases.denied(link, user_id, "approve", bill_id, reason="brought the bill in")
            raise Denied(
                N_(
                    "{person}, for whom you decide while they are away, brought this bill in, "
                    "so someone else must approve it. Nothing was changed."
                ),
                person=f"<@{for_whom[0]}>",
            )
        bill = await self.cases.read_bill(link, bill_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            notice = None
            given = await approvals_with_principals(s, case.id)
            approvals = [clicked for clicked, _ in given]
            named = {p for pair in given for p in pair if p is not None}
            open_to = [p for p in allowed if p not in named]
            principal = open_to[0] if open_to else None
            stale = False
            more = case.approvals_required - len(approvals)
            if case.state != CaseState.PENDING:
                notice = not_pending_text(case)
            elif user_id in approvals:
                notice = Phrase(
                    N_(
                        "You have already approved this bill; it needs {n} more approval from "
                        "someone else."
                    ),
                    n=more,
                )
            elif user_id in named:
                delegate = next(clicked for clicked, p in given if p == user_id)
                notice = Phrase(
                    N_(
                        "<@{delegate}> already approved this bill for you; it needs {n} more "
                        "approval from someone else."
                    ),
                    delegate=delegate,
                    n=more,
                )
            elif not open_to:
                notice = Phrase(
                    N_(
                        "This bill already has the approval of {person}, for whom you decide; "
                        "it needs {n} more approval from someone else."
                    ),
                    person=", ".join(f"<@{p}>" for p in allowed if p is not None),
                    n=more,
                )
            elif stale := changed_since(s, case, seen):
                pass  # the card showed other figures: refused once the case is up to date
            else:
                s.add(
                    Decision(
                        case_id=case.id,
                        kind="approve",
                        user_id=user_id,
                        on_behalf_of=principal,
                        created_at=now,
                    )
                )
                approvals.append(user_id)
                if len(approvals) >= case.approvals_required:
                    case.state = CaseState.APPROVED
                stamp(case, now)
                audit(
                    s,
                    link,
                    user_id,
                    "bill_approved",
                    bill_id,
                    now=now,
                    approval=len(approvals),
                    of=case.approvals_required,
                    on_behalf_of=principal,
                )
            await s.flush()
            view = (await views_of(s, [case]))[0]
        if stale:
            raise CardOutOfDate()
        return Outcome(view, notice)

    async def check_may_reject(
        self, ref: CaseRef, user_id: str, seen: int | None = None
    ) -> CaseView:
        """Before the reject modal opens: may this person reject, and is it still open?"""
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        link = await self.links.link_for(team_id, channel_id)
        policy = await self.links.policy_for(link)
        if not await self._deciding_for(link, policy, user_id):
            await self.cases.denied(link, user_id, "reject", bill_id)
            raise Denied(
                N_("Only {who} can reject bills in this channel. Nothing was changed."),
                who=policy.who_may_approve(),
            )
        view = await self.cases.case_view(link, bill_id)
        if view is not None and view.state not in (CaseState.PENDING, CaseState.APPROVED):
            raise Denied(not_pending_text(view))
        if seen is not None and view is not None and view.version != seen:
            raise CardOutOfDate()
        return view or await self.cases.fresh_view(link, bill_id, policy)

    async def reject(
        self, ref: CaseRef, user_id: str, reason: str, seen: int | None = None
    ) -> Outcome:
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        reason = reason.strip()
        if problem := reason_problem(reason):
            raise Denied(problem)
        link = await self.links.link_for(team_id, channel_id)
        policy = await self.links.policy_for(link)
        for_whom = await self._deciding_for(link, policy, user_id)
        if not for_whom:
            await self.cases.denied(link, user_id, "reject", bill_id)
            raise Denied(
                N_("Only {who} can reject bills in this channel."), who=policy.who_may_approve()
            )
        bill = await self.cases.read_bill(link, bill_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            notice = None
            stale = False
            if case.state not in (CaseState.PENDING, CaseState.APPROVED):
                notice = not_pending_text(case)
            elif stale := changed_since(s, case, seen):
                pass
            else:
                s.add(
                    Decision(
                        case_id=case.id,
                        kind="reject",
                        user_id=user_id,
                        on_behalf_of=for_whom[0],
                        reason=reason,
                        created_at=now,
                    )
                )
                case.state = CaseState.REJECTED
                case.rejected_by = user_id
                case.reject_reason = reason
                stamp(case, now)
                audit(
                    s,
                    link,
                    user_id,
                    "bill_rejected",
                    bill_id,
                    now=now,
                    reason=reason,
                    on_behalf_of=for_whom[0],
                    already_paid=str(case.total_amount - case.amount_due)
                    if case.amount_due < case.total_amount
                    else None,
                )
            await s.flush()
            view = (await views_of(s, [case]))[0]
        if stale:
            raise CardOutOfDate()
        return Outcome(view, notice)

    async def check_may_reopen(self, ref: CaseRef, user_id: str, seen: int | None) -> CaseView:
        """Before the reopen modal opens: may this person reopen, and is it still rejected?"""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        policy = await self.links.policy_for(link)
        if not policy.may_approve(user_id):
            await self.cases.denied(link, user_id, "reopen", ref.bill_id)
            raise Denied(
                N_(
                    "Only approvers can reopen a rejected bill in this channel. "
                    "Nothing was changed."
                )
            )
        view = await self.cases.case_view(link, ref.bill_id)
        if view is None or view.state != CaseState.REJECTED:
            raise Denied(N_("This bill is not rejected any more. Nothing was changed."))
        if seen is not None and view.version != seen:
            raise CardOutOfDate()
        return view

    async def reopen(
        self, ref: CaseRef, user_id: str, reason: str, seen: int | None = None
    ) -> Outcome:
        """A rejected bill goes back to waiting for approval, with the reason audited; the
        approvals of its earlier round are dropped (the audit trail keeps them)."""
        reason = reason.strip()
        if problem := reason_problem(reason):
            raise Denied(problem)
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        policy = await self.links.policy_for(link)
        if not policy.may_approve(user_id):
            await self.cases.denied(link, user_id, "reopen", ref.bill_id)
            raise Denied(N_("Only approvers can reopen a rejected bill in this channel."))
        bill = await self.cases.read_bill(link, ref.bill_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            notice = None
            stale = False
            if case.state != CaseState.REJECTED:
                notice = Phrase(N_("This bill is not rejected any more. Nothing was changed."))
            elif stale := changed_since(s, case, seen):
                pass
            else:
                await s.execute(delete(Decision).where(Decision.case_id == case.id))
                audit(
                    s,
                    link,
                    user_id,
                    "bill_reopened",
                    ref.bill_id,
                    now=now,
                    reason=reason,
                    rejected_by=case.rejected_by,
                    reject_reason=case.reject_reason,
                )
                case.state = CaseState.PENDING
                case.rejected_by = None
                case.reject_reason = None
                case.approvals_required = policy.approvals_needed(case.base_amount)
                stamp(case, now)
            await s.flush()
            view = (await views_of(s, [case]))[0]
        if stale:
            raise CardOutOfDate()
        return Outcome(view, notice)
