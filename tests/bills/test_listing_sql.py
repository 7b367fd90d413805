"""`/bills` counted, summed and paged by the database says what the plain rules say: over any set
of mirrored bills (any status, due date, currency, amount to the twelfth decimal place,
supplier names and references with accents and case) and of cases (any state, figures moved
since the bill was mirrored), the SQL listing's page and summary are those of
`BillFilter.matches`, `BillFilter.shows`, `order_bills`, `summarise_cases` and `page_of`, for
every filter a person may type. Runs on SQLite and on PostgreSQL, whichever the tests use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from billpay.bills import listing_sql
from billpay.bills.listing import (
    Listed,
    order_bills,
    page_of,
    parse_filter,
    summarise_cases,
)
from billpay.core.domain import CaseState
from billpay.mirror import store
from billpay.payables.models import Bill
from billpay.store.db import Database
from billpay.store.models import BillCase, CompanyLink, MirroredBill

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COMPANY, CONNECTION = "co-listing", "cn-listing"

SUPPLIERS = ["Müller GmbH", "MULLER", "muller", "Acme", "Émile & Co", "acme 100%_", "Straße", None]
REFERENCES = ["INV-1", "inv-10", "Ref_5", "Façade 2", "", None]
FILTERS = [
    "",
    "overdue",
    "due 7d",
    "due today",
    "due 2w",
    "rejected",
    "muller",
    "MÜL",
    "ACME",
    "emile",
    "strasse",
    "inv-1",
    "facade",
    "%",
    "_",
    "100%_",
    "overdue acme",
    "due 7d inv",
    "rejected mü",
]


@st.composite
def amounts(draw: st.DrawFn) -> Decimal:
    places = draw(st.sampled_from([0, 2, 3, 6, 12]))
    return Decimal(draw(st.integers(0, 10**14))).scaleb(-places)


@dataclass(frozen=True)
class DrawnCase:
    state: CaseState
    currency: str
    amount_due: Decimal
    due_in: int


@st.composite
def bills(draw: st.DrawFn, n: int) -> Bill:
    due = TODAY + timedelta(days=draw(st.integers(-20, 20)))
    total = draw(amounts())
    body = {
        "id": f"bill-{draw(st.integers(0, 9))}-{n:02d}",
        "supplierRef": {"id": "s1", "supplierName": draw(st.sampled_from(SUPPLIERS))},
        "reference": draw(st.sampled_from(REFERENCES)),
        "issueDate": "2026-10-01T00:00:00",
        "dueDate": f"{due.isoformat()}T00:00:00",
        "currency": draw(st.sampled_from(["GBP", "EUR", "USD"])),
        "status": draw(st.sampled_from(["Open", "PartiallyPaid", "Paid", "Void"])),
        "totalAmount": str(total),
        "sourceModifiedDate": "2026-11-01T00:00:00Z",
    }
    if draw(st.booleans()) or total == 0:
        body["amountDue"] = str(draw(st.sampled_from([total, Decimal(0), draw(amounts())])))
    return Bill.model_validate({k: v for k, v in body.items() if v is not None})


cases = st.builds(
    DrawnCase,
    state=st.sampled_from(list(CaseState)),
    currency=st.sampled_from(["GBP", "EUR", "USD"]),
    amount_due=amounts(),
    due_in=st.integers(-20, 20),
)


async def _link(db: Database) -> CompanyLink:
    """The channel's link (made by the first example; later ones share the database)."""
    async with db.write() as s:
        link = await s.scalar(select(CompanyLink).where(CompanyLink.channel_id == "C0LIST"))
        if link is not None:
            return link
        link = CompanyLink(
            team_id="T0001",
            channel_id="C0LIST",
            company_id=COMPANY,
            connection_id=CONNECTION,
            company_name="Larkspur",
            base_currency="GBP",
            linked_by="U0ANA",
            linked_at=NOW,
            archived=False,
        )
        s.add(link)
    return link


async def _world(
    db: Database, link: CompanyLink, drawn: list[Bill], known: dict[str, DrawnCase]
) -> None:
    async with db.write() as s:
        await s.execute(delete(BillCase).where(BillCase.link_id == link.id))
        await s.execute(delete(MirroredBill).where(MirroredBill.company_id == COMPANY))
        await store.put_bills(s, COMPANY, CONNECTION, drawn, NOW)
        for bill in drawn:
            if (case := known.get(bill.id)) is None:
                continue
            s.add(
                BillCase(
                    link_id=link.id,
                    bill_id=bill.id,
                    state=case.state,
                    approvals_required=1,
                    supplier_name=bill.supplier_ref.supplier_name or "",
                    reference=bill.reference,
                    currency=case.currency,
                    total_amount=bill.total_amount,
                    amount_due=case.amount_due,
                    issue_date=bill.issued_on,
                    due_date=TODAY + timedelta(days=case.due_in),
                    bill_status=bill.status,
                )
            )


