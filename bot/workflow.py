"""The bill's lifecycle in Slack: links, policy checks and state transitions. No Slack calls.

    pending → approved → (scheduled →) paying → paid        pending → rejected
    paying → failed (a payer may retry)                      any open state → closed

Each transition is one database transaction that locks the case row (and is guarded by its
version), and writes its audit event in the same transaction. A payment's idempotency key is
committed before the payables API is called, so a double click, a Slack retry or a second
replica can never record a payment twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import Database
from bot.listing import BillFilter, order_bills
from bot.money import format_money
from bot.payables.client import PayablesClient
from bot.payables.errors import (
    PayablesBadRequest,
    PayablesConflict,
    PayablesDeadlineExceeded,
    PayablesError,
    PayablesNotFound,
    PayablesServerError,
    PayablesUnavailable,
)
from bot.payables.models import BankAccountMappingOption, Bill, BillPaymentPrototype, Supplier
from bot.payables.query import outstanding_bills
from bot.payment_form import AccountChoice, PaymentRequest
from bot.policy import EffectivePolicy
from bot.store.models import (
    AuditEvent,
    BillCase,
    BillMessage,
    CaseState,
    CompanyLink,
    Decision,
    Payment,
    PaymentStatus,
    Policy,
)

# How long a person waits on a click: reads, then the payment itself (after the modal says so).
READ_DEADLINE_SECONDS = 8.0
PAYMENT_DEADLINE_SECONDS = 25.0
OPTIONS_TTL_SECONDS = 60.0

OPEN_STATES = {CaseState.PENDING, CaseState.APPROVED, CaseState.FAILED}


class Denied(Exception):
    """The person may not do this, or it cannot be done now; the message says why, in plain
    words, and nothing was changed."""


class NotLinked(Denied):
    pass


# ---------------------------------------------------------------- what the blocks are given


@dataclass(frozen=True)
class PaymentView:
    id: int
    status: str
    amount: Decimal
    currency: str
    account_name: str
    account_currency: str
    exchange_rate: Decimal | None
    payment_date: date
    reference: str | None
    requested_by: str
    error: str | None
    outcome_unknown: bool

    @classmethod
    def of(cls, row: Payment) -> PaymentView:
        return cls(
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
            error=row.error,
            outcome_unknown=row.outcome_unknown,
        )


@dataclass(frozen=True)
class CaseView:
    bill_id: str
    state: CaseState
    supplier_name: str
    reference: str | None
    currency: str
    total_amount: Decimal
    amount_due: Decimal
    issue_date: date
    due_date: date
    bill_status: str
    approvals: tuple[str, ...]
    approvals_required: int
    rejected_by: str | None = None
    reject_reason: str | None = None
    note: str | None = None
    last_payment: PaymentView | None = None

    @property
    def paid_amount(self) -> Decimal:
        return self.total_amount - self.amount_due


@dataclass(frozen=True)
class Outcome:
    case: CaseView
    notice: str | None = None  # told only to the person who acted


@dataclass(frozen=True)
class PaymentOutcome:
    case: CaseView
    status: str  # recorded | scheduled | failed | refused | duplicate
    message: str
    payment: PaymentView | None = None


@dataclass(frozen=True)
class PaymentForm:
    """What the Pay modal needs: the fresh bill and the accounts it may be paid from."""

    case: CaseView
    accounts: list[AccountChoice]
    idempotency_key: str


@dataclass(frozen=True)
class SupplierMatch:
    supplier: Supplier
    outstanding: list[Bill]


@dataclass(frozen=True)
class Listing:
    link: CompanyLink
    bills: list[Bill]
    cases: dict[str, CaseView]


# ---------------------------------------------------------------- mapping options cache


@dataclass
class OptionsCache:
    """Payment mapping options rarely change; one read serves a minute of Pay clicks."""

    ttl: float = OPTIONS_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[str, str], tuple[float, list[BankAccountMappingOption]]] = field(
        default_factory=dict
    )

    def get(self, key: tuple[str, str]) -> list[BankAccountMappingOption] | None:
        entry = self._entries.get(key)
        if entry is None or self.clock() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, key: tuple[str, str], accounts: list[BankAccountMappingOption]) -> None:
        self._entries[key] = (self.clock(), accounts)


def account_choices(
    accounts: Iterable[BankAccountMappingOption], bill_currency: str
) -> list[AccountChoice]:
    """Active accounts with a currency, the bill's currency first, then by name."""
    usable = [a for a in accounts if (a.status or "Active") == "Active" and a.currency]
    usable.sort(key=lambda a: (a.currency != bill_currency, (a.name or "").casefold(), a.id))
    return [AccountChoice(id=a.id, name=a.name or a.id, currency=a.currency or "") for a in usable]


