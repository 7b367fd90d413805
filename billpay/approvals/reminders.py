"""Approvals nobody forgets: reminders, escalation and (optional) approval by policy.

- A bill waiting for approval longer than `BILLPAY_REMINDER_HOURS` (24) reminds the approvers
  who have not decided yet, once per interval, on weekdays; it stops when the bill is decided,
  paid or gone (only pending bills are looked at).
- A bill due tomorrow or overdue with no decision at all is escalated in its card's thread,
  mentioning the approvers, once.
- Off by default: a bill under `BILLPAY_AUTO_APPROVE_BELOW` (in the base currency) waiting
  longer than `BILLPAY_AUTO_APPROVE_AFTER_HOURS` is approved "by policy", audited as such.

Each reminder and escalation is claimed with one conditional update of the case (its time moved
on only if nobody did it first), so several replicas send each once; an approval by policy is
made under the case's row lock. Each also holds a claim with a lease (`billpay.store.claims`,
kind the nudge's kind, subject `<case id>@<time claimed>`) added in that same transaction: the
scheduler renews it before sending (`keep`) and marks it done after (`sent`), and a nudge whose
holder died before sending it is taken over by a live replica (`due_nudges` starts with those),
sent then if it still applies (the bill still waits; for an escalation, still with no
decision), else only marked done.

An approver away (`billpay.approvals.delegation`) who named a delegate is reminded through
that delegate: the nudge carries who decides for whom (`Nudge.delegates`), unless the delegate
already approved the bill (they can't approve it twice). Whether someone is away is asked of
Slack once per approver with a delegate and tick, not once per bill. Otherwise no Slack calls
here: the scheduler words and sends what `due_nudges` returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from billpay.approvals.delegation import AwayLookup, Delegations
from billpay.bills.cases import approval_people, audit, stamp, views_of
from billpay.bills.duties import POLICY_ACTOR
from billpay.bills.links import Links
from billpay.config import Settings
from billpay.core.domain import CaseState, Nudge, NudgeKind
from billpay.store import claims
from billpay.store.claims import Claimant, Held
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, Decision, connection_paused

NUDGE_KINDS: tuple[NudgeKind, ...] = ("remind", "escalate", "approved_by_policy")


def claim_subject(case_id: int, now: datetime) -> str:
    """A nudge's claim subject: the case and when it was claimed (a case is reminded again
    every interval, each time a claim of its own)."""
    return f"{case_id}@{now:%Y-%m-%dT%H:%M:%S}Z"


def _case_of(subject: str) -> int:
    return int(subject.partition("@")[0])


class Reminders:
    def __init__(
        self,
        db: Database,
        links: Links,
        settings: Settings,
        claimant: Claimant,
        delegations: Delegations | None = None,
    ) -> None:
        self.db = db
        self.links = links
        self.settings = settings
        self.claimant = claimant
        self.delegations = delegations

    async def due_nudges(self, now: datetime) -> list[Nudge]:
        """Claim what is due now, once across replicas: first what a dead replica left, then
        what has come due."""
        settings = self.settings
        local = now.astimezone(ZoneInfo(settings.default_time_zone))
        weekday = local.isoweekday() <= 5
        away = self.delegations.lookup() if self.delegations is not None else None
        nudges = await self._taken_over(now, away)
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(BillCase, CompanyLink)
                    .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                    .where(
                        BillCase.state == CaseState.PENDING,
                        CompanyLink.archived.is_(False),
                        ~connection_paused(),  # nobody can pay its bills meanwhile
                    )
                    .order_by(BillCase.id)
                )
            ).all()
        for case, link in rows:
            opened = case.opened_at or case.updated_at
            waited = now - opened
            # Who to remind: a group's members as read a minute ago, not once per bill.
            policy = await self.links.policy_for(link, fresh=False)
            if await self._approved_by_policy(case.id, link, waited, now):
                nudges.append(
                    await self._nudge("approved_by_policy", link, case.id, (), waited, now, away)
                )
                continue
            async with self.db.read() as s:
                # An approval a delegate gave for an away approver is theirs too.
                approvals = set(await approval_people(s, case.id))
            undecided = tuple(sorted(policy.named_approvers - approvals))
            hours = (
                settings.reminder_hours if policy.reminder_hours is None else policy.reminder_hours
            )
            every = timedelta(hours=hours)
            if (
                hours
                and weekday
                and waited >= every
                and await self._claim(case.id, "reminded_at", now, now - every)
            ):
                nudges.append(
                    await self._nudge("remind", link, case.id, undecided, waited, now, away)
                )
            if (
                not approvals
                and case.due_date <= local.date() + timedelta(days=1)
                and await self._claim(case.id, "escalated_at", now, None)
            ):
                approvers = tuple(sorted(policy.named_approvers))
                nudges.append(
                    await self._nudge("escalate", link, case.id, approvers, waited, now, away)
                )
        return nudges

    async def keep(self, nudge: Nudge, now: datetime) -> bool:
        """Renew the nudge's claim just before sending it: False when another replica took it
        over (this one was slower than its lease), and must then leave it to that one."""
        return await claims.keep(self.db, self.claimant, nudge.kind, nudge.claim, now)

    async def sent(self, nudge: Nudge, now: datetime) -> None:
        """The nudge was sent (or failed for good): its claim is done."""
        await claims.done(self.db, nudge.kind, nudge.claim, now)

    async def _taken_over(self, now: datetime, away: AwayLookup | None) -> list[Nudge]:
        nudges = []
        for held in await claims.take_over_expired(self.db, self.claimant, NUDGE_KINDS, now):
            nudge = await self._again(held, now, away)
            if nudge is None:
                await claims.done(self.db, held.kind, held.subject, now)
            else:
                nudges.append(nudge)
        return nudges

    async def _again(self, held: Held, now: datetime, away: AwayLookup | None) -> Nudge | None:
        """The nudge a dead replica claimed and never sent, as it stands now; None when it no
        longer applies (the bill decided, an escalated bill approved meanwhile)."""
        async with self.db.read() as s:
            found = (
                await s.execute(
                    select(BillCase, CompanyLink)
                    .join(CompanyLink, CompanyLink.id == BillCase.link_id)
                    .where(BillCase.id == _case_of(held.subject))
                )
            ).first()
            if found is None:
                return None
            case, link = found
            approvals = set(await approval_people(s, case.id))
        kind: NudgeKind = held.kind  # type: ignore[assignment]
        waited = now - (case.opened_at or case.updated_at)
        if kind == "approved_by_policy":
            return await self._nudge(kind, link, case.id, (), waited, now, away, held.subject)
        if case.state != CaseState.PENDING or link.archived or (kind == "escalate" and approvals):
            return None
        policy = await self.links.policy_for(link, fresh=False)
        who = policy.named_approvers if kind == "escalate" else policy.named_approvers - approvals
        return await self._nudge(
            kind, link, case.id, tuple(sorted(who)), waited, now, away, held.subject
        )

    async def _claim(
        self,
        case_id: int,
        column: Literal["reminded_at", "escalated_at"],
        now: datetime,
        before: datetime | None,
    ) -> bool:
        """Move the case's reminder or escalation time to `now` if it is unset (or, with
        `before`, older than that), in one statement, and hold the nudge's claim in the same
        transaction: True for the one caller that did."""
        when = BillCase.reminded_at if column == "reminded_at" else BillCase.escalated_at
        due = when.is_(None) if before is None else or_(when.is_(None), when <= before)
        kind: NudgeKind = "remind" if column == "reminded_at" else "escalate"
        async with self.db.write() as s:
            result = await s.execute(
                update(BillCase)
                .where(BillCase.id == case_id, BillCase.state == CaseState.PENDING, due)
                .values({when: now})
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            claims.hold(s, self.claimant, kind, claim_subject(case_id, now), now)
            return True

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
            claims.hold(s, self.claimant, "approved_by_policy", claim_subject(case.id, now), now)
        return True

    async def _nudge(
        self,
        kind: NudgeKind,
        link: CompanyLink,
        case_id: int,
        who: tuple[str, ...],
        waited: timedelta,
        now: datetime,
        away: AwayLookup | None,
        claim: str | None = None,
    ) -> Nudge:
        async with self.db.read() as s:
            case = await s.get(BillCase, case_id)
            assert case is not None
            (view,) = await views_of(s, [case])
            decided = set(await approval_people(s, case_id)) if who and away else set()
        delegates = []
        for user_id in who if away is not None else ():
            delegate = await away.delegate_of(link.team_id, user_id) if away else None
            if delegate is not None and delegate not in decided:
                delegates.append((user_id, delegate))
        subject = claim if claim is not None else claim_subject(case_id, now)
        return Nudge(kind, link.team_id, link.id, view, who, waited, subject, tuple(delegates))
