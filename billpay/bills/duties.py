"""Separation of duties: the people a bill's own history keeps from approving or paying it.

- Whoever created a bill from Slack, or was named as the person asking for it, never approves
  it (whatever the channel's policy says).
- A second approval comes from someone other than the first (`approvals.decisions`).
- Where the policy keeps approvers from paying (the default), a payer pays only what someone
  else approved.
- A bill no person approved (approved by policy after waiting) is never paid by whoever
  created or asked for it: one person never takes a bill from creation to payment.

`people_needed` says how many different people paying a bill takes under a policy, the figure
`/billpay status` and docs/security.md state.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import PolicyCount
from billpay.core.i18n import N_, Phrase
from billpay.store.models import BillOrigin

# The actor of decisions taken by the policy itself (a small bill approved after waiting).
POLICY_ACTOR = "policy"


@dataclass(frozen=True)
class Origin:
    created_by: str
    requested_by: str | None

    @property
    def people(self) -> frozenset[str]:
        return frozenset(p for p in (self.created_by, self.requested_by) if p)


async def origin_of(s: AsyncSession, company_id: str, bill_id: str) -> Origin | None:
    """Who created the bill from Slack and who asked for it; None for a bill entered elsewhere."""
    row = await s.scalar(
        select(BillOrigin).where(BillOrigin.company_id == company_id, BillOrigin.bill_id == bill_id)
    )
    return Origin(row.created_by, row.requested_by) if row else None


async def record_origin(
    s: AsyncSession,
    company_id: str,
    bill_id: str,
    *,
    created_by: str,
    requested_by: str | None,
    now: datetime,
) -> None:
    """Once per bill: a resubmitted form gets the same bill back and keeps its first origin."""
    if await origin_of(s, company_id, bill_id) is None:
        s.add(
            BillOrigin(
                company_id=company_id,
                bill_id=bill_id,
                created_by=created_by,
                requested_by=requested_by if requested_by != created_by else None,
                created_at=now,
            )
        )


def approval_refusal(origin: Origin | None, user_id: str) -> Phrase | None:
    """Why this person may not approve the bill because of its origin; None when they may."""
    if origin is None:
        return None
    if user_id == origin.created_by:
        return Phrase(
            N_("You created this bill, so someone else must approve it. Nothing was changed.")
        )
    if user_id == origin.requested_by:
        return Phrase(
            N_(
                "This bill was created at your request, so someone else must approve it. "
                "Nothing was changed."
            )
        )
    return None


def payment_refusal(
    policy: EffectivePolicy, origin: Origin | None, approvals: Collection[str], payer: str
) -> Phrase | None:
    """Why this payer may not pay the bill, given who approved it and who brought it in; None
    when they may."""
    if not policy.approver_may_pay and payer in approvals:
        return Phrase(
            N_(
                "You approved this bill, and this channel's policy asks someone else to pay it. "
                "Nothing was changed."
            )
        )
    people = set(approvals) - {POLICY_ACTOR}
    if origin is not None and payer in origin.people and not people - {payer}:
        return Phrase(
            N_(
                "Nobody else has approved this bill you brought in, so someone else must pay "
                "it. Nothing was changed."
            )
        )
    return None


def people_needed(policy: EffectivePolicy, approvals: int) -> int:
    """Different people it takes to pay a bill that needs `approvals` approvals."""
    return approvals + (0 if policy.approver_may_pay else 1)


def policy_count(
    policy: EffectivePolicy, auto_approve_below: Decimal | None, auto_approve_hours: int
) -> PolicyCount:
    two = policy.dual_approval_threshold is not None
    return PolicyCount(
        people=people_needed(policy, 1),
        people_above=people_needed(policy, 2) if two else None,
        threshold=policy.dual_approval_threshold,
        approver_may_pay=policy.approver_may_pay,
        auto_approve=(auto_approve_below, auto_approve_hours)
        if auto_approve_below is not None
        else None,
    )