# ---------------------------------------------------------------- the workflow


class Workflow:
    def __init__(
        self,
        db: Database,
        payables: PayablesClient,
        settings: Settings,
        *,
        options: OptionsCache | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.reads = payables.with_deadline(READ_DEADLINE_SECONDS)
        self.payments = payables.with_deadline(PAYMENT_DEADLINE_SECONDS)
        self.options = options or OptionsCache()

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
                "This channel isn't linked to a company yet. Run `/billpay connect` here to "
                "link it, then `/bills` again."
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
        companies when the choice is ambiguous."""
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
            listed = "\n".join(f"• {c.name} (`{c.id}`)" for c in companies[:10]) or "none"
            what = (
                f"No company matches “{choice}”"
                if choice and not matches
                else ("Several companies could be linked" if matches or not choice else "")
            )
            raise Denied(
                f"{what}. Run `/billpay connect <company name or id>` with one of:\n{listed}"
            )
        company = matches[0]
        connection = next((x for x in company.data_connections if x.status == "Linked"), None)
        if connection is None:
            raise Denied(
                f"{company.name} has no linked accounting platform yet; finish linking it in "
                "the payables service, then run `/billpay connect` again."
            )
        info = await self.reads.get_company_information(company.id, connection.id)
        async with self.db.write() as s:
            link = await s.scalar(
                select(CompanyLink)
                .where(CompanyLink.team_id == team_id, CompanyLink.channel_id == channel_id)
                .with_for_update()
            )
            created = link is None
            if link is None:
                link = CompanyLink(team_id=team_id, channel_id=channel_id)
                s.add(link)
            link.company_id = company.id
            link.connection_id = connection.id
            link.company_name = info.company_name or company.name
            link.base_currency = (info.base_currency or "GBP").upper()
            link.linked_by = user_id
            link.linked_at = datetime.now(UTC)
            await s.flush()
            _audit(s, link, user_id, "channel_linked", None, company_name=link.company_name)
        return link, created

    async def links_of_team(self, team_id: str) -> list[tuple[str, str, str]]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(CompanyLink.channel_id, CompanyLink.company_name, CompanyLink.base_currency)
                .where(CompanyLink.team_id == team_id)
                .order_by(CompanyLink.linked_at)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def record_team_event(self, team_id: str, action: str) -> None:
        async with self.db.write() as s:
            s.add(AuditEvent(team_id=team_id, actor="slack", action=action, details={}))

    # ------------------------------------------------------------ listing

    async def list_bills(self, link: CompanyLink, bill_filter: BillFilter, today: date) -> Listing:
        bills = [
            bill
            async for bill in self.reads.iter_bills(
                link.company_id, link.connection_id, query=outstanding_bills()
            )
            if bill.is_outstanding and bill_filter.matches(bill, today)
        ]
        return Listing(link=link, bills=order_bills(bills, today), cases={})

    async def sync_cases(self, link: CompanyLink, bills: Sequence[Bill]) -> dict[str, CaseView]:
        """Bring the cases of `bills` up to date with what the API just said."""
        policy = await self.policy_for(link)
        async with self.db.write() as s:
            cases = [await _sync_case(s, link, bill, policy) for bill in bills]
            views = await _views(s, cases)
        return {view.bill_id: view for view in views}

    async def record_message(
        self,
        link: CompanyLink,
        channel_id: str,
        ts: str,
        *,
        bill_filter: BillFilter,
        page: int,
        bill_ids: list[str],
        summary: dict[str, Any],
        locale: str,
        time_zone: str,
        user_id: str,
    ) -> None:
        async with self.db.write() as s:
            message = await s.scalar(
                select(BillMessage)
                .where(BillMessage.channel_id == channel_id, BillMessage.ts == ts)
                .with_for_update()
            )
            if message is None:
                message = BillMessage(link_id=link.id, channel_id=channel_id, ts=ts)
                s.add(message)
            message.filter_text = bill_filter.source
            message.page = page
            message.bill_ids = bill_ids
            message.summary = summary
            message.locale = locale
            message.time_zone = time_zone
            message.posted_by = user_id

    async def message(self, channel_id: str, ts: str) -> BillMessage | None:
        async with self.db.read() as s:
            return await s.scalar(
                select(BillMessage).where(
                    BillMessage.channel_id == channel_id, BillMessage.ts == ts
                )
            )

    @asynccontextmanager
    async def locked_message(
        self, channel_id: str, ts: str
    ) -> AsyncIterator[tuple[BillMessage, CompanyLink, list[CaseView]] | None]:
        """Hold a `/bills` message while it is re-rendered and sent, so two updates of cards on
        the same message (two replicas, two clicks) go out one after the other, each showing
        everything committed before it."""
        async with self.db.write() as s:
            message = await s.scalar(
                select(BillMessage)
                .where(BillMessage.channel_id == channel_id, BillMessage.ts == ts)
                .with_for_update()
            )
            if message is None:
                yield None
                return
            link = await s.get(CompanyLink, message.link_id)
            assert link is not None
            rows = (
                await s.scalars(
                    select(BillCase).where(
                        BillCase.link_id == link.id, BillCase.bill_id.in_(message.bill_ids)
                    )
                )
            ).all()
            views = {v.bill_id: v for v in await _views(s, list(rows))}
            yield message, link, [views[b] for b in message.bill_ids if b in views]
            message.updated_at = datetime.now(UTC)

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
            views = {v.bill_id: v for v in await _views(s, list(rows))}
        return [views[bill_id] for bill_id in bill_ids if bill_id in views]

    async def refresh(self, team_id: str, channel_id: str, bill_id: str) -> CaseView:
        """Re-read one bill and bring its case up to date (a bill paid elsewhere closes)."""
        link = await self.link_for(team_id, channel_id)
        return await self._fresh_view(link, bill_id, await self.policy_for(link))

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

    async def approve(self, team_id: str, channel_id: str, bill_id: str, user_id: str) -> Outcome:
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self._denied(link, user_id, "approve", bill_id)
            raise Denied(
                f"Only {policy.who_may_approve()} can approve bills in this channel. "
                "Nothing was changed."
            )
        bill = await self._read_bill(link, bill_id)
        async with self.db.write() as s:
            case = await _sync_case(s, link, bill, policy)
            notice = None
            approvals = await _approvals(s, case.id)
            if case.state != CaseState.PENDING:
                notice = _not_pending(case, approvals)
            elif user_id in approvals:
                notice = (
                    f"You have already approved this bill; it needs "
                    f"{case.approvals_required - len(approvals)} more approval from someone else."
                )
            else:
                s.add(Decision(case_id=case.id, kind="approve", user_id=user_id))
                approvals.append(user_id)
                if len(approvals) >= case.approvals_required:
                    case.state = CaseState.APPROVED
                case.updated_at = datetime.now(UTC)
                _audit(
                    s,
                    link,
                    user_id,
                    "bill_approved",
                    bill_id,
                    approval=len(approvals),
                    of=case.approvals_required,
                )
            await s.flush()
            view = (await _views(s, [case]))[0]
        return Outcome(view, notice)

    async def check_may_reject(
        self, team_id: str, channel_id: str, bill_id: str, user_id: str
    ) -> CaseView:
        """Before the reject modal opens: may this person reject, and is it still open?"""
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self._denied(link, user_id, "reject", bill_id)
            raise Denied(
                f"Only {policy.who_may_approve()} can reject bills in this channel. "
                "Nothing was changed."
            )
        view = await self._case_view(link, bill_id)
        if view is not None and view.state not in (CaseState.PENDING, CaseState.APPROVED):
            raise Denied(_not_pending_view(view))
        return view or await self._fresh_view(link, bill_id, policy)

    async def reject(
        self, team_id: str, channel_id: str, bill_id: str, user_id: str, reason: str
    ) -> Outcome:
        reason = reason.strip()
        if not reason:
            raise ValueError("a rejection needs a reason")
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        if not policy.may_approve(user_id):
            await self._denied(link, user_id, "reject", bill_id)
            raise Denied(f"Only {policy.who_may_approve()} can reject bills in this channel.")
        bill = await self._read_bill(link, bill_id)
        async with self.db.write() as s:
            case = await _sync_case(s, link, bill, policy)
            notice = None
            if case.state not in (CaseState.PENDING, CaseState.APPROVED):
                notice = _not_pending(case, await _approvals(s, case.id))
            else:
                s.add(Decision(case_id=case.id, kind="reject", user_id=user_id, reason=reason))
                case.state = CaseState.REJECTED
                case.rejected_by = user_id
                case.reject_reason = reason
                case.updated_at = datetime.now(UTC)
                _audit(s, link, user_id, "bill_rejected", bill_id, reason=reason)
            await s.flush()
            view = (await _views(s, [case]))[0]
        return Outcome(view, notice)

    # ------------------------------------------------------------ payments

    async def prepare_payment(
        self, team_id: str, channel_id: str, bill_id: str, user_id: str
    ) -> PaymentForm:
        """Check the payer may pay this bill now, re-read it and fetch the accounts."""
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        await self._check_payer(link, policy, bill_id, user_id)
        bill = await self._read_bill(link, bill_id)
        async with self.db.write() as s:
            case = await _sync_case(s, link, bill, policy)
            view = (await _views(s, [case]))[0]
        _check_payable(view)
        accounts = account_choices(await self._bank_accounts(link), bill.currency)
        if not accounts:
            raise Denied(
                f"{link.company_name} has no active bank account to pay from. Add one in the "
                "accounting platform, then try again."
            )
        return PaymentForm(view, accounts, idempotency_key=new_payment_key())

    async def accounts_for(self, link: CompanyLink, bill_currency: str) -> list[AccountChoice]:
        return account_choices(await self._bank_accounts(link), bill_currency)

    async def submit_payment(
        self,
        team_id: str,
        channel_id: str,
        bill_id: str,
        user_id: str,
        request: PaymentRequest,
        today: date,
    ) -> PaymentOutcome:
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        await self._check_payer(link, policy, bill_id, user_id)
        duplicate = await self._payment_by_key(link, bill_id, request.idempotency_key)
        if duplicate is not None:
            return duplicate
        bill = await self._read_bill(link, bill_id)
        scheduled = request.payment_date > today
        payment_id: int | None = None
        try:
            async with self.db.write() as s:
                case = await _sync_case(s, link, bill, policy)
                if await _payment_with_key(s, request.idempotency_key) is None:
                    refusal = await _payment_refusal(s, case, bill, request)
                    if refusal is not None:
                        await s.flush()
                        view = (await _views(s, [case]))[0]
                        return PaymentOutcome(view, "refused", refusal)
                    payment_id = await _reserve_payment(
                        s, link, case, bill, request, user_id, scheduled=scheduled
                    )
        except IntegrityError:
            payment_id = None  # another request committed the same key first
        if payment_id is None:
            duplicate = await self._payment_by_key(link, bill_id, request.idempotency_key)
            assert duplicate is not None
            return duplicate
        if scheduled:
            view = await self._case_view(link, bill_id)
            assert view is not None
            return PaymentOutcome(
                view,
                "scheduled",
                f"Payment of {self._money(request.amount, bill.currency)} scheduled for "
                f"{request.payment_date.isoformat()}.",
                view.last_payment,
            )
        return await self._send_payment(link, bill_id, payment_id)

    async def retry_payment(
        self, team_id: str, channel_id: str, bill_id: str, user_id: str
    ) -> PaymentOutcome:
        """Send the last failed payment again with the same idempotency key: if the first try
        did reach the accounting platform, the API replays its answer instead of paying again."""
        link = await self.link_for(team_id, channel_id)
        policy = await self.policy_for(link)
        await self._check_payer(link, policy, bill_id, user_id)
        async with self.db.write() as s:
            case = await _case_for_update(s, link.id, bill_id)
            payment = await _last_payment(s, case.id) if case else None
            if case is None or payment is None or case.state != CaseState.FAILED:
                view = (await _views(s, [case]))[0] if case else None
                if view is None:
                    raise Denied("There is no failed payment to retry on this bill.")
                return PaymentOutcome(view, "refused", _not_pending_view(view))
            payment.status = PaymentStatus.REQUESTED
            payment.error = None
            case.state = CaseState.PAYING
            case.updated_at = datetime.now(UTC)
            _audit(s, link, user_id, "payment_retried", bill_id, payment_id=payment.id)
            payment_id = payment.id
        return await self._send_payment(link, bill_id, payment_id)

    async def _send_payment(
        self, link: CompanyLink, bill_id: str, payment_id: int
    ) -> PaymentOutcome:
        async with self.db.read() as s:
            payment = await s.get(Payment, payment_id)
            assert payment is not None
        prototype = BillPaymentPrototype(
            amount=payment.amount,
            date=payment.payment_date.isoformat() + "T00:00:00",
            account_ref={"id": payment.account_id},  # type: ignore[arg-type]
            reference=payment.reference,
            currency_rate=payment.exchange_rate,
        )
        error: PayablesError | None = None
        recorded_id: str | None = None
        try:
            result = await self.payments.create_bill_payment(
                link.company_id,
                link.connection_id,
                bill_id,
                prototype,
                idempotency_key=payment.idempotency_key,
            )
            recorded_id = result.id
        except PayablesError as exc:
            error = exc
        async with self.db.write() as s:
            payment = await s.get(Payment, payment_id, with_for_update=True)
            case = await s.get(BillCase, payment.case_id, with_for_update=True) if payment else None
            assert payment is not None and case is not None
            if error is None:
                payment.status = PaymentStatus.RECORDED
                payment.payables_payment_id = recorded_id
                payment.outcome_unknown = False
                # A read between reserving and now may already show this payment: take the lower.
                case.amount_due = max(
                    min(case.amount_due, payment.due_before - payment.amount), Decimal(0)
                )
                case.bill_status = "Paid" if case.amount_due == 0 else "PartiallyPaid"
                case.state = CaseState.PAID if case.amount_due == 0 else CaseState.APPROVED
                _audit(
                    s,
                    link,
                    payment.requested_by,
                    "payment_recorded",
                    bill_id,
                    payment_id=payment.id,
                    payables_payment_id=recorded_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    account=payment.account_name,
                )
                status, message = "recorded", "Payment recorded."
            else:
                unknown = _outcome_unknown(error)
                payment.status = PaymentStatus.FAILED
                payment.error = error.user_message()
                payment.outcome_unknown = unknown
                case.state = CaseState.FAILED
                _audit(
                    s,
                    link,
                    payment.requested_by,
                    "payment_failed",
                    bill_id,
                    payment_id=payment.id,
                    error=payment.error,
                    outcome_unknown=unknown,
                )
                status, message = "failed", _failure_message(error, unknown)
            case.updated_at = datetime.now(UTC)
            await s.flush()
            view = (await _views(s, [case]))[0]
        return PaymentOutcome(view, status, message, view.last_payment)

    async def _payment_by_key(
        self, link: CompanyLink, bill_id: str, key: str
    ) -> PaymentOutcome | None:
        async with self.db.read() as s:
            payment = await _payment_with_key(s, key)
            if payment is None:
                return None
            case = await s.get(BillCase, payment.case_id)
            assert case is not None
            view = (await _views(s, [case]))[0]
        words = {
            PaymentStatus.REQUESTED: "This payment is already being recorded.",
            PaymentStatus.RECORDED: "This payment was already recorded.",
            PaymentStatus.SCHEDULED: "This payment is already scheduled.",
            PaymentStatus.FAILED: "This payment already failed; use Retry payment on the card.",
        }
        return PaymentOutcome(
            view, "duplicate", words[PaymentStatus(payment.status)], PaymentView.of(payment)
        )

    # ------------------------------------------------------------ helpers

    async def _check_payer(
        self, link: CompanyLink, policy: EffectivePolicy, bill_id: str, user_id: str
    ) -> None:
        if not policy.may_pay(user_id):
            await self._denied(link, user_id, "pay", bill_id)
            raise Denied(
                f"Only {policy.who_may_pay()} can pay bills in this channel. Nothing was changed."
            )
        if policy.approver_may_pay:
            return
        async with self.db.read() as s:
            case = await s.scalar(
                select(BillCase).where(BillCase.link_id == link.id, BillCase.bill_id == bill_id)
            )
            approved = case is not None and user_id in await _approvals(s, case.id)
        if approved:
            await self._denied(link, user_id, "pay", bill_id, reason="approver may not pay")
            raise Denied(
                "You approved this bill, and this channel's policy asks someone else to pay it. "
                "Nothing was changed."
            )

    async def _read_bill(self, link: CompanyLink, bill_id: str) -> Bill:
        try:
            return await self.reads.get_bill(link.company_id, link.connection_id, bill_id)
        except PayablesNotFound:
            await self._close_missing(link, bill_id)
            raise Denied(
                "This bill is no longer in the accounting platform (deleted or moved). "
                "Nothing was changed."
            ) from None

    async def _close_missing(self, link: CompanyLink, bill_id: str) -> None:
        async with self.db.write() as s:
            case = await _case_for_update(s, link.id, bill_id)
            if case is not None and case.state in OPEN_STATES:
                case.state = CaseState.CLOSED
                case.note = "No longer in the accounting platform."
                _audit(s, link, "system", "case_closed", bill_id, reason="bill not found")

    async def _bank_accounts(self, link: CompanyLink) -> list[BankAccountMappingOption]:
        key = (link.company_id, link.connection_id)
        cached = self.options.get(key)
        if cached is None:
            options = await self.reads.get_payment_mapping_options(*key)
            cached = options.bank_accounts
            self.options.put(key, cached)
        return cached

    async def _case_view(self, link: CompanyLink, bill_id: str) -> CaseView | None:
        views = await self.case_views(link.id, [bill_id])
        return views[0] if views else None

    async def _fresh_view(
        self, link: CompanyLink, bill_id: str, policy: EffectivePolicy
    ) -> CaseView:
        bill = await self._read_bill(link, bill_id)
        async with self.db.write() as s:
            case = await _sync_case(s, link, bill, policy)
            return (await _views(s, [case]))[0]

    async def _denied(
        self, link: CompanyLink, user_id: str, action: str, bill_id: str | None, **details: Any
    ) -> None:
        async with self.db.write() as s:
            _audit(s, link, user_id, "permission_denied", bill_id, attempted=action, **details)

    def _money(self, amount: Decimal, currency: str) -> str:
        return format_money(amount, currency, self.settings.default_locale)


async def _reserve_payment(
    s: AsyncSession,
    link: CompanyLink,
    case: BillCase,
    bill: Bill,
    request: PaymentRequest,
    user_id: str,
    *,
    scheduled: bool,
) -> int:
    """Store the payment and its idempotency key, and move the case on, in the caller's
    transaction: once this commits, no other request can start a payment of this case."""
    payment = Payment(
        case_id=case.id,
        idempotency_key=request.idempotency_key,
        status=PaymentStatus.SCHEDULED if scheduled else PaymentStatus.REQUESTED,
        amount=request.amount,
        currency=bill.currency,
        account_id=request.account.id,
        account_name=request.account.name,
        account_currency=request.account.currency,
        exchange_rate=request.exchange_rate,
        payment_date=request.payment_date,
        reference=request.reference,
        requested_by=user_id,
        due_before=bill.outstanding_amount,
        outcome_unknown=False,
    )
    s.add(payment)
    case.state = CaseState.SCHEDULED if scheduled else CaseState.PAYING
    case.updated_at = datetime.now(UTC)
    await s.flush()
    _audit(
        s,
        link,
        user_id,
        "payment_scheduled" if scheduled else "payment_requested",
        bill.id,
        payment_id=payment.id,
        amount=request.amount,
        currency=bill.currency,
        account=request.account.name,
        date=request.payment_date.isoformat(),
        exchange_rate=request.exchange_rate,
        idempotency_key=request.idempotency_key,
    )
    return payment.id


def preview_case(bill: Bill, base_currency: str, policy: EffectivePolicy) -> CaseView:
    """The case a bill would open as, without touching the database (for previews)."""
    case = BillCase(bill_id=bill.id, state=CaseState.PENDING)
    _copy_bill(case, bill, base_currency)
    return CaseView(
        bill_id=bill.id,
        state=CaseState.PENDING,
        supplier_name=case.supplier_name,
        reference=case.reference,
        currency=case.currency,
        total_amount=case.total_amount,
        amount_due=case.amount_due,
        issue_date=case.issue_date,
        due_date=case.due_date,
        bill_status=case.bill_status,
        approvals=(),
        approvals_required=policy.approvals_needed(case.base_amount),
    )


def new_payment_key() -> str:
    return f"billpay-{uuid.uuid4()}"


# ---------------------------------------------------------------- transactions' building blocks


async def _case_for_update(s: AsyncSession, link_id: int, bill_id: str) -> BillCase | None:
    return await s.scalar(
        select(BillCase)
        .where(BillCase.link_id == link_id, BillCase.bill_id == bill_id)
        .with_for_update()
    )


async def _sync_case(
    s: AsyncSession, link: CompanyLink, bill: Bill, policy: EffectivePolicy
) -> BillCase:
    """Create or refresh the case of `bill` from what the API said, holding its row lock."""
    case = await _case_for_update(s, link.id, bill.id)
    if case is None:
        try:
            async with s.begin_nested():
                case = BillCase(link_id=link.id, bill_id=bill.id, state=CaseState.PENDING)
                _copy_bill(case, bill, link.base_currency)
                case.approvals_required = policy.approvals_needed(case.base_amount)
                s.add(case)
                await s.flush()
        except IntegrityError:  # created by a concurrent request: use theirs
            case = await _case_for_update(s, link.id, bill.id)
            assert case is not None
        else:
            return case
    _copy_bill(case, bill, link.base_currency)
    if case.state == CaseState.PENDING:
        case.approvals_required = policy.approvals_needed(case.base_amount)
    if not bill.is_outstanding and case.state in OPEN_STATES | {CaseState.SCHEDULED}:
        last = await _last_payment(s, case.id) if case.state == CaseState.FAILED else None
        if last is not None and last.outcome_unknown:
            return case  # perhaps our own payment: only a retry with its key can tell
        case.state = CaseState.CLOSED
        case.note = f"{bill.status} in the accounting platform."
        _audit(s, link, "system", "case_closed", bill.id, bill_status=bill.status)
    return case


def _copy_bill(case: BillCase, bill: Bill, base_currency: str) -> None:
    case.supplier_name = bill.supplier_ref.supplier_name or "Unknown supplier"
    case.reference = bill.reference
    case.currency = bill.currency
    case.total_amount = bill.total_amount
    case.amount_due = bill.outstanding_amount
    case.issue_date = bill.issued_on
    case.due_date = bill.due_on
    case.bill_status = bill.status
    if bill.currency.upper() == base_currency:
        case.base_amount = bill.total_amount
    elif bill.currency_rate:
        case.base_amount = bill.total_amount * bill.currency_rate
    else:
        case.base_amount = None


async def _approvals(s: AsyncSession, case_id: int) -> list[str]:
    rows = await s.scalars(
        select(Decision.user_id)
        .where(Decision.case_id == case_id, Decision.kind == "approve")
        .order_by(Decision.id)
    )
    return list(rows)


async def _last_payment(s: AsyncSession, case_id: int) -> Payment | None:
    return await s.scalar(
        select(Payment).where(Payment.case_id == case_id).order_by(Payment.id.desc()).limit(1)
    )


async def _payment_with_key(s: AsyncSession, key: str) -> Payment | None:
    return await s.scalar(select(Payment).where(Payment.idempotency_key == key))


async def _views(s: AsyncSession, cases: Sequence[BillCase]) -> list[CaseView]:
    ids = [case.id for case in cases]
    approvals: dict[int, list[str]] = {case_id: [] for case_id in ids}
    payments: dict[int, Payment] = {}
    if ids:
        for case_id, user_id in await s.execute(
            select(Decision.case_id, Decision.user_id)
            .where(Decision.case_id.in_(ids), Decision.kind == "approve")
            .order_by(Decision.id)
        ):
            approvals[case_id].append(user_id)
        for payment in await s.scalars(
            select(Payment).where(Payment.case_id.in_(ids)).order_by(Payment.id)
        ):
            payments[payment.case_id] = payment
    return [
        CaseView(
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
            approvals=tuple(approvals[case.id]),
            approvals_required=case.approvals_required,
            rejected_by=case.rejected_by,
            reject_reason=case.reject_reason,
            note=case.note,
            last_payment=PaymentView.of(payments[case.id]) if case.id in payments else None,
        )
        for case in cases
    ]


async def _payment_refusal(
    s: AsyncSession, case: BillCase, bill: Bill, request: PaymentRequest
) -> str | None:
    """Why this payment cannot be made now, checked against the bill as just re-read."""
    view = (await _views(s, [case]))[0]
    if case.state == CaseState.FAILED and view.last_payment and view.last_payment.outcome_unknown:
        return (
            "The last payment's outcome is unknown; use *Retry payment* on the card first, so it "
            "cannot be paid twice."
        )
    if case.state not in (CaseState.APPROVED, CaseState.FAILED):
        return (
            _not_pending_view(view)
            if case.state != CaseState.PENDING
            else (
                f"This bill needs approval first ({len(view.approvals)} of "
                f"{case.approvals_required})."
            )
        )
    if not bill.is_outstanding:
        return f"This bill is {bill.status} now; nothing was paid."
    if request.amount > bill.outstanding_amount:
        return (
            f"Only {bill.outstanding_amount} {bill.currency} is still due on this bill now (it "
            "changed since you opened the form); nothing was paid."
        )
    return None


def _check_payable(view: CaseView) -> None:
    if view.state == CaseState.PENDING:
        raise Denied(
            f"This bill needs approval before it can be paid ({len(view.approvals)} of "
            f"{view.approvals_required} approvals)."
        )
    if view.state == CaseState.FAILED and view.last_payment and view.last_payment.outcome_unknown:
        raise Denied(
            "The last payment's outcome is unknown. Use *Retry payment* on the card: it sends "
            "the same payment again and cannot pay twice."
        )
    if view.state not in (CaseState.APPROVED, CaseState.FAILED):
        raise Denied(_not_pending_view(view))


def _not_pending(case: BillCase, approvals: list[str]) -> str:
    return _not_pending_view(
        CaseView(
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
            approvals_required=case.approvals_required,
            rejected_by=case.rejected_by,
            note=case.note,
        )
    )


def _not_pending_view(view: CaseView) -> str:
    match view.state:
        case CaseState.APPROVED:
            return "This bill is already approved."
        case CaseState.REJECTED:
            return f"This bill was rejected by <@{view.rejected_by}>."
        case CaseState.PAYING:
            return "A payment for this bill is being recorded right now."
        case CaseState.SCHEDULED:
            return "A payment for this bill is already scheduled."
        case CaseState.PAID:
            return "This bill is already paid."
        case CaseState.CLOSED:
            return f"This bill is closed: {view.note or 'not outstanding any more.'}"
        case CaseState.FAILED:
            return "The last payment failed; pay again or retry it from the card."
        case _:
            return "This bill is waiting for approval."


def _outcome_unknown(error: PayablesError) -> bool:
    """Did the request perhaps reach the platform? Then only the same key may try again."""
    if isinstance(error, PayablesDeadlineExceeded):
        return True
    return isinstance(error, PayablesServerError | PayablesUnavailable) or (
        error.status_code is None
    )


def _failure_message(error: PayablesError, unknown: bool) -> str:
    if unknown:
        return (
            "The accounting platform didn't confirm the payment in time, so it may or may not "
            "have been recorded. Press *Retry payment* on the card: it resends the same payment "
            "and cannot pay twice."
        )
    if isinstance(error, PayablesBadRequest | PayablesConflict):
        return (
            f"The accounting platform refused the payment: {error.user_message()} Nothing was paid."
        )
    return (
        f"The payment wasn't recorded: {error.user_message()} Nothing was paid; you can try again."
    )


def _audit(
    s: AsyncSession,
    link: CompanyLink,
    actor: str,
    action: str,
    bill_id: str | None,
    **details: Any,
) -> None:
    s.add(
        AuditEvent(
            at=datetime.now(UTC),
            team_id=link.team_id,
            channel_id=link.channel_id,
            actor=actor,
            action=action,
            company_id=link.company_id,
            bill_id=bill_id,
            details={k: v for k, v in details.items() if v is not None},
        )
    )