async def _compare(
    db: Database,
    link: CompanyLink,
    drawn: list[Bill],
    known: dict[str, DrawnCase],
    text: str,
    page: int,
    on_cards: set[str],
) -> None:
    """The SQL listing's summary, page and bills to bring up to date are the plain ones."""
    bill_filter = parse_filter(text)
    matching = order_bills(
        [b for b in drawn if b.is_outstanding and bill_filter.matches(b, TODAY)], TODAY
    )
    listed = [
        Listed(
            b.id,
            known[b.id].state,
            known[b.id].currency,
            known[b.id].amount_due,
            TODAY + timedelta(days=known[b.id].due_in),
        )
        if b.id in known
        else Listed.of_bill(b)
        for b in matching
    ]
    expected = summarise_cases(listed, bill_filter, TODAY, "GBP", on_cards)
    shown = [item.bill_id for item in listed if bill_filter.shows(item)]
    expected_page, expected_number = page_of(shown, page)

    async with db.read() as s:
        summary = await listing_sql.summary(s, link, bill_filter, TODAY, on_cards)
        on_page, number = await listing_sql.page(s, link, bill_filter, TODAY, page, summary.count)
        known_bills = await listing_sql.known_bills(s, link, bill_filter, TODAY)

    assert summary == expected, text
    assert list(summary.totals) == list(expected.totals)  # the base currency first
    assert ([b.id for b in on_page], number) == (expected_page, expected_number), (text, page)
    assert sorted(b.id for b in known_bills) == sorted(b.id for b in matching if b.id in known)


def _table() -> tuple[list[Bill], dict[str, DrawnCase]]:
    """Bills at every edge a filter draws (due yesterday, today, in 7 and 8 days, 14 and 15;
    names and references with accents, case and `%`/`_`), every status, amounts owed of
    nothing, of a tenth (a float would drift), and to the twelfth place; a case in every state
    for some, with figures moved since the bill was mirrored."""
    drawn: list[Bill] = []
    known: dict[str, DrawnCase] = {}
    states = list(CaseState)
    dues = [-3, -1, 0, 1, 7, 8, 14, 15]
    owed = ["0.1", "0.10", "0", "1234.5", "0.000000000001", "99999999.99"]
    n = 0
    for supplier in SUPPLIERS:
        for reference in REFERENCES:
            n += 1
            status = ["Open", "PartiallyPaid", "Open", "Paid", "Void"][n % 5]
            due = TODAY + timedelta(days=dues[n % len(dues)])
            body = {
                "id": f"bill-{n:03d}",
                "supplierRef": {"id": "s1", "supplierName": supplier},
                "reference": reference,
                "issueDate": "2026-10-01T00:00:00",
                "dueDate": f"{due.isoformat()}T00:00:00",
                "currency": ["GBP", "EUR", "GBP", "USD"][n % 4],
                "status": status,
                "totalAmount": owed[(n + 1) % len(owed)],
                "amountDue": owed[n % len(owed)] if n % 7 else None,
                "sourceModifiedDate": "2026-11-01T00:00:00Z",
            }
            bill = Bill.model_validate({k: v for k, v in body.items() if v is not None})
            drawn.append(bill)
            if n % 3 == 0:
                known[bill.id] = DrawnCase(
                    states[(n // 3) % len(states)],
                    ["GBP", "EUR"][n % 2],
                    Decimal(owed[(n + 2) % len(owed)]),
                    dues[(n + 3) % len(dues)],
                )
    # Ties on the due date and the supplier (accents and case aside), ordered by reference
    # against their ids; and a bill owing nothing as mirrored whose case still shows it.
    for n, (supplier, reference) in enumerate(
        [("Acme", "INV-1"), ("ACME", "inv-2"), ("Émile & Co", "A"), ("emile & co", "b")]
    ):
        drawn.append(
            Bill.model_validate(
                {
                    "id": f"tie-{9 - n}",
                    "supplierRef": {"id": "s1", "supplierName": supplier},
                    "reference": reference,
                    "issueDate": "2026-10-01T00:00:00",
                    "dueDate": f"{TODAY.isoformat()}T00:00:00",
                    "currency": "GBP",
                    "status": "Open",
                    "totalAmount": "10.00",
                    "amountDue": "10.00",
                }
            )
        )
    settled = drawn[0].model_copy(update={"id": "owes-nothing", "amount_due": Decimal(0)})
    drawn.append(settled.model_copy(update={"status": "PartiallyPaid"}))
    known[settled.id] = DrawnCase(CaseState.APPROVED, "GBP", Decimal("5.00"), 1)
    return drawn, known


async def test_the_sql_listing_is_the_plain_listing_for_every_filter_and_page(
    bot_db: Database,
) -> None:
    link = await _link(bot_db)
    drawn, known = _table()
    await _world(bot_db, link, drawn, known)
    rejected = {b for b, case in known.items() if case.state == CaseState.REJECTED}
    for text in FILTERS:
        for page in range(6):
            await _compare(bot_db, link, drawn, known, text, page, set())
        await _compare(bot_db, link, drawn, known, text, 0, set(list(rejected)[:1]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_the_sql_listing_is_the_plain_listing(bot_db: Database, data: st.DataObject) -> None:
    link = await _link(bot_db)
    count = data.draw(st.integers(0, 30), label="bills")
    drawn = list({b.id: b for b in (data.draw(bills(n)) for n in range(count))}.values())
    known = {
        bill.id: data.draw(cases, label=f"case of {bill.id}")
        for bill in drawn
        if data.draw(st.booleans())
    }
    await _world(bot_db, link, drawn, known)
    for text in data.draw(st.lists(st.sampled_from(FILTERS), min_size=1, max_size=4)):
        page = data.draw(st.integers(0, 3), label="page")
        on_cards = set(data.draw(st.lists(st.sampled_from([b.id for b in drawn] or ["x"]))))
        await _compare(bot_db, link, drawn, known, text, page, on_cards)
