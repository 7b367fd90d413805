"""A person's queue, as their App Home shows it: the bills waiting for their approval, those ready
for them to pay, the payments scheduled in channels they pay for, what is overdue per company and
the latest activity of the workspace's linked channels.

Everything is read from the bot's own database, the mirror of each company's bills and the
cases, decisions, payments and audit trail: drawing a Home never calls the payables API, however
many people open it. Who may approve or pay is the channel's policy (`EffectivePolicy`) and the
bill's separation of duties (`billpay.bills.duties`), as the card's buttons decide it at click
time; a bill listed here is still checked again when a person acts on it.

A bill the bot has a case for counts with the case's figures and state; any other with the
mirror's, as `/bills` counts it (`billpay.bills.listing_sql`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from billpay.bills import listing_sql
from billpay.bills.duties import Origin, payment_refusal
from billpay.bills.links import Links
from billpay.bills.listing import BillFilter
from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import CaseState, PaymentStatus
from billpay.core.queue import Activity, CompanyOverdue, Queue, QueuedBill, ScheduledLine
from billpay.payables.models import OUTSTANDING_STATUSES
from billpay.store.db import Database
from billpay.store.models import (
    AuditEvent,
    BillCase,
    BillMessage,
    BillMessageCard,
    BillOrigin,
    CompanyLink,
    Decision,
    MirroredBill,
    Payment,
)

# What a Home shows of each section at most; the rest is counted ("and 40 more").
WAITING_SHOWN = 20
READY_SHOWN = 10
SCHEDULED_SHOWN = 8
ACTIVITY_SHOWN = 6
# The audit events a Home's recent activity tells (what people did to bills and payments).
ACTIVITY = (
    "bill_approved",
    "bill_rejected",
    "bill_reopened",
    "bill_created",
    "payment_recorded",
    "payment_scheduled",
    "payment_cancelled",
    "payment_undone",
    "payment_refused",
    "case_closed",
)
_READY = (CaseState.APPROVED.value, CaseState.FAILED.value)


# Something is still owed on the bill as mirrored, and on a case (SQLite keeps money as text).
_mirror_owes = and_(
    MirroredBill.owed_units >= 0,
    or_(MirroredBill.owed_units > 0, MirroredBill.owed_fraction > 0),
)


def _or(owed: Decimal | None, total: Decimal) -> Decimal:
    return owed if owed is not None else total


def _owes(amount: Any) -> Any:
    return cast(amount, Float) > 0


class Queues:
    def __init__(self, db: Database, links: Links, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.links = links
        self.clock = clock
        # Who decides in an away approver's place: their bills wait in the delegate's Home too.
        self.acting_for: Callable[[str, str, EffectivePolicy], Awaitable[list[str]]] | None = None

    async def _decides_for_someone(
        self, team_id: str, user_id: str, policy: EffectivePolicy
    ) -> bool:
        return self.acting_for is not None and bool(await self.acting_for(team_id, user_id, policy))

    async def queue_of(self, team_id: str, user_id: str, today: date) -> Queue:
        """The person's queue in this workspace, as of `today` (their own date)."""
        async with self.db.read() as s:
            links = list(
                await s.scalars(
                    select(CompanyLink)
                    .where(CompanyLink.team_id == team_id, CompanyLink.archived.is_(False))
                    .order_by(CompanyLink.linked_at, CompanyLink.id)
                )
            )
        # Only shown: a group's members as read a minute ago (each decision reads them again).
        policies = {link.id: await self.links.policy_for(link, fresh=False) for link in links}
        approving = [
            link
            for link in links
            if policies[link.id].may_approve(user_id)
            or await self._decides_for_someone(team_id, user_id, policies[link.id])
        ]
        paying = [link for link in links if policies[link.id].may_pay(user_id)]
        channels = [(link.channel_id, link.company_name, link.base_currency) for link in links]
        async with self.db.read() as s:
            waiting, waiting_count = await _waiting(s, approving, user_id)
            ready, ready_count = await _ready(s, paying, policies, user_id)
            scheduled, scheduled_count = await _scheduled(s, paying)
            cards = await _cards(s, links, [*waiting, *ready, *(x.bill for x in scheduled)])
            overdue = await _overdue(s, links, today)
            activity = await _activity(s, team_id, links)
        placed = _placed(cards)
        return Queue(
            channels=channels,
            waiting=[placed(b) for b in waiting],
            waiting_count=waiting_count,
            ready=[placed(b) for b in ready],
            ready_count=ready_count,
            scheduled=[
                ScheduledLine(placed(x.bill), x.amount, x.currency, x.payment_date)
                for x in scheduled
            ],
            scheduled_count=scheduled_count,
            overdue=overdue,
            activity=activity,
        )

    async def bills(self, team_id: str, keys: Sequence[tuple[str, str]]) -> list[QueuedBill]:
        """These bills (channel, bill id) of the workspace, as the Home shows them, in the order
        given, whatever their state (a bill paid since is still named): for a form that
        confirms what a person ticked, and says what became of each."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        on_case = and_(BillCase.link_id == CompanyLink.id, BillCase.bill_id == MirroredBill.bill_id)
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink, MirroredBill, BillCase)
                .select_from(MirroredBill)
                .join(
                    CompanyLink,
                    and_(
                        CompanyLink.company_id == MirroredBill.company_id,
                        CompanyLink.connection_id == MirroredBill.connection_id,
                    ),
                )
                .outerjoin(BillCase, on_case)
                .where(
                    CompanyLink.team_id == team_id,
                    CompanyLink.archived.is_(False),
                    CompanyLink.channel_id.in_({channel for channel, _ in wanted}),
                    MirroredBill.bill_id.in_({bill_id for _, bill_id in wanted}),
                )
            )
            found: dict[tuple[str, str], QueuedBill] = {}
            for link, mirrored, case in rows:
                if case is not None:
                    found[(link.channel_id, case.bill_id)] = _of_case(link, case, 0)
                    continue
                found[(link.channel_id, mirrored.bill_id)] = QueuedBill(
                    channel_id=link.channel_id,
                    company_name=link.company_name,
                    bill_id=mirrored.bill_id,
                    supplier_name=mirrored.supplier_name or "",
                    reference=mirrored.reference,
                    currency=mirrored.currency,
                    amount_due=_or(mirrored.amount_due, mirrored.total_amount),
                    due_date=mirrored.due_date,
                )
        return [found[key] for key in wanted if key in found]


async def _waiting(
    s: AsyncSession, links: Sequence[CompanyLink], user_id: str
) -> tuple[list[QueuedBill], int]:
    """Outstanding bills of the channels where the person may approve, waiting for approval,
    that they have not approved and did not bring in: most overdue first."""
    if not links:
        return [], 0
    approved_by_them = exists().where(
        Decision.case_id == BillCase.id, Decision.kind == "approve", Decision.user_id == user_id
    )
    brought_in = exists().where(
        BillOrigin.company_id == MirroredBill.company_id,
        BillOrigin.bill_id == MirroredBill.bill_id,
        or_(BillOrigin.created_by == user_id, BillOrigin.requested_by == user_id),
    )
    due = func.coalesce(BillCase.due_date, MirroredBill.due_date)
    on_link = and_(
        CompanyLink.company_id == MirroredBill.company_id,
        CompanyLink.connection_id == MirroredBill.connection_id,
    )
    on_case = and_(BillCase.link_id == CompanyLink.id, BillCase.bill_id == MirroredBill.bill_id)
    where = [
        CompanyLink.id.in_([link.id for link in links]),
        MirroredBill.status.in_(OUTSTANDING_STATUSES),
        or_(
            and_(BillCase.id.is_(None), _mirror_owes),
            and_(BillCase.state == CaseState.PENDING.value, _owes(BillCase.amount_due)),
        ),
        ~approved_by_them,
        ~brought_in,
    ]

    def query(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(MirroredBill)
            .join(CompanyLink, on_link)
            .outerjoin(BillCase, on_case)
            .where(*where)
        )

    count = await s.scalar(query(func.count()))
    rows = await s.execute(
        query(
            CompanyLink.channel_id,
            CompanyLink.company_name,
            MirroredBill.bill_id,
            MirroredBill.supplier_name,
            MirroredBill.reference,
            MirroredBill.currency,
            MirroredBill.amount_due,
            MirroredBill.total_amount,
            MirroredBill.due_date,
            BillCase.id,
            BillCase.supplier_name,
            BillCase.currency,
            BillCase.amount_due,
            BillCase.due_date,
            BillCase.version,
            BillCase.approvals_required,
        )
        .order_by(due.is_(None), due, MirroredBill.supplier_folded, MirroredBill.bill_id)
        .limit(WAITING_SHOWN)
    )
    found = list(rows)
    case_ids = [row[9] for row in found if row[9] is not None]
    counts: dict[int, int] = {}
    if case_ids:
        counted = await s.execute(
            select(Decision.case_id, func.count())
            .where(Decision.case_id.in_(case_ids), Decision.kind == "approve")
            .group_by(Decision.case_id)
        )
        counts = {case_id: n for case_id, n in counted}
    bills = []
    for (
        channel_id,
        company,
        bill_id,
        supplier,
        reference,
        currency,
        owed,
        total,
        due_date,
        case_id,
        case_supplier,
        case_currency,
        case_owed,
        case_due,
        version,
        required,
    ) in found:
        bills.append(
            QueuedBill(
                channel_id=channel_id,
                company_name=company,
                bill_id=bill_id,
                supplier_name=case_supplier or supplier or "",
                reference=reference,
                currency=case_currency or currency,
                amount_due=case_owed
                if case_id is not None
                else (owed if owed is not None else total),
                due_date=case_due or due_date,
                version=version,
                approvals=counts.get(case_id, 0) if case_id is not None else 0,
                approvals_required=required or 1,
            )
        )
    return bills, count or 0


async def _ready(
    s: AsyncSession,
    links: Sequence[CompanyLink],
    policies: dict[int, EffectivePolicy],
    user_id: str,
) -> tuple[list[QueuedBill], int]:
    """Approved bills (or bills whose last payment was refused) the person may pay: the
    channel's policy and the bill's history (who approved it, who brought it in) both allow it."""
    if not links:
        return [], 0
    by_id = {link.id: link for link in links}
    cases = list(
        await s.scalars(
            select(BillCase)
            .where(
                BillCase.link_id.in_(list(by_id)),
                BillCase.state.in_(_READY),
                _owes(BillCase.amount_due),
            )
            .order_by(BillCase.due_date, BillCase.supplier_name, BillCase.bill_id)
        )
    )
    if not cases:
        return [], 0
    approvals: dict[int, list[str]] = {case.id: [] for case in cases}
    for case_id, approver in await s.execute(
        select(Decision.case_id, Decision.user_id).where(
            Decision.case_id.in_(list(approvals)), Decision.kind == "approve"
        )
    ):
        approvals[case_id].append(approver)
    origins = {
        (company_id, bill_id): Origin(created_by, requested_by)
        for company_id, bill_id, created_by, requested_by in await s.execute(
            select(
                BillOrigin.company_id,
                BillOrigin.bill_id,
                BillOrigin.created_by,
                BillOrigin.requested_by,
            ).where(BillOrigin.bill_id.in_([case.bill_id for case in cases]))
        )
    }
    ready = []
    for case in cases:
        link = by_id[case.link_id]
        origin = origins.get((link.company_id, case.bill_id))
        if payment_refusal(policies[link.id], origin, approvals[case.id], user_id) is None:
            ready.append(_of_case(link, case, len(approvals[case.id])))
    return ready[:READY_SHOWN], len(ready)


async def _scheduled(
    s: AsyncSession, links: Sequence[CompanyLink]
) -> tuple[list[ScheduledLine], int]:
    """Payments still to go out, in the channels where the person may pay: soonest first."""
    if not links:
        return [], 0
    by_id = {link.id: link for link in links}
    where = [Payment.status == PaymentStatus.SCHEDULED.value, BillCase.link_id.in_(list(by_id))]
    count = await s.scalar(select(func.count()).select_from(Payment).join(BillCase).where(*where))
    rows = await s.execute(
        select(Payment, BillCase)
        .join(BillCase, BillCase.id == Payment.case_id)
        .where(*where)
        .order_by(Payment.payment_date, Payment.id)
        .limit(SCHEDULED_SHOWN)
    )
    lines = [
        ScheduledLine(
            _of_case(by_id[case.link_id], case, 0),
            payment.amount,
            payment.currency,
            payment.payment_date,
        )
        for payment, case in rows
    ]
    return lines, count or 0


def _of_case(link: CompanyLink, case: BillCase, approvals: int) -> QueuedBill:
    return QueuedBill(
        channel_id=link.channel_id,
        company_name=link.company_name,
        bill_id=case.bill_id,
        supplier_name=case.supplier_name,
        reference=case.reference,
        currency=case.currency,
        amount_due=case.amount_due,
        due_date=case.due_date,
        version=case.version,
        approvals=approvals,
        approvals_required=case.approvals_required,
    )


async def _cards(
    s: AsyncSession, links: Sequence[CompanyLink], bills: Sequence[QueuedBill]
) -> dict[tuple[str, str], tuple[str, str]]:
    """The newest message (not out of date) showing each bill, by (channel, bill)."""
    if not bills:
        return {}
    channel_of = {link.id: link.channel_id for link in links}
    rows = await s.execute(
        select(
            BillMessageCard.link_id, BillMessageCard.bill_id, BillMessage.channel_id, BillMessage.ts
        )
        .join(BillMessage, BillMessage.id == BillMessageCard.message_id)
        .where(
            BillMessageCard.link_id.in_(list(channel_of)),
            BillMessageCard.bill_id.in_(list({bill.bill_id for bill in bills})),
            BillMessage.out_of_date.is_(False),
        )
        .order_by(BillMessage.id.desc())
    )
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for link_id, bill_id, channel_id, ts in rows:
        found.setdefault((channel_of[link_id], bill_id), (channel_id, ts))
    return found


def _placed(cards: dict[tuple[str, str], tuple[str, str]]) -> Callable[[QueuedBill], QueuedBill]:
    def placed(bill: QueuedBill) -> QueuedBill:
        card = cards.get((bill.channel_id, bill.bill_id))
        return bill if card is None else _with_card(bill, card)

    return placed


def _with_card(bill: QueuedBill, card: tuple[str, str]) -> QueuedBill:
    return replace(bill, card=card)


async def _overdue(
    s: AsyncSession, links: Sequence[CompanyLink], today: date
) -> list[CompanyOverdue]:
    """What is overdue per company (once per company, under its first linked channel), per
    currency, as `/bills overdue` would sum it."""
    seen: set[tuple[str, str]] = set()
    found = []
    for link in links:
        key = (link.company_id, link.connection_id)
        if key in seen:
            continue
        seen.add(key)
        summary = await listing_sql.summary(s, link, BillFilter(kind="overdue"), today)
        if summary.count:
            found.append(
                CompanyOverdue(link.company_name, link.channel_id, summary.count, summary.totals)
            )
    return found


async def _activity(s: AsyncSession, team_id: str, links: Sequence[CompanyLink]) -> list[Activity]:
    """The latest things people did to bills in the workspace's linked channels."""
    if not links:
        return []
    events = list(
        await s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.team_id == team_id,
                AuditEvent.channel_id.in_([link.channel_id for link in links]),
                AuditEvent.action.in_(ACTIVITY),
            )
            .order_by(AuditEvent.id.desc())
            .limit(ACTIVITY_SHOWN)
        )
    )
    link_of = {link.channel_id: link.id for link in links}
    names: dict[tuple[int, str], tuple[str | None, str | None]] = {}
    wanted = {(link_of[e.channel_id], e.bill_id) for e in events if e.channel_id and e.bill_id}
    if wanted:
        for link_id, bill_id, supplier_name, bill_reference in await s.execute(
            select(
                BillCase.link_id, BillCase.bill_id, BillCase.supplier_name, BillCase.reference
            ).where(
                BillCase.link_id.in_({link_id for link_id, _ in wanted}),
                BillCase.bill_id.in_({bill_id for _, bill_id in wanted}),
            )
        ):
            names[(link_id, bill_id)] = (supplier_name, bill_reference)
    found = []
    for event in events:
        key = (link_of.get(event.channel_id or "", 0), event.bill_id or "")
        supplier, reference = names.get(key, (None, None))
        found.append(
            Activity(event.at, event.actor, event.action, event.channel_id, supplier, reference)
        )
    return found
