"""The bill's lifecycle in Slack: links, policy checks and state transitions. No Slack calls.

    pending → approved → (scheduled →) paying → paid        pending → rejected
    paying → failed (a payer may retry)                      any open state → closed

Each transition is one database transaction that locks the case row (and is guarded by its
version), and writes its audit event in the same transaction. A payment's idempotency key is
committed before the payables API is called, so a double click, a Slack retry or a second
replica can never record a payment twice. Every time it records comes from its injected `clock`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills.cases import (
    OPEN_STATES,
    Denied,
    NotLinked,
    Outcome,
    approvals_of,
    audit,
    case_for_update,
    last_payment,
    not_pending_text,
    stamp,
    sync_case,
    views_of,
)
from billpay.bills.listing import BillFilter, Listed, order_bills
from billpay.bills.messages import MessageStore
from billpay.bills.policy import EffectivePolicy
from billpay.bills.questions import Questions
from billpay.config import Settings
from billpay.core.bounds import reason_problem
from billpay.core.domain import CaseRef, CaseState, CaseView, SupplierMatch
from billpay.core.errors import CardOutOfDate, MessageOutOfDate
from billpay.core.i18n import N_, Phrase
from billpay.core.mrkdwn import escape
from billpay.invoices.service import BillFacts, Invoices
from billpay.payables.client import PayablesClient
from billpay.payables.errors import BillNotOutstanding
from billpay.payables.models import Bill
from billpay.payables.query import outstanding_bills
from billpay.payments.service import OPTIONS_TTL_SECONDS, OptionsCache, Payments
from billpay.store.db import Database, utcnow
from billpay.store.models import (
    AuditEvent,
    BillCase,
    BillMessage,
    CompanyLink,
    Decision,
    Policy,
)

# How long a person waits on a click: reads, then the payment itself (after the modal says so).
READ_DEADLINE_SECONDS = 8.0
PAYMENT_DEADLINE_SECONDS = 25.0


# ---------------------------------------------------------------- the workflow


@dataclass(frozen=True)
class Listing:
    listed: list[Listed]
    bills: dict[str, Bill]  # as just read, by id
    changed: list[str]  # bills whose case the listing brought up to date


def changed_since(s: AsyncSession, case: BillCase, seen: int | None) -> bool:
    """Whether the case is not as a card that showed version `seen` drew it: changed since,
    or changing now because the bill was just read with other figures."""
    return seen is not None and (case.version != seen or s.is_modified(case))


class Workflow:
    def __init__(
        self,
        db: Database,
        payables: PayablesClient,
        settings: Settings,
        *,
        options: OptionsCache | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.reads = payables.with_deadline(READ_DEADLINE_SECONDS)
        self.options = options or OptionsCache(ttl=OPTIONS_TTL_SECONDS)
        self.invoices = Invoices(self, self.reads, payables.with_deadline(PAYMENT_DEADLINE_SECONDS))
        self.questions = Questions(self)
        self.messages = MessageStore(db, clock)
        self.payments = Payments(
            self,
            db,
            settings,
            reads=self.reads,
            api=payables.with_deadline(PAYMENT_DEADLINE_SECONDS),
            options=self.options,
        )

    # ------------------------------------------------------------ links and policies

    async def link_for(self, team_id: str, channel_id: str) -> CompanyLink:
        async with self.db.read() as s:
            link = await s.scalar(
                select(CompanyLink).where(
                    CompanyLink.team_id == team_id, CompanyLink.channel_id == channel_id
                )
            )
        if link is None:
            raise NotLinked(
                N_(
                    "This channel isn't linked to a company yet. Run `/billpay connect` here to "
                    "link it, then `/bills` again."
                )
            )
        return link

    async def policy_for(self, link: CompanyLink) -> EffectivePolicy:
        async with self.db.read() as s:
            row = await s.get(Policy, link.id)
        return (
            EffectivePolicy.from_row(row) if row else EffectivePolicy.from_settings(self.settings)
        )

    async def connect(
        self, team_id: str, channel_id: str, user_id: str, choice: str = ""
    ) -> tuple[CompanyLink, bool]:
        """Link the channel to a company: the one named or whose id is given, or the only one
        there is. Returns the link and whether it is new. Raises `Denied` listing the
        companies when the choice is ambiguous.

        Only approvers may link, and a company's bills are handled in one channel of a
        workspace, so approvals given in one channel cannot be side-stepped in another."""
        policy = EffectivePolicy.from_settings(self.settings)
        if not policy.may_approve(user_id):
            raise Denied(
                N_("Only {who} can link a channel to a company."), who=policy.who_may_approve()
            )
        companies = [c async for c in self.reads.iter_companies()]
        choice = choice.strip()
        if choice:
            wanted = choice.casefold()
            matches = [c for c in companies if c.id == choice or c.name.casefold() == wanted]
        else:
            matches = [
                c for c in companies if any(x.status == "Linked" for x in c.data_connections)
            ]
        if len(matches) != 1:
            listed = "\n".join(f"• {escape(c.name)} (`{c.id}`)" for c in companies[:10])
            if choice and not matches:
                raise Denied(
                    N_(
                        "No company matches “{choice}”. Run `/billpay connect <company name or "
                        "id>` with one of:\n{companies}"
                    ),
                    choice=escape(choice),
                    companies=listed or Phrase(N_("none")),
                )
            raise Denied(
                N_(
                    "Several companies could be linked. Run `/billpay connect <company name or "
                    "id>` with one of:\n{companies}"
                ),
                companies=listed or Phrase(N_("none")),
            )
        company = matches[0]
        connection = next((x for x in company.data_connections if x.status == "Linked"), None)
        if connection is None:
            raise Denied(
                N_(
                    "{company} has no linked accounting platform yet; finish linking it in the "
                    "payables service, then run `/billpay connect` again."
                ),
                company=escape(company.name),
            )
        info = await self.reads.get_company_information(company.id, connection.id)
        async with self.db.write() as s:
            now = self.clock()
            elsewhere = await s.scalar(
                select(CompanyLink.channel_id).where(
                    CompanyLink.team_id == team_id,
                    CompanyLink.company_id == company.id,
                    CompanyLink.connection_id == connection.id,
                    CompanyLink.channel_id != channel_id,
                    CompanyLink.archived.is_(False),
                )
            )
            if elsewhere is not None:
                raise Denied(
                    N_(
                        "{company} is already linked to <#{channel}>; its bills are approved "
                        "and paid there."
                    ),
                    company=escape(company.name),
                    channel=elsewhere,
                )
            link = await s.scalar(
                select(CompanyLink)
                .where(CompanyLink.team_id == team_id, CompanyLink.channel_id == channel_id)
                .with_for_update()
            )
            if link is not None and (link.company_id, link.connection_id) != (
                company.id,
                connection.id,
            ):
                # Another company: the old link keeps its cases and history, out of the way.
                audit(
                    s,
                    link,
                    user_id,
                    "channel_unlinked",
                    None,
                    now=now,
                    company_name=link.company_name,
                )
                link.channel_id = f"{channel_id}~{link.id}"
                link.archived = True
                await s.flush()
                link = None
            created = link is None
            if link is None:
                link = CompanyLink(team_id=team_id, channel_id=channel_id)
                s.add(link)
            link.company_id = company.id
            link.connection_id = connection.id
            link.company_name = info.company_name or company.name
            link.base_currency = (info.base_currency or "GBP").upper()
            link.linked_by = user_id
            link.linked_at = now
            await s.flush()
            audit(s, link, user_id, "channel_linked", None, now=now, company_name=link.company_name)
        return link, created

    async def links_of_team(self, team_id: str) -> list[tuple[str, str, str]]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink.channel_id, CompanyLink.company_name, CompanyLink.base_currency)
                .where(CompanyLink.team_id == team_id, CompanyLink.archived.is_(False))
                .order_by(CompanyLink.linked_at)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def record_digest_changed(self, link_id: int, user_id: str) -> None:
        async with self.db.write() as s:
            link = await s.get(CompanyLink, link_id)
            if link is not None:
                audit(s, link, user_id, "digest_changed", None, now=self.clock())

    async def record_digest_paused(self, link_id: int, reason: str) -> None:
        async with self.db.write() as s:
            link = await s.get(CompanyLink, link_id)
            if link is not None:
                audit(s, link, "scheduler", "digest_paused", None, now=self.clock(), reason=reason)

    async def record_team_event(self, team_id: str, action: str) -> None:
        async with self.db.write() as s:
            s.add(
                AuditEvent(
                    at=self.clock(), team_id=team_id, actor="slack", action=action, details={}
                )
            )

    # ------------------------------------------------------------ listing

    async def list_bills(
        self, link: CompanyLink, bill_filter: BillFilter, today: date
    ) -> list[Bill]:
        """The link's outstanding bills that match the filter, overdue first."""
        bills = [
            bill
            async for bill in self.reads.iter_bills(
                link.company_id, link.connection_id, query=outstanding_bills()
            )
            if bill.is_outstanding and bill_filter.matches(bill, today)
        ]
        return order_bills(bills, today)

    async def listing(self, link: CompanyLink, bill_filter: BillFilter, today: date) -> Listing:
        """Every outstanding bill that matches the filter's dates and text, overdue first, as
        the listing holds it (`bill_filter.shows` tells which it shows: rejected bills only in
        `/bills rejected`), and the bills as just read. Cases the bot already has are brought
        up to date (`Listing.changed` names those whose figures moved, so the messages showing
        them can be updated); none is opened for a bill nobody has been shown yet."""
        bills = await self.list_bills(link, bill_filter, today)
        policy = await self.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            known = set(
                await s.scalars(
                    select(BillCase.bill_id).where(
                        BillCase.link_id == link.id, BillCase.bill_id.in_([b.id for b in bills])
                    )
                )
            )
            cases, changed = [], []
            for bill in bills:
                if bill.id in known:
                    cases.append(case := await sync_case(s, link, bill, policy, now=now))
                    if s.is_modified(case):  # before the next query flushes it
                        changed.append(case.bill_id)
            await s.flush()
            views = {view.bill_id: view for view in await views_of(s, cases)}
        listed = [
            Listed.of_case(views[bill.id]) if bill.id in views else Listed.of_bill(bill)
            for bill in bills
        ]
        return Listing(listed, {bill.id: bill for bill in bills}, changed)

    async def sync_cases(
        self,
        link: CompanyLink,
        bills: Sequence[Bill],
        facts: dict[str, BillFacts] | None = None,
    ) -> dict[str, CaseView]:
        """Bring the cases of `bills` up to date with what the API just said (and, for a
        page of cards, with their files and possible duplicates)."""
        policy = await self.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            cases = [await sync_case(s, link, bill, policy, now=now) for bill in bills]
            await s.flush()
            for case in cases:
                await Invoices.apply(s, case, (facts or {}).get(case.bill_id))
            views = await views_of(s, cases)
        return {view.bill_id: view for view in views}

    async def message(self, channel_id: str, ts: str) -> BillMessage | None:
        return await self.messages.get(channel_id, ts)

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
        link = await self.link_for(team_id, channel_id)
        return await self.fresh_view(link, bill_id, await self.policy_for(link))

    async def find_suppliers(
        self, link: CompanyLink, text: str, limit: int = 5
    ) -> list[SupplierMatch]:
        """Suppliers whose name contains `text`, with what is still owed to each."""
        wanted = text.casefold()
        suppliers = [
            s
            async for s in self.reads.iter_suppliers(link.company_id, link.connection_id)
            if wanted in (s.supplier_name or "").casefold()
        ]
        suppliers.sort(key=lambda s: (s.status != "Active", (s.supplier_name or "").casefold()))
        suppliers = suppliers[:limit]
        owed: dict[str, list[Bill]] = {s.id: [] for s in suppliers}
        if suppliers:
            async for bill in self.reads.iter_bills(
                link.company_id, link.connection_id, query=outstanding_bills()
            ):
                if bill.supplier_ref.id in owed:
                    owed[bill.supplier_ref.id].append(bill)
        return [SupplierMatch(s, owed[s.id]) for s in suppliers]

    # ------------------------------------------------------------ approvals

    async def ensure_current(self, channel_id: str, message_ts: str | None) -> None:
        """Refuse a click from a `/bills` message retired as out of date."""
        if await self.messages.is_out_of_date(channel_id, message_ts):
            raise MessageOutOfDate()

    async def approve(self, ref: CaseRef, user_id: str, seen: int | None = None) -> Outcome:
        """Approve the bill; with `seen` (the case version its card showed), only if the bill
        is still as the card showed it, else `CardOutOfDate` once its case is brought up to
        date."""
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self.denied(link, user_id, "approve", bill_id)
            raise Denied(
                N_("Only {who} can approve bills in this channel. Nothing was changed."),
                who=policy.who_may_approve(),
            )
        bill = await self.read_bill(link, bill_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            notice = None
            approvals = await approvals_of(s, case.id)
            stale = False
            if case.state != CaseState.PENDING:
                notice = not_pending_text(case)
            elif user_id in approvals:
                more = case.approvals_required - len(approvals)
                notice = Phrase(
                    N_(
                        "You have already approved this bill; it needs {n} more approval from "
                        "someone else."
                    ),
                    n=more,
                )
            elif stale := changed_since(s, case, seen):
                pass  # the card showed other figures: refused once the case is up to date
            else:
                s.add(Decision(case_id=case.id, kind="approve", user_id=user_id, created_at=now))
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
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self.denied(link, user_id, "reject", bill_id)
            raise Denied(
                N_("Only {who} can reject bills in this channel. Nothing was changed."),
                who=policy.who_may_approve(),
            )
        view = await self.case_view(link, bill_id)
        if view is not None and view.state not in (CaseState.PENDING, CaseState.APPROVED):
            raise Denied(not_pending_text(view))
        if seen is not None and view is not None and view.version != seen:
            raise CardOutOfDate()
        return view or await self.fresh_view(link, bill_id, policy)

    async def reject(
        self, ref: CaseRef, user_id: str, reason: str, seen: int | None = None
    ) -> Outcome:
        team_id, channel_id, bill_id = ref.team_id, ref.channel_id, ref.bill_id
        reason = reason.strip()
        if problem := reason_problem(reason):
            raise Denied(problem)
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self.denied(link, user_id, "reject", bill_id)
            raise Denied(
                N_("Only {who} can reject bills in this channel."), who=policy.who_may_approve()
            )
        bill = await self.read_bill(link, bill_id)
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
        link = await self.link_for(ref.team_id, ref.channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self.denied(link, user_id, "reopen", ref.bill_id)
            raise Denied(
                N_(
                    "Only approvers can reopen a rejected bill in this channel. "
                    "Nothing was changed."
                )
            )
        view = await self.case_view(link, ref.bill_id)
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
        link = await self.link_for(ref.team_id, ref.channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self.denied(link, user_id, "reopen", ref.bill_id)
            raise Denied(N_("Only approvers can reopen a rejected bill in this channel."))
        bill = await self.read_bill(link, ref.bill_id)
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

    async def read_bill(self, link: CompanyLink, bill_id: str) -> Bill:
        try:
            return await self.reads.get_bill(link.company_id, link.connection_id, bill_id)
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
            last = await last_payment(s, case.id)
            if last is not None and last.outcome_unknown:
                return  # perhaps our own payment settled it: only reconciliation may tell
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
