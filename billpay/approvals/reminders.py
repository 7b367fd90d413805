"""Approvals nobody forgets: reminders, escalation and (optional) approval by policy.

- A bill waiting for approval longer than `BILLPAY_REMINDER_HOURS` (24) reminds the approvers
  who have not decided yet, once per interval, on weekdays; it stops when the bill is decided,
  paid or gone (only pending bills are looked at).
- A bill due tomorrow or overdue with no decision at all is escalated in its card's thread,
  mentioning the approvers, once.
- Off by default: a bill under `BILLPAY_AUTO_APPROVE_BELOW` (in the base currency) waiting
  longer than `BILLPAY_AUTO_APPROVE_AFTER_HOURS` is approved "by policy", audited as such.

Each reminder and escalation is claimed with one conditional update of the case (its time moved
on only if nobody did it first), so several replicas send each once. No Slack calls here: the
scheduler words and sends what `due_nudges` returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from billpay.bills.cases import approvals_of, audit, stamp, views_of
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseState, Nudge, NudgeKind
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Decision

POLICY_ACTOR = "policy"


class Reminders:
    def __init__(self, db: Database, links: Links, settings: Settings) -> None:
        self.db = db
        self.links = links
        self.settings = settings

    async def due_nudges(self, now: datetime) -> list[Nudge]:
        """Claim what is due now, once across replicas."""
        settings = self.settings
        local = now.astimezone(ZoneInfo(settings.default_time_zone))
        weekday = local.isoweekday() <= 5
        cadence = timedelta(hours=settings.reminder_hours)
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(BillCase, CompanyLink)
                    .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                    .where(BillCase.state == CaseState.PENDING, CompanyLink.archived.is_(False))
                    .order_by(BillCase.id)
                )
            ).all()
        nudges: list[Nudge] = []
        for case, link in rows:
            opened = case.opened_at or case.updated_at
            waited = now - opened
            policy = await self.links.policy_for(link)
            if await self._approved_by_policy(case.id, link, waited, now):
                nudges.append(await self._nudge("approved_by_policy", link, case.id, (), waited))
                continue
            async with self.db.read() as s:
                approvals = set(await approvals_of(s, case.id))
            undecided = tuple(sorted(policy.approvers - approvals))
            if (
                settings.reminder_hours
                and weekday
                and waited >= cadence
                and await self._claim(case.id, "reminded_at", now, now - cadence)
            ):
                nudges.append(await self._nudge("remind", link, case.id, undecided, waited))
            if (
                not approvals
                and case.due_date <= local.date() + timedelta(days=1)
                and await self._claim(case.id, "escalated_at", now, None)
            ):
                approvers = tuple(sorted(policy.approvers))
                nudges.append(await self._nudge("escalate", link, case.id, approvers, waited))
        return nudges

    async def _claim(
        self,
        case_id: int,
        column: Literal["reminded_at", "escalated_at"],
        now: datetime,
        before: datetime | None,
    ) -> bool:
        """Move the case's reminder or escalation time to `now` if it is unset (or, with
        `before`, older than that), in one statement: True for the one caller that did."""
        when = BillCase.reminded_at if column == "reminded_at" else BillCase.escalated_at
        due = when.is_(None) if before is None else or_(when.is_(None), when <= before)
        async with self.db.write() as s:
            result = await s.execute(
                update(BillCase)
                .where(BillCase.id == case_id, BillCase.state == CaseState.PENDING, due)
                .values({when: now})
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def _approved_by_policy(
        self, case_id: int, link: CompanyLink, waited: timedelta, now: datetime
    ) -> bool:
        threshold = self.settings.auto_approve_below
        if threshold is None or waited < timedelta(hours=self.settings.auto_approve_after_hours):
            return False
        async with self.db.write() as s:
            case = await s.get(BillCase, case_id, with_for_update=True)
            if (
                case is None
                or case.state != CaseState.PENDING
                or case.base_amount is None
                or case.base_amount >= threshold
            ):
                return False
            s.add(Decision(case_id=case.id, kind="approve", user_id=POLICY_ACTOR, created_at=now))
            case.state = CaseState.APPROVED
            stamp(case, now)
            audit(
                s,
                link,
                POLICY_ACTOR,
                "approved_by_policy",
                case.bill_id,
                now=now,
                below=threshold,
                waited_hours=int(waited.total_seconds() // 3600),
            )
        return True

    async def _nudge(
        self,
        kind: NudgeKind,
        link: CompanyLink,
        case_id: int,
        who: tuple[str, ...],
        waited: timedelta,
    ) -> Nudge:
        async with self.db.read() as s:
            case = await s.get(BillCase, case_id)
            assert case is not None
            (view,) = await views_of(s, [case])
        return Nudge(kind, link.team_id, link.id, view, who, waited)
