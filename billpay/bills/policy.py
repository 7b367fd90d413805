"""Who may approve and pay a channel's bills, and how many approvals a bill needs.

A channel's policy comes from its `policies` row when it has one, otherwise from configuration.
The default keeps duties apart: anyone in the channel may approve, reject and pay, one approval
is enough, and whoever approved a bill does not pay it (`billpay.bills.duties` has the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billpay.config import Settings
from billpay.core.i18n import N_, Phrase
from billpay.store.models import Policy

# The actor of audit events the configuration caused (a changed policy).
CONFIGURATION_ACTOR = "configuration"


@dataclass(frozen=True)
class EffectivePolicy:
    approvers: frozenset[str]  # empty: anyone in the channel
    payers: frozenset[str]  # empty: anyone in the channel
    dual_approval_threshold: Decimal | None
    approver_may_pay: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> EffectivePolicy:
        return cls(
            approvers=frozenset(settings.approvers),
            payers=frozenset(settings.payers),
            dual_approval_threshold=settings.dual_approval_threshold,
            approver_may_pay=settings.approver_may_pay,
        )

    @classmethod
    def from_row(cls, row: Policy) -> EffectivePolicy:
        return cls(
            approvers=frozenset(row.approvers),
            payers=frozenset(row.payers),
            dual_approval_threshold=row.dual_approval_threshold,
            approver_may_pay=row.approver_may_pay,
        )

    def may_approve(self, user_id: str) -> bool:
        return not self.approvers or user_id in self.approvers

    def may_pay(self, user_id: str) -> bool:
        return not self.payers or user_id in self.payers

    def approvals_needed(self, base_amount: Decimal | None) -> int:
        """Two above the threshold. A bill whose amount in the base currency is unknown (a
        foreign-currency bill without a rate) counts as above it: the safe side."""
        if self.dual_approval_threshold is None:
            return 1
        if base_amount is None or base_amount > self.dual_approval_threshold:
            return 2
        return 1

    def who_may_approve(self) -> Phrase:
        return _people(self.approvers)

    def who_may_pay(self) -> Phrase:
        return _people(self.payers)


def _people(user_ids: frozenset[str]) -> Phrase:
    """`<@U1>, <@U2> or <@U3>` in the reader's language; empty for anyone."""
    mentions = [f"<@{user_id}>" for user_id in sorted(user_ids)]
    if len(mentions) <= 1:
        return Phrase("".join(mentions))
    return Phrase(N_("{some} or {last}"), some=", ".join(mentions[:-1]), last=mentions[-1])


def policy_terms(policy: EffectivePolicy, auto_approve_below: Decimal | None) -> dict[str, Any]:
    """The policy as the audit trail keeps it: plain JSON, equal when the policy is."""
    return {
        "approvers": sorted(policy.approvers),
        "payers": sorted(policy.payers),
        "dual_approval_threshold": _amount(policy.dual_approval_threshold),
        "approver_may_pay": policy.approver_may_pay,
        "auto_approve_below": _amount(auto_approve_below),
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
