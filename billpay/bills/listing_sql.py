"""The `/bills` listing in SQL: the mirrored outstanding bills a filter matches, with the cases the
bot has for them, filtered, ordered, counted, summed per currency and paged by the database, so
that a listing costs about the same at 500 bills as at 50,000 and nothing kept grows with the
company. The rules are those `billpay.bills.listing` says in plain Python (`BillFilter.matches`,
`BillFilter.shows`, `order_bills`, `summarise_cases`); tests hold the two to each other.

A bill the bot has a case for counts with the case's figures (currency, amount due, due date)
and state; any other with the mirror's. The database counts and sums the mirror's figures over
an index holding all of them (`ix_mirrored_bills_listing`, also the listing's order); the bills
the bot has cases for, read from the cases' side, are then counted with their cases'. Sums are
exact on both databases: the mirror keeps what is owed as two integers, its whole units and its
twelve decimal places (`owed_parts`), which the database sums apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from billpay.bills.listing import (
    GONE,
    PAGE_SIZE,
    BillFilter,
    Listed,
    Summary,
    ordered_totals,
    page_count,
)
from billpay.core.domain import CaseState
from billpay.core.search import folded
from billpay.mirror.store import OWED_PLACES
from billpay.payables.models import OUTSTANDING_STATUSES, Bill
from billpay.store.models import BillCase, CompanyLink, MirroredBill

# Something is still owed on the bill as mirrored (`Bill.outstanding_amount` > 0).
_mirror_owes = and_(
    MirroredBill.owed_units >= 0,
    or_(MirroredBill.owed_units > 0, MirroredBill.owed_fraction > 0),
)
_NOT_SHOWN = [state.value for state in (*GONE, CaseState.REJECTED)]
CHUNK = 500


def _matching(link: CompanyLink, bill_filter: BillFilter, today: date) -> list[ColumnElement[bool]]:
    """`BillFilter.matches` of the link's outstanding mirrored bills."""
    where: list[ColumnElement[bool]] = [
        MirroredBill.company_id == link.company_id,
        MirroredBill.connection_id == link.connection_id,
        MirroredBill.status.in_(OUTSTANDING_STATUSES),
    ]
    if bill_filter.kind == "overdue":
        where.append(MirroredBill.due_date < today)
    elif bill_filter.kind == "due":
        where.append(MirroredBill.due_date <= today + timedelta(days=bill_filter.days))
    if bill_filter.text:
        wanted = folded(bill_filter.text)
        where.append(
            or_(
                MirroredBill.supplier_folded.contains(wanted, autoescape=True),
                MirroredBill.reference_folded.contains(wanted, autoescape=True),
            )
        )
    return where


def _positive(amount: Any) -> ColumnElement[bool]:
    # A sign needs no exact figure; SQLite's money is text, compared as text otherwise.
    return cast(amount, Float) > 0


def _shows(bill_filter: BillFilter) -> ColumnElement[bool]:
    """`BillFilter.shows` (outside `/bills rejected`), of a bill's case, or of the bill as
    mirrored when it has none."""
    return or_(
        and_(BillCase.id.is_(None), _mirror_owes),
        and_(BillCase.state.not_in(_NOT_SHOWN), _positive(BillCase.amount_due)),
    )


def _dialect(s: AsyncSession) -> str:
    return s.get_bind().dialect.name


def _total(units: int | None, fraction: int | None) -> Decimal:
    return Decimal(units or 0) + Decimal(fraction or 0).scaleb(-OWED_PLACES)


def _plain(amount: Decimal) -> Decimal:
    exact = amount.normalize()
    exponent = exact.as_tuple().exponent
    return exact.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else exact


@dataclass(frozen=True)
class _Known:
    """A bill the filter matches that the bot has a case for: the case as listed, and the
    bill's figures as mirrored."""

    case: Listed
    currency: str
    owed: Decimal
    due_date: date


async def _known(
    s: AsyncSession, link: CompanyLink, bill_filter: BillFilter, today: date, *, bodies: bool
) -> tuple[list[_Known], list[dict[str, Any]]]:
    """The bills the filter matches that the bot has a case for, read from the cases' side
    (the link's cases, then their mirrored rows by id): as many as the bot has cases, however
    many bills the company has. With `bodies`, the bills' JSON too."""
    cases = {
        bill_id: Listed(bill_id, CaseState(state), currency, amount_due, due_date)
        for bill_id, state, currency, amount_due, due_date in await s.execute(
            select(
                BillCase.bill_id,
                BillCase.state,
                BillCase.currency,
                BillCase.amount_due,
                BillCase.due_date,
            ).where(BillCase.link_id == link.id)
        )
    }
    known: list[_Known] = []
    found: list[dict[str, Any]] = []
    where = _matching(link, bill_filter, today)
    columns: list[Any] = [
        MirroredBill.bill_id,
        MirroredBill.currency,
        MirroredBill.owed_units,
        MirroredBill.owed_fraction,
        MirroredBill.due_date,
    ]
    ids = list(cases)
    for start in range(0, len(ids), CHUNK):
        rows = await s.execute(
            select(*columns, *([MirroredBill.body] if bodies else [])).where(
                *where, MirroredBill.bill_id.in_(ids[start : start + CHUNK])
            )
        )
        for bill_id, currency, units, fraction, due_date, *body in rows:
            known.append(_Known(cases[bill_id], currency, _total(units, fraction), due_date))
            found.extend(body)
    return known, found


