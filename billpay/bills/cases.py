"""The bot's record of each bill (its case), in the caller's transaction: locking a case,
bringing it up to date from the payables API, loading its approvals and payments, turning rows
into the views the blocks render (their types live in `billpay.core.domain`), the words for a
case's state, and the audit trail every transaction writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from billpay.bills.policy import EffectivePolicy
from billpay.core.domain import (
    CaseState,
    CaseView,
    Duplicate,
    OpenQuestion,
    PaymentStatus,
    PaymentView,
    PendingInvoice,
)
from billpay.core.i18n import N_, Phrase
from billpay.core.mrkdwn import escape
from billpay.payables.models import Bill
from billpay.store.models import (
    AuditEvent,
    BillCase,
    BillMessage,
    CompanyLink,
    Decision,
    Payment,
    Question,
)

OPEN_STATES = {CaseState.PENDING, CaseState.APPROVED, CaseState.FAILED}


# ---------------------------------------------------------------- what a decision returns


@dataclass(frozen=True)
class Outcome:
    case: CaseView
    notice: Phrase | None = None  # told only to the person who acted, in their language


async def case_for_update(s: AsyncSession, link_id: int, bill_id: str) -> BillCase | None:
    return await s.scalar(
        select(BillCase)
        .where(BillCase.link_id == link_id, BillCase.bill_id == bill_id)
        .with_for_update()
    )


async def sync_case(
    s: AsyncSession, link: CompanyLink, bill: Bill, policy: EffectivePolicy, *, now: datetime
) -> BillCase:
    """Create or refresh the case of `bill` from what the API said, holding its row lock;
    a case that changes is stamped `now`."""
    case = await case_for_update(s, link.id, bill.id)
    if case is None:
        try:
            async with s.begin_nested():
                case = BillCase(
                    link_id=link.id,
                    bill_id=bill.id,
                    state=CaseState.PENDING,
                    opened_at=now,
                    updated_at=now,
                )
                copy_bill(case, bill, link.base_currency)
                case.approvals_required = policy.approvals_needed(case.base_amount)
                s.add(case)
                await s.flush()
        except IntegrityError:  # created by a concurrent request: use theirs
            case = await case_for_update(s, link.id, bill.id)
            assert case is not None
        else:
            return case
    copy_bill(case, bill, link.base_currency)
    if case.state == CaseState.PENDING:
        case.approvals_required = policy.approvals_needed(case.base_amount)
    # A case with a payment in flight or in doubt never closes on a read: perhaps that payment
    # is what paid the bill, and only settling it may tell.
    if not bill.is_outstanding and case.state in OPEN_STATES | {CaseState.SCHEDULED}:
        case.state = CaseState.CLOSED
        case.note = closed_note(bill.status).dump()
        audit(s, link, "system", "case_closed", bill.id, now=now, bill_status=bill.status)
    if s.is_modified(case):
        stamp(case, now)
    return case


def stamp(row: BillCase | Payment | BillMessage, now: datetime) -> None:
    """Record that `row` changed at `now`, the services' clock. Flagged as changed even when
    equal, so the write always happens (it bumps a versioned row) and the column's wall-clock
    `onupdate`, a fallback for writes elsewhere, never replaces it."""
    row.updated_at = now
    flag_modified(row, "updated_at")


def copy_bill(case: BillCase, bill: Bill, base_currency: str) -> None:
    modified = _modified(bill)
    if modified is not None and case.bill_modified is not None and modified < case.bill_modified:
        return  # read before a change we have already seen
    case.supplier_name = bill.supplier_ref.supplier_name or "Unknown supplier"
    case.reference = bill.reference
    case.currency = bill.currency
    case.total_amount = bill.total_amount
    case.issue_date = bill.issued_on
    case.due_date = bill.due_on
    if not case.figures_estimated or _shows_a_change(case, bill, modified):
        # The platform's own figures, the bot's estimate of a recorded payment included.
        case.bill_modified = modified
        case.amount_due = bill.outstanding_amount
        case.bill_status = bill.status
        case.figures_estimated = False
    if bill.currency.upper() == base_currency:
        case.base_amount = bill.total_amount
    elif bill.currency_rate:
        case.base_amount = bill.total_amount * bill.currency_rate
    else:
        case.base_amount = None


def _shows_a_change(case: BillCase, bill: Bill, modified: datetime | None) -> bool:
    """After a payment the bot recorded, does this read show the bill changed since the bot last
    read it? A platform may show a write only later: until it does, the bot's estimate stands."""
    if modified is not None and case.bill_modified is not None:
        return modified > case.bill_modified
    return bill.outstanding_amount <= case.amount_due


