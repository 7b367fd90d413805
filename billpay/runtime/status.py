"""`billpay status`: what the bot left undone, read from its database without changing anything.

- Claims past their lease and not done (`billpay.store.claims.overdue`): a digest, reminder,
  escalation or approval notice whose replica died holding it. A live replica takes each over
  at its next tick, so one seen here for longer than a tick means no replica is running, or the
  claim was given up after its attempts.
- Payments still `requested` longer than the payables deadline
  (`BILLPAY_PAYABLES_BACKGROUND_DEADLINE_SECONDS`): sent to the payables API, with no answer
  recorded by the time any answer could have come (`payments_waiting`).

- The configured policy in one line: how many people paying a bill takes.
- Today's calls to the payables API per company (every replica's, as written in the last half
  minute), what is left of the day's allowance and when the mirror last synced each company
  (`calls_table`; when each company's bills were last read into the mirror).

The report fits 80 columns; `report` answers 0 when nothing is stale, 1 otherwise (and 1 when
the database is not at the newest revision, saying how to get there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from sqlalchemy import or_, select

from billpay.bills.duties import policy_count
from billpay.bills.policy import EffectivePolicy
from billpay.config import Settings
from billpay.core.clock import utcnow
from billpay.core.domain import PaymentStatus
from billpay.core.money import format_money
from billpay.mirror import store as mirror_store
from billpay.payables.budget import daily_quota, next_reset
from billpay.slack.blocks.status import policy_line
from billpay.store import calls, claims
from billpay.store.claims import MAX_ATTEMPTS, Held
from billpay.store.db import Database
from billpay.store.migrate import current_revision, head_revision
from billpay.store.models import BillCase, CompanyLink, Payment

TIME = "%Y-%m-%d %H:%M:%S"
LastSynced = Callable[[str], Awaitable[datetime | None]]


@dataclass(frozen=True)
class WaitingPayment:
    """A payment sent to the payables API whose answer was never recorded."""

    id: int
    channel_id: str
    bill_id: str
    amount: Decimal
    currency: str
    sent_at: datetime


async def payments_waiting(db: Database, sent_before: datetime) -> list[WaitingPayment]:
    """Payments still `requested` that were sent before `sent_before` (their sender stopped:
    the settler takes them up), and payments in doubt waiting for a person's word, oldest
    first. The one query this report makes of payments."""
    async with db.read() as s:
        rows = await s.execute(
            select(Payment, BillCase.bill_id, CompanyLink.channel_id)
            .join(BillCase, BillCase.id == Payment.case_id)
            .join(CompanyLink, CompanyLink.id == BillCase.link_id)
            .where(
                Payment.sent_at.is_not(None),
                or_(
                    (Payment.status == PaymentStatus.REQUESTED) & (Payment.sent_at <= sent_before),
                    (Payment.status == PaymentStatus.IN_DOUBT) & Payment.needs_person.is_(True),
                ),
            )
            .order_by(Payment.sent_at, Payment.id)
        )
        found = []
        for payment, bill_id, channel_id in rows:
            assert payment.sent_at is not None
            found.append(
                WaitingPayment(
                    payment.id,
                    channel_id,
                    bill_id,
                    payment.amount,
                    payment.currency,
                    payment.sent_at,
                )
            )
        return found


@dataclass(frozen=True)
class Stale:
    claims: Sequence[Held]
    payments: Sequence[WaitingPayment]

    @property
    def nothing(self) -> bool:
        return not self.claims and not self.payments


async def stale_work(db: Database, now: datetime, deadline: timedelta) -> Stale:
    return Stale(await claims.overdue(db, now), await payments_waiting(db, now - deadline))


async def report(
    settings: Settings,
    out: Console,
    now: datetime | None = None,
    last_synced: LastSynced | None = None,
) -> int:
    """Print what is stale on `out`: 0 when nothing is, 1 otherwise; then today's calls."""
    revision = await current_revision(settings.database_url)
    if revision != head_revision():
        out.print(
            f"The bot's database is at revision {revision or 'none'}, not {head_revision()}: "
            "run `billpay db upgrade` (or start the bot) first.",
            highlight=False,
        )
        return 1
    deadline = timedelta(seconds=settings.payables_background_deadline_seconds)
    now = now or utcnow()
    db = Database(settings.database_url)
    try:
        stale = await stale_work(db, now, deadline)
        today = await calls_today(db, settings, now, last_synced)
    finally:
        await db.dispose()
    seconds = f"{settings.payables_background_deadline_seconds:g} s"
    if stale.nothing:
        out.print(
            "Nothing stale: no claim is past its lease, and no payment has waited on the "
            f"payables API longer than {seconds}.",
            highlight=False,
        )
    if stale.claims:
        out.print(_claims_table(stale.claims))
    if stale.payments:
        out.print(_payments_table(stale.payments, seconds))
    out.print(f"Policy: {configured_policy(settings)}", highlight=False)
    out.print(today.summary(), highlight=False)
    if today.rows:
        out.print(_calls_table(today.rows))
    return 0 if stale.nothing else 1


@dataclass(frozen=True)
class CompanyCalls:
    company_id: str
    name: str
    usage: calls.Usage
    synced_at: datetime | None


