"""Who may approve and pay a channel's bills, and how many approvals a bill needs.

A channel's policy comes from its `policies` row, saved when the channel is linked (from the
configured default) and changed in Slack (`/billpay policy`); a channel linked before policies
were saved follows the configuration until someone saves one. The default keeps duties apart:
anyone in the channel may approve, reject and pay, one approval is enough, and whoever approved
a bill does not pay it (`billpay.bills.duties` has the rest).

Approvers may be a Slack user group as well as people: its members are read from Slack each
time the policy is used for a decision (`Directory`), so a change of membership applies at once;
what only shows or reminds may use them as read a minute ago (`fresh=False`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from billpay.config import Settings
from billpay.core.i18n import N_, Phrase
from billpay.store.models import Policy

# The actor of audit events the configuration caused (a changed policy).
CONFIGURATION_ACTOR = "configuration"


@dataclass(frozen=True)
class Standing:
    """What Slack says of a person: their role in the workspace and their status."""

    user_id: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    is_guest: bool = False
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0  # epoch seconds; 0: the status does not expire

    @property
    def is_person(self) -> bool:
        """A member who can take decisions: not a bot, a deactivated account or a guest."""
        return not (self.is_bot or self.deleted or self.is_guest)


class Directory(Protocol):
    """What the bot asks Slack about people (`billpay.slack.directory` answers)."""

    async def group_members(
        self, team_id: str, group_id: str, *, fresh: bool = True
    ) -> frozenset[str] | None:
        """The user group's members; None when Slack could not say. Not `fresh`: as read a
        short while ago (for what only shows or reminds, never for a decision)."""

    async def standing(self, team_id: str, user_id: str) -> Standing | None:
        """The person as Slack knows them now; None when Slack could not say."""


@dataclass(frozen=True)
class EffectivePolicy:
    approvers: frozenset[str]  # empty, and no group: anyone in the channel
    payers: frozenset[str]  # empty: anyone in the channel
    dual_approval_threshold: Decimal | None
    approver_may_pay: bool
    # A user group whose members approve too, and its members when read (None: unknown, so
    # only the people named approve).
    approver_group: str | None = None
    group_members: frozenset[str] | None = None
    # Hours between reminders (0: none); None follows the configuration.
    reminder_hours: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EffectivePolicy:
        return cls(
            approvers=frozenset(settings.approvers),
            payers=frozenset(settings.payers),
            dual_approval_threshold=settings.dual_approval_threshold,
            approver_may_pay=settings.approver_may_pay,
        )

    @classmethod
    def from_row(cls, row: Policy, members: frozenset[str] | None = None) -> EffectivePolicy:
        return cls(
            approvers=frozenset(row.approvers),
            payers=frozenset(row.payers),
            dual_approval_threshold=row.dual_approval_threshold,
            approver_may_pay=row.approver_may_pay,
            approver_group=row.approver_group,
            group_members=members,
            reminder_hours=row.reminder_hours,
        )

    @property
    def named_approvers(self) -> frozenset[str]:
        """The people who may approve: those named and the group's members as last read."""
        return self.approvers | (self.group_members or frozenset())

    def may_approve(self, user_id: str) -> bool:
        if not self.approvers and self.approver_group is None:
            return True
        return user_id in self.named_approvers

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
        return _people(self.approvers, self.approver_group)

    def who_may_pay(self) -> Phrase:
        return _people(self.payers)


def _people(user_ids: frozenset[str], group: str | None = None) -> Phrase:
    """`<@U1>, <@U2> or <@U3>` in the reader's language; empty for anyone."""
    mentions = [f"<@{user_id}>" for user_id in sorted(user_ids)]
    if group is not None:
        mentions.append(f"<!subteam^{group}>")
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


def saved_terms(policy: EffectivePolicy) -> dict[str, Any]:
    """A saved policy as the audit trail keeps it (before and after a change)."""
    return {
        "approvers": sorted(policy.approvers),
        "approver_group": policy.approver_group,
        "payers": sorted(policy.payers),
        "dual_approval_threshold": _amount(policy.dual_approval_threshold),
        "approver_may_pay": policy.approver_may_pay,
        "reminder_hours": policy.reminder_hours,
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
