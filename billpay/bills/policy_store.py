"""A channel's policy changed from Slack (`/billpay policy`): the form read into a policy, each
mistake named on its field, then saved by someone who may change settings
(`billpay.bills.admins`) in one transaction with an audit event holding the terms before and
after. The saved row is the channel's from then on, whatever the configuration says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from billpay.bills.admins import Admins
from billpay.bills.cases import audit
from billpay.bills.links import Links
from billpay.bills.policy import EffectivePolicy, saved_terms
from billpay.core.bounds import shown
from billpay.core.i18n import N_, Money, Phrase
from billpay.core.money import Unreadable, has_valid_precision, minor_units, read_amount
from billpay.store.db import Database
from billpay.store.models import CompanyLink, Policy

PolicyField = Literal["threshold", "reminder", "approvers", "payers", "group"]
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,24}$")
MAX_NUMBER_TEXT = 64
MAX_PEOPLE = 100
REMINDER_HOURS_MAX = 720


@dataclass(frozen=True)
class PolicyChoice:
    approvers: tuple[str, ...]
    approver_group: str | None
    payers: tuple[str, ...]
    dual_approval_threshold: Decimal | None
    approver_may_pay: bool
    reminder_hours: int


def read_policy_form(
    *,
    approvers: list[str],
    approver_group: str | None,
    payers: list[str],
    threshold: str | None,
    approver_may_pay: bool,
    reminder_hours: str | None,
    currency: str,
    locale: str,
) -> PolicyChoice | dict[PolicyField, Phrase]:
    """The policy chosen, or one message per field. The threshold is an amount in the
    company's base currency, read the way the person's locale writes it."""
    errors: dict[PolicyField, Phrase] = {}
    if len(approvers) > MAX_PEOPLE:
        errors["approvers"] = Phrase(N_("Choose at most {n} people."), n=MAX_PEOPLE)
    if len(payers) > MAX_PEOPLE:
        errors["payers"] = Phrase(N_("Choose at most {n} people."), n=MAX_PEOPLE)
    if approver_group is not None and not _GROUP_ID.match(approver_group):
        errors["group"] = Phrase(N_("Choose a user group from the list."))
    limit: Decimal | None = None
    typed = (threshold or "").strip()[: MAX_NUMBER_TEXT + 1]
    if typed:
        read = read_amount(typed, currency, locale) if len(typed) <= MAX_NUMBER_TEXT else None
        if isinstance(read, Unreadable) and read.problem:
            errors["threshold"] = read.problem
        elif not isinstance(read, Decimal):
            errors["threshold"] = Phrase(
                N_("“{typed}” is not an amount. Write it like {example}."),
                typed=shown(typed),
                example=Money(Decimal(5000), currency),
            )
        elif read < 0:
            errors["threshold"] = Phrase(N_("The threshold can't be below zero."))
        elif not has_valid_precision(read, currency):
            errors["threshold"] = Phrase(
                N_("{currency} amounts have at most {places} decimal places."),
                currency=currency,
                places=minor_units(currency),
            )
        else:
            limit = read
    hours_text = (reminder_hours or "").strip()
    hours = 0
    if hours_text:
        if (
            hours_text.isascii()
            and hours_text.isdigit()
            and len(hours_text) <= 4
            and int(hours_text) <= REMINDER_HOURS_MAX
        ):
            hours = int(hours_text)
        else:
            errors["reminder"] = Phrase(
                N_("Enter a number of hours from 0 (no reminders) to {most}."),
                most=REMINDER_HOURS_MAX,
            )
    if errors:
        return errors
    return PolicyChoice(
        approvers=tuple(dict.fromkeys(approvers)),
        approver_group=approver_group or None,
        payers=tuple(dict.fromkeys(payers)),
        dual_approval_threshold=limit,
        approver_may_pay=approver_may_pay,
        reminder_hours=hours,
    )


class Policies:
    def __init__(
        self, db: Database, links: Links, admins: Admins, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.links = links
        self.admins = admins
        self.clock = clock

    async def editable(self, link: CompanyLink, user_id: str) -> EffectivePolicy:
        """The channel's policy, for someone who may change it (else `Denied`)."""
        await self.admins.require(link.team_id, user_id)
        return await self.links.policy_for(link)

    async def save(
        self, link: CompanyLink, user_id: str, choice: PolicyChoice
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Save the channel's policy; returns its terms before and after (audited)."""
        await self.admins.require(link.team_id, user_id)
        settings = self.links.settings
        async with self.db.write() as s:
            now = self.clock()
            row = await s.get(Policy, link.id, with_for_update=True)
            if row is None:
                was = EffectivePolicy.from_settings(settings)
                row = Policy(link_id=link.id)
                s.add(row)
            else:
                was = EffectivePolicy.from_row(row)
            before = saved_terms(
                was if was.reminder_hours is not None else _with_hours(was, settings.reminder_hours)
            )
            row.approvers = list(choice.approvers)
            row.approver_group = choice.approver_group
            row.payers = list(choice.payers)
            row.dual_approval_threshold = choice.dual_approval_threshold
            row.approver_may_pay = choice.approver_may_pay
            row.reminder_hours = choice.reminder_hours
            row.updated_by = user_id
            row.updated_at = now
            after = saved_terms(EffectivePolicy.from_row(row))
            if before != after:
                audit(s, link, user_id, "policy_saved", None, now=now, before=before, after=after)
        return before, after


def _with_hours(policy: EffectivePolicy, hours: int) -> EffectivePolicy:
    return replace(policy, reminder_hours=hours)