@dataclass(frozen=True)
class CallsToday:
    rows: Sequence[CompanyCalls]
    left: int
    quota: int
    measured: bool  # the API's own count (X-Rate-Limit-*), else an estimate
    reset_at: datetime
    reserve: int

    def summary(self) -> str:
        total = sum(row.usage.calls for row in self.rows)
        how = "as the API last counted" if self.measured else "estimated"
        words = (
            f"Calls to the payables API today: {total:,}; {self.left:,} of {self.quota:,} left "
            f"({how}; {self.reserve:,} kept for payments), resets {self.reset_at:%Y-%m-%d %H:%M} "
            "UTC."
        )
        if self.left <= self.reserve:
            words += " Only payments go through until then."
        return words


async def calls_today(
    db: Database, settings: Settings, now: datetime, last_synced: LastSynced | None = None
) -> CallsToday:
    """Today's calls per company (every replica's as last written) and what is left."""
    day = now.astimezone(UTC).date()
    used = await calls.usage(db, day)
    async with db.read() as s:
        names = dict(
            (
                await s.execute(
                    select(CompanyLink.company_id, CompanyLink.company_name).where(
                        CompanyLink.archived.is_(False)
                    )
                )
            ).all()
        )
    rows = []
    synced_at = last_synced or (lambda company_id: mirror_store.last_synced(db, company_id))
    for company_id in sorted(set(used) | set(names), key=lambda c: names.get(c, c) or "-"):
        synced = await synced_at(company_id) if company_id else None
        rows.append(
            CompanyCalls(
                company_id,
                names.get(company_id) or company_id or "(no company)",
                used.get(company_id) or calls.Usage(company_id),
                synced,
            )
        )
    quota = await calls.last_quota(db, now)
    if quota is not None:
        limit = quota.limit or settings.payables_daily_quota or daily_quota(len(names))
        return CallsToday(
            rows, quota.remaining, limit, True, quota.reset_at, settings.payables_payment_reserve
        )
    limit = settings.payables_daily_quota or daily_quota(max(1, len(names)))
    spent = sum(u.calls for u in used.values())
    return CallsToday(
        rows,
        max(0, limit - spent),
        limit,
        False,
        next_reset(now),
        settings.payables_payment_reserve,
    )


def _calls_table(rows: Sequence[CompanyCalls]) -> Table:
    table = Table(title="Calls today (UTC), per company")
    table.add_column("Company", overflow="fold")
    table.add_column("Calls", justify="right", no_wrap=True)
    table.add_column("Pay/show/sync", justify="right", no_wrap=True)
    table.add_column("Refused", justify="right", no_wrap=True)
    table.add_column("Mirror synced", no_wrap=True)
    for row in rows:
        u = row.usage
        table.add_row(
            row.name,
            f"{u.calls:,}",
            f"{u.payment}/{u.display}/{u.sync}",
            f"{u.refused:,}",
            f"{row.synced_at:%m-%d %H:%M}" if row.synced_at else "not yet",
        )
    return table


def configured_policy(settings: Settings) -> str:
    """The configured policy (what channels without one of their own follow) in one line;
    its amounts are in each company's base currency."""
    count = policy_count(
        EffectivePolicy.from_settings(settings),
        settings.auto_approve_below,
        settings.auto_approve_after_hours,
    )
    # An unknown currency code formats as the bare number behind "¤".
    words = policy_line(count, "XXX", locale=settings.default_locale)
    return words.replace(":warning: ", "WARNING: ").replace("¤", "").replace("\u00a0", " ")


def _claims_table(held: Sequence[Held]) -> Table:
    """Within 80 columns: the kind over the subject, the time over the holds, so the holder
    (at most 39 characters) keeps a line of its own."""
    table = Table(
        title=f"Claims past their lease ({len(held)})",
        caption=f"A live replica takes each over at its next tick ({MAX_ATTEMPTS} holds at most).",
        show_lines=True,
    )
    table.add_column("Claim", no_wrap=True)
    table.add_column("Held by", overflow="fold")
    table.add_column("Since (UTC)", no_wrap=True)
    for claim in held:
        table.add_row(
            f"{claim.kind}\n{claim.subject}",
            claim.holder,
            f"{claim.claimed_at:%Y-%m-%d}\n{claim.claimed_at:%H:%M:%S}\n"
            f"hold {claim.attempts} of {MAX_ATTEMPTS}",
        )
    return table


def _payments_table(payments: Sequence[WaitingPayment], seconds: str) -> Table:
    table = Table(
        title=f"Payments with no answer over {seconds} or waiting for a person ({len(payments)})"
    )
    table.add_column("Payment", justify="right", no_wrap=True)
    table.add_column("Channel", overflow="fold")
    table.add_column("Bill", overflow="fold")
    table.add_column("Amount", justify="right", no_wrap=True)
    table.add_column("Sent (UTC)", overflow="fold")
    for payment in payments:
        table.add_row(
            str(payment.id),
            payment.channel_id,
            payment.bill_id,
            format_money(payment.amount, payment.currency),
            f"{payment.sent_at:{TIME}}",
        )
    return table