def _modified(bill: Bill) -> datetime | None:
    if not bill.source_modified_date:
        return None
    try:
        value = datetime.fromisoformat(bill.source_modified_date.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def approvals_of(s: AsyncSession, case_id: int) -> list[str]:
    rows = await s.scalars(
        select(Decision.user_id)
        .where(Decision.case_id == case_id, Decision.kind == "approve")
        .order_by(Decision.id)
    )
    return list(rows)


async def approvals_with_principals(s: AsyncSession, case_id: int) -> list[tuple[str, str | None]]:
    """Each approval as (who clicked, the away approver they decided for, if any)."""
    rows = await s.execute(
        select(Decision.user_id, Decision.on_behalf_of)
        .where(Decision.case_id == case_id, Decision.kind == "approve")
        .order_by(Decision.id)
    )
    return [(user_id, for_whom) for user_id, for_whom in rows]


async def approval_people(s: AsyncSession, case_id: int) -> list[str]:
    """Everyone an approval of the case names: who clicked and whom they decided for. None of
    them pays it when the policy keeps approving and paying apart."""
    people: list[str] = []
    for user_id, for_whom in await approvals_with_principals(s, case_id):
        people += [user_id] if for_whom is None else [user_id, for_whom]
    return list(dict.fromkeys(people))


async def last_payment(s: AsyncSession, case_id: int) -> Payment | None:
    """The case's payment that moved last (a scheduled one sent after a later payment, too)."""
    return await s.scalar(
        select(Payment)
        .where(Payment.case_id == case_id)
        .order_by(Payment.updated_at.desc(), Payment.id.desc())
        .limit(1)
    )


async def payment_with_key(s: AsyncSession, key: str) -> Payment | None:
    return await s.scalar(select(Payment).where(Payment.idempotency_key == key))


async def views_of(s: AsyncSession, cases: Sequence[BillCase]) -> list[CaseView]:
    ids = [case.id for case in cases]
    approvals: dict[int, list[str]] = {case_id: [] for case_id in ids}
    approved_for: dict[int, list[str | None]] = {case_id: [] for case_id in ids}
    rejected_for: dict[int, str | None] = {}
    payments: dict[int, Payment] = {}
    scheduled: dict[int, Payment] = {}
    questions: dict[int, OpenQuestion] = {}
    recorded: dict[int, list[Payment]] = {case_id: [] for case_id in ids}
    doubtful: dict[int, Payment] = {}
    platforms: dict[int, str | None] = {}
    if ids:
        link_ids = {case.link_id for case in cases}
        named = await s.execute(
            select(CompanyLink.id, CompanyLink.platform_name).where(CompanyLink.id.in_(link_ids))
        )
        platforms = {link_id: name for link_id, name in named}
        for row in await s.scalars(
            select(Question)
            .where(Question.case_id.in_(ids), Question.resolved_at.is_(None))
            .order_by(Question.id.desc())
        ):
            questions.setdefault(row.case_id, open_question(row))
        for case_id, user_id, for_whom in await s.execute(
            select(Decision.case_id, Decision.user_id, Decision.on_behalf_of)
            .where(Decision.case_id.in_(ids), Decision.kind == "approve")
            .order_by(Decision.id)
        ):
            approvals[case_id].append(user_id)
            approved_for[case_id].append(for_whom)
        rejected = [case.id for case in cases if case.state == CaseState.REJECTED]
        if rejected:
            for case_id, for_whom in await s.execute(
                select(Decision.case_id, Decision.on_behalf_of)
                .where(Decision.case_id.in_(rejected), Decision.kind == "reject")
                .order_by(Decision.id)
            ):
                rejected_for[case_id] = for_whom
        for payment in await s.scalars(
            select(Payment).where(Payment.case_id.in_(ids)).order_by(Payment.updated_at, Payment.id)
        ):
            payments[payment.case_id] = payment
            if payment.status == PaymentStatus.SCHEDULED and payment.send_after is None:
                scheduled[payment.case_id] = payment
            if payment.status == PaymentStatus.RECORDED:
                recorded[payment.case_id].append(payment)
            if payment.status == PaymentStatus.IN_DOUBT:
                doubtful.setdefault(payment.case_id, payment)
    return [
        case_view(
            case,
            approvals[case.id],
            # A payment in doubt is the one the card speaks of, whatever moved since.
            doubtful.get(case.id) or payments.get(case.id),
            scheduled.get(case.id),
            questions.get(case.id),
            sorted(recorded[case.id], key=lambda p: (p.payment_date, p.id)),
            platform=platforms.get(case.link_id),
            approved_for=approved_for[case.id],
            rejected_for=rejected_for.get(case.id),
        )
        for case in cases
    ]


def open_question(row: Question) -> OpenQuestion:
    return OpenQuestion(id=row.id, asked_by=row.asked_by, asked_of=row.asked_of, text=row.text)


def payment_view(row: Payment) -> PaymentView:
    return PaymentView(
        id=row.id,
        status=row.status,
        amount=row.amount,
        currency=row.currency,
        account_name=row.account_name,
        account_currency=row.account_currency,
        exchange_rate=row.exchange_rate,
        payment_date=row.payment_date,
        reference=row.reference,
        requested_by=row.requested_by,
        error=Phrase.load(row.error) if row.error else None,
        attempt=row.attempt or 1,
        base_currency=row.base_currency,
        send_after=row.send_after,
        doubt_since=row.doubt_since,
        needs_person=row.needs_person,
    )


def case_view(
    case: BillCase,
    approvals: Sequence[str],
    payment: Payment | None,
    scheduled: Payment | None = None,
    question: OpenQuestion | None = None,
    recorded: Sequence[Payment] = (),
    *,
    platform: str | None = None,
    approved_for: Sequence[str | None] = (),
    rejected_for: str | None = None,
) -> CaseView:
    return CaseView(
        bill_id=case.bill_id,
        state=CaseState(case.state),
        supplier_name=case.supplier_name,
        reference=case.reference,
        currency=case.currency,
        total_amount=case.total_amount,
        amount_due=case.amount_due,
        issue_date=case.issue_date,
        due_date=case.due_date,
        bill_status=case.bill_status,
        approvals=tuple(approvals),
        approved_for=tuple(approved_for) if any(approved_for) else (),
        approvals_required=case.approvals_required,
        rejected_by=case.rejected_by,
        rejected_for=rejected_for,
        reject_reason=case.reject_reason,
        note=Phrase.load(case.note) if case.note else None,
        last_payment=payment_view(payment) if payment is not None else None,
        scheduled=payment_view(scheduled) if scheduled is not None else None,
        attachments=case.attachment_count,
        duplicate=Duplicate.from_json(case.duplicate_of) if case.duplicate_of else None,
        question=question,
        # Only a new bill's invoice (a Slack file) is retried from the card; an upload from
        # Attach invoice keeps its key there too, out of sight.
        pending_invoice=(
            PendingInvoice.from_json(case.invoice_pending)
            if case.invoice_pending and case.invoice_pending.get("file_id")
            else None
        ),
        payments=tuple(payment_view(row) for row in recorded),
        version=case.version or 0,
        estimated=bool(case.figures_estimated),
        platform=platform,
    )


_STATUS_WORDS = {
    "Paid": N_("paid"),
    "Void": N_("void"),
    "PartiallyPaid": N_("partially paid"),
    "Open": N_("open"),
    "Draft": N_("draft"),
}


def status_words(bill_status: str) -> Phrase:
    """A bill's status in the accounting platform (`PartiallyPaid`) as words inside a sentence,
    translated when shown; a status we don't know is quoted, made inert for mrkdwn."""
    known = _STATUS_WORDS.get(bill_status)
    return Phrase(known) if known else Phrase(escape(bill_status))


def closed_note(bill_status: str) -> Phrase:
    """Why a case closed, kept with it (as a message id) and translated when shown."""
    match bill_status:
        case "Paid":
            return Phrase(N_("Paid in the accounting platform."))
        case "Void":
            return Phrase(N_("Void in the accounting platform."))
        case _:
            return Phrase(
                N_("No longer outstanding in the accounting platform ({status})."),
                status=status_words(bill_status),
            )


def not_pending_text(view: CaseView | BillCase) -> Phrase:
    """Why this bill cannot be approved, rejected or paid now, from its state."""
    match view.state:
        case CaseState.APPROVED:
            return Phrase(N_("This bill is already approved."))
        case CaseState.REJECTED:
            return Phrase(N_("This bill was rejected by <@{user}>."), user=view.rejected_by or "")
        case CaseState.PAYING:
            return Phrase(N_("A payment for this bill is being recorded right now."))
        case CaseState.SCHEDULED:
            return Phrase(N_("A payment for this bill is already scheduled."))
        case CaseState.PAID:
            return Phrase(N_("This bill is already paid."))
        case CaseState.CLOSED:
            note = view.note if isinstance(view.note, Phrase) else Phrase.load(view.note or "")
            return Phrase(
                N_("This bill is closed: {why}"),
                why=note if view.note else Phrase(N_("not outstanding any more.")),
            )
        case CaseState.FAILED:
            return Phrase(
                N_("The last payment was refused; nothing was paid. Pay again from the card.")
            )
        case CaseState.IN_DOUBT:
            return Phrase(
                N_(
                    "A payment of this bill isn't settled yet: Bill Pay is checking whether it "
                    "reached the accounting platform."
                )
            )
        case _:
            return Phrase(N_("This bill is waiting for approval."))


def audit(
    s: AsyncSession,
    link: CompanyLink,
    actor: str,
    action: str,
    bill_id: str | None,
    *,
    now: datetime,
    **details: Any,
) -> None:
    s.add(
        AuditEvent(
            at=now,
            team_id=link.team_id,
            channel_id=link.channel_id,
            actor=actor,
            action=action,
            company_id=link.company_id,
            bill_id=bill_id,
            details={k: v for k, v in details.items() if v is not None},
        )
    )


def preview_case(bill: Bill, base_currency: str, policy: EffectivePolicy) -> CaseView:
    """The case a bill would open as, without touching the database (for previews)."""
    case = BillCase(bill_id=bill.id, state=CaseState.PENDING)
    copy_bill(case, bill, base_currency)
    case.approvals_required = policy.approvals_needed(case.base_amount)
    return case_view(case, (), None)
