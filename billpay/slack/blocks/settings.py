"""The channel's policy form (`/billpay policy`): approvers (people and a user group), payers,
the dual-approval threshold in the company's base currency, whether an approver may pay, the
reminder interval and the daily digest's settings (the digest form's own inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billpay.core.i18n import words
from billpay.digest.schedule import Subscription
from billpay.slack.blocks import fields
from billpay.slack.blocks.frame import modal
from billpay.slack.blocks.ids import Callback, Input
from billpay.slack.blocks.metadata import PolicyMetadata
from billpay.slack.blocks.modals import digest_inputs
from billpay.slack.blocks.text import money, plain

MAY_PAY = "approver_may_pay"
NO_GROUP = "none"
MAX_PEOPLE_SHOWN = 100


def _people_input(block_id: str, label: str, initial: frozenset[str], hint: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = sorted(initial)[:MAX_PEOPLE_SHOWN]
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": plain(label, 2000)},
        "element": {**element, "action_id": block_id},
        "optional": True,
        "hint": {"type": "plain_text", "text": plain(hint, 2000)},
    }


def _group_input(
    groups: list[tuple[str, str]], chosen: str | None, label: str, hint: str, none: str
) -> dict[str, Any]:
    options = [(NO_GROUP, none), *groups]
    block = fields.select_input(
        Input.POLICY_GROUP, label, options, initial=chosen or NO_GROUP, hint=hint
    )
    block["optional"] = True
    return block


@dataclass(frozen=True)
class PolicyShown:
    """The channel's policy as the form shows it."""

    approvers: frozenset[str]
    approver_group: str | None
    payers: frozenset[str]
    threshold: Decimal | None
    approver_may_pay: bool
    reminder_hours: int


def policy_modal(
    company: str,
    currency: str,
    policy: PolicyShown,
    groups: list[tuple[str, str]],
    subscription: Subscription,
    metadata: PolicyMetadata,
    *,
    locale: str,
) -> dict[str, Any]:
    _ = words(locale)
    threshold = policy.threshold
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _(
                    "Who approves and pays the bills of *{company}* in this channel. Amounts "
                    "are in {currency}.",
                    company=plain(company, 100),
                    currency=currency,
                ),
            },
        },
        _people_input(
            Input.POLICY_APPROVERS,
            _("Approvers"),
            policy.approvers,
            _("Nobody chosen and no group: anyone in the channel may approve."),
        ),
    ]
    if groups or policy.approver_group:
        known = (
            groups
            if policy.approver_group is None or any(g == policy.approver_group for g, _h in groups)
            else [*groups, (policy.approver_group, policy.approver_group)]
        )
        blocks.append(
            _group_input(
                known,
                policy.approver_group,
                _("Approvers' user group"),
                _("Its members approve too, as Slack lists them when they decide."),
                _("No group"),
            )
        )
    blocks += [
        _people_input(
            Input.POLICY_PAYERS,
            _("Payers"),
            policy.payers,
            _("Nobody chosen: anyone in the channel may pay."),
        ),
        fields.text_input(
            Input.POLICY_THRESHOLD,
            _("Two approvals above"),
            initial=_amount_text(threshold, currency, locale),
            hint=_("An amount in {currency}; empty: one approval is enough.", currency=currency),
            max_length=32,
            optional=True,
        ),
        fields.checkboxes_input(
            Input.POLICY_MAY_PAY,
            _("Approving and paying"),
            [(MAY_PAY, _("Whoever approved a bill may also pay it"))],
            initial=[MAY_PAY] if policy.approver_may_pay else [],
            optional=True,
        ),
        fields.text_input(
            Input.POLICY_REMINDER,
            _("Remind approvers every (hours)"),
            initial=str(policy.reminder_hours),
            hint=_("0: no reminders."),
            max_length=3,
        ),
        {"type": "header", "text": {"type": "plain_text", "text": _("Daily digest")}},
        *digest_inputs(subscription, locale=locale),
    ]
    return modal(
        _("Channel policy"),
        blocks,
        callback_id=Callback.POLICY,
        submit=_("Save"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def _amount_text(amount: Decimal | None, currency: str, locale: str) -> str | None:
    return None if amount is None else money(amount, currency, locale)