async def summary(
    s: AsyncSession,
    link: CompanyLink,
    bill_filter: BillFilter,
    today: date,
    on_cards: Collection[str] = (),
) -> Summary:
    """`summarise_cases` of the listing as the mirror and the cases stand now: how many bills
    it shows, how many of them are overdue, what is due per currency, and (outside `/bills
    rejected`) how many rejected bills it leaves out that are not on the message's cards.

    The database counts and sums the matching bills as mirrored (one pass over an index that
    holds every figure it needs); the bills the bot has a case for are then counted with the
    case's state and figures instead of the mirror's."""
    counts: dict[str, int] = defaultdict(int)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    overdue = 0
    if bill_filter.kind != "rejected":
        rows = await s.execute(
            select(
                MirroredBill.currency,
                func.count(),
                func.sum(case((MirroredBill.due_date < today, 1), else_=0)),
                func.sum(MirroredBill.owed_units),
                func.sum(MirroredBill.owed_fraction),
            )
            .where(*_matching(link, bill_filter, today), _mirror_owes)
            .group_by(MirroredBill.currency)
        )
        for currency, n, late, units, fraction in rows:
            counts[currency] += n
            overdue += late or 0
            totals[currency] += _total(units, fraction)
    known, _ = await _known(s, link, bill_filter, today, bodies=False)
    hidden = 0
    for item in known:
        if bill_filter.kind != "rejected" and item.owed > 0:  # counted as mirrored above
            counts[item.currency] -= 1
            overdue -= item.due_date < today
            totals[item.currency] -= item.owed
        if bill_filter.shows(item.case):
            counts[item.case.currency] += 1
            overdue += item.case.due_date < today
            totals[item.case.currency] += item.case.amount_due
        elif (
            bill_filter.kind != "rejected"
            and item.case.state == CaseState.REJECTED
            and item.case.bill_id not in on_cards
        ):
            hidden += 1
    shown = {currency: _plain(totals[currency]) for currency, n in counts.items() if n}
    return Summary(sum(counts.values()), overdue, ordered_totals(shown, link.base_currency), hidden)


async def page(
    s: AsyncSession,
    link: CompanyLink,
    bill_filter: BillFilter,
    today: date,
    page: int,
    count: int,
) -> tuple[list[Bill], int]:
    """The bills on `page` (0-based, clamped to the `count` shown bills' pages) in the
    listing's order (`order_bills`), and that page number."""
    page = min(max(page, 0), page_count(count) - 1)
    if count == 0:
        return [], page
    in_order: list[Any] = [MirroredBill.due_date]
    texts: list[Any] = [
        MirroredBill.supplier_folded,
        MirroredBill.reference_folded,
        MirroredBill.bill_id,
    ]
    # Code point order, as Python compares strings (PostgreSQL's collation would not).
    in_order += [c.collate("C") for c in texts] if _dialect(s) == "postgresql" else texts
    query = select(MirroredBill.bill_id).where(*_matching(link, bill_filter, today))
    if bill_filter.kind == "rejected":
        rejected = select(BillCase.bill_id).where(
            BillCase.link_id == link.id, BillCase.state == CaseState.REJECTED.value
        )
        query = query.where(MirroredBill.bill_id.in_(list(await s.scalars(rejected))))
    else:
        on = and_(BillCase.link_id == link.id, BillCase.bill_id == MirroredBill.bill_id)
        query = query.outerjoin(BillCase, on).where(_shows(bill_filter))
    ids = list(await s.scalars(query.order_by(*in_order).limit(PAGE_SIZE).offset(page * PAGE_SIZE)))
    bodies: dict[str, dict[str, Any]] = dict(
        (
            await s.execute(
                select(MirroredBill.bill_id, MirroredBill.body).where(
                    MirroredBill.company_id == link.company_id,
                    MirroredBill.connection_id == link.connection_id,
                    MirroredBill.bill_id.in_(ids),
                )
            )
        ).all()
    )
    return [Bill.model_validate(bodies[bill_id]) for bill_id in ids], page


async def known_bills(
    s: AsyncSession, link: CompanyLink, bill_filter: BillFilter, today: date
) -> list[Bill]:
    """The mirrored bills the filter's dates and text match that the bot has a case for,
    whatever the case's state: those a listing brings up to date before counting them."""
    _, bodies = await _known(s, link, bill_filter, today, bodies=True)
    return [Bill.model_validate(body) for body in bodies]
