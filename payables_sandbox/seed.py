"""The sandbox's demo company: a small design studio with suppliers, bills and bank accounts.

Everything is deterministic: ids are UUIDv5 of a fixed name, and due dates are offsets from
`today`, so the demo always has bills overdue, due today, due this week and due later. Totals are
computed from line items (net plus VAT), exactly as the API computes them for new bills.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payables_sandbox import store
from payables_sandbox.money import round_to_currency
from payables_sandbox.platforms import DEMO_BANKING, OTHER_SOURCES

NAMESPACE = uuid.UUID("6f1c3a52-8d0e-4b7a-9a51-0c2f8e6b1d47")
DEMO_COMPANY_NAME = "Larkspur Design Studio Ltd"
BASE_CURRENCY = "GBP"


def demo_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


@dataclass(frozen=True)
class DemoIds:
    company_id: str
    connection_id: str
    bank_accounts: dict[str, str] = field(default_factory=dict)
    suppliers: dict[str, str] = field(default_factory=dict)
    expense_accounts: dict[str, str] = field(default_factory=dict)
    tax_rates: dict[str, str] = field(default_factory=dict)


LEDGER_ACCOUNTS = [
    # nominal code, name, status
    ("5000", "Cost of sales", "Active"),
    ("6100", "Rent and rates", "Active"),
    ("6200", "Light, heat and power", "Active"),
    ("6300", "Software subscriptions", "Active"),
    ("6400", "Office stationery", "Active"),
    ("6500", "Legal and professional fees", "Active"),
    ("6600", "Courier and postage", "Active"),
    ("6700", "Advertising and marketing", "Active"),
    ("6800", "Printing", "Active"),
    ("6900", "Suspense (old)", "Archived"),
]

TAX_RATES = [
    # key, name, code, rate, status
    ("standard", "Standard rate VAT 20%", "S", Decimal(20), "Active"),
    ("reduced", "Reduced rate VAT 5%", "R", Decimal(5), "Active"),
    ("zero", "Zero rated", "Z", Decimal(0), "Active"),
    ("exempt", "Exempt", "E", Decimal(0), "Active"),
    ("old", "Standard rate VAT 17.5% (old)", "S1", Decimal("17.5"), "Archived"),
]

BANK_ACCOUNTS = [
    # key, name, type, number, sort code, nominal, currency, status
    ("GBP", "Business Current", "Debit", "41230987", "40-47-84", "1200", "GBP", "Active"),
    ("EUR", "Euro Account", "Debit", "GB29NWBK60161331926819", None, "1210", "EUR", "Active"),
    ("USD", "Dollar Account", "Debit", "GB94BARC10201530093459", None, "1220", "USD", "Active"),
    ("OLD", "Old Savings", "Debit", "00981234", "20-00-00", "1230", "GBP", "Archived"),
]

SUPPLIERS = [
    # key, name, contact, email, phone, city, country, currency, status
    (
        "northridge",
        "Northridge Office Supplies",
        "Sarah Johnson",
        "accounts@northridge.example",
        "+44 1223 322410",
        "Cambridge",
        "GB",
        "GBP",
        "Active",
    ),
    (
        "brightwave",
        "Brightwave Energy",
        "Billing team",
        "billing@brightwave.example",
        "+44 345 600 1234",
        "Bristol",
        "GB",
        "GBP",
        "Active",
    ),
    (
        "harbour",
        "Harbour & Pike Solicitors",
        "Tom Pike",
        "tom.pike@harbourpike.example",
        "+44 20 7946 0321",
        "London",
        "GB",
        "GBP",
        "Active",
    ),
    (
        "kestrel",
        "Kestrel Couriers",
        "Dispatch office",
        "invoices@kestrel.example",
        "+44 161 496 0750",
        "Manchester",
        "GB",
        "GBP",
        "Active",
    ),
    (
        "pinecrest",
        "Pinecrest Facilities",
        "Amira Shah",
        "amira@pinecrest.example",
        "+44 113 496 0112",
        "Leeds",
        "GB",
        "GBP",
        "Active",
    ),
    (
        "lumiere",
        "Atelier Lumière SARL",
        "Camille Roux",
        "compta@atelier-lumiere.example",
        "+33 1 84 88 12 34",
        "Paris",
        "FR",
        "EUR",
        "Active",
    ),
    (
        "mueller",
        "Müller Druck GmbH",
        "Jonas Müller",
        "rechnung@mueller-druck.example",
        "+49 30 901820",
        "Berlin",
        "DE",
        "EUR",
        "Active",
    ),
    (
        "cloudnine",
        "Cloudnine Software Inc",
        "Accounts receivable",
        "ar@cloudnine.example",
        "+1 415 555 0134",
        "San Francisco",
        "US",
        "USD",
        "Active",
    ),
    (
        "redline",
        "Redline Marketing Co",
        "Dana Brooks",
        "dana@redline.example",
        "+1 212 555 0187",
        "New York",
        "US",
        "USD",
        "Active",
    ),
    (
        "oldmill",
        "Old Mill Stationers",
        "Peter Gray",
        "peter@oldmill.example",
        None,
        "York",
        "GB",
        "GBP",
        "Archived",
    ),
]

# supplier, reference, issued (days from today), due (days from today), currency,
# lines [(nominal code, quantity, unit amount, tax rate key)], paid so far, final status
Line = tuple[str, str, str, str]
BILLS: list[tuple[str, str, int, int, str, list[Line], str | None, str | None]] = [
    # Overdue
    ("pinecrest", "PF-2291", -44, -30, "GBP", [("6100", "1", "2500.00", "standard")], None, None),
    ("brightwave", "BW-88213", -35, -21, "GBP", [("6200", "1", "412.36", "reduced")], None, None),
    ("lumiere", "AL-2026-117", -44, -14, "EUR", [("6700", "12", "180.00", "zero")], "800.00", None),
    ("kestrel", "KC-40019", -24, -10, "GBP", [("6600", "14", "18.50", "standard")], None, None),
    ("cloudnine", "INV-77120", -37, -7, "USD", [("6300", "15", "49.00", "zero")], None, None),
    ("harbour", "HP/2026/0412", -33, -3, "GBP", [("6500", "6", "225.00", "standard")], None, None),
    ("northridge", "NOS-55821", -31, -1, "GBP", [("6400", "1", "318.75", "standard")], None, None),
    # Due today
    ("mueller", "RE-2026-0933", -30, 0, "EUR", [("6800", "2500", "0.84", "zero")], None, None),
    ("brightwave", "BW-88377", -14, 0, "GBP", [("6200", "1", "98.40", "reduced")], None, None),
    (
        "redline",
        "RM-1184",
        -30,
        0,
        "USD",
        [("6700", "1", "4200.00", "zero"), ("6700", "1", "650.00", "zero")],
        "2000.00",
        None,
    ),
    # Due this week
    ("pinecrest", "PF-2304", -13, 1, "GBP", [("6100", "1", "385.00", "standard")], None, None),
    ("kestrel", "KC-40102", -12, 2, "GBP", [("6600", "22", "18.50", "standard")], None, None),
    ("lumiere", "AL-2026-124", -27, 3, "EUR", [("6700", "1", "3150.00", "zero")], None, None),
    (
        "harbour",
        "HP/2026/0431",
        -25,
        4,
        "GBP",
        [("6500", "1", "1800.00", "standard"), ("6500", "1", "240.00", "exempt")],
        "1000.00",
        None,
    ),
    ("cloudnine", "INV-77245", -25, 5, "USD", [("6300", "40", "12.50", "zero")], None, None),
    ("northridge", "NOS-55907", -9, 6, "GBP", [("6400", "3", "64.99", "standard")], None, None),
    # Later
    ("pinecrest", "PF-2318", -2, 12, "GBP", [("6100", "1", "2500.00", "standard")], None, None),
    ("mueller", "RE-2026-0987", -5, 16, "EUR", [("6800", "1", "1275.50", "zero")], None, None),
    ("brightwave", "BW-88501", -3, 18, "GBP", [("6200", "1", "436.12", "reduced")], None, None),
    ("redline", "RM-1201", -4, 21, "USD", [("6700", "1", "1750.00", "zero")], None, None),
    (
        "harbour",
        "HP/2026/0456",
        -1,
        28,
        "GBP",
        [("6500", "4", "225.00", "standard")],
        "300.00",
        None,
    ),
    ("lumiere", "AL-2026-131", -1, 30, "EUR", [("6700", "1", "990.00", "zero")], None, None),
    ("kestrel", "KC-40188", 0, 30, "GBP", [("6600", "9", "18.50", "standard")], None, None),
    ("cloudnine", "INV-77388", 0, 35, "USD", [("6300", "1", "5880.00", "zero")], None, None),
    ("northridge", "NOS-56010", 0, 45, "GBP", [("6400", "10", "12.40", "standard")], None, None),
    # History: settled and voided bills
    ("pinecrest", "PF-2275", -75, -45, "GBP", [("6100", "1", "2500.00", "standard")], "all", None),
    ("brightwave", "BW-88020", -60, -40, "GBP", [("6200", "1", "401.90", "reduced")], "all", None),
    ("kestrel", "KC-39955", -50, -20, "GBP", [("6600", "5", "18.50", "standard")], None, "Void"),
]


async def provision_ledger(
    session: AsyncSession,
    connection_id: str,
    *,
    key: Callable[[str], str],
    modified: datetime,
    currency: str,
) -> dict[str, Decimal]:
    """Give a newly linked connection the chart of accounts and tax rates every accounting
    platform starts with; return the tax rates by key."""
    for code, name, status in LEDGER_ACCOUNTS:
        session.add(
            store.LedgerAccount(
                id=key(f"account:{code}"),
                connection_id=connection_id,
                nominal_code=code,
                name=name,
                type="Expense",
                currency=currency,
                status=status,
                source_modified_date=modified,
            )
        )
    rates: dict[str, Decimal] = {}
    for tax_key, name, code, rate, status in TAX_RATES:
        rates[tax_key] = rate
        session.add(
            store.TaxRate(
                id=key(f"tax:{tax_key}"),
                connection_id=connection_id,
                name=name,
                code=code,
                effective_tax_rate=rate,
                total_tax_rate=rate,
                status=status,
            )
        )
    return rates


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


async def seed_if_empty(session: AsyncSession, *, today: date | None = None) -> DemoIds:
    """Seed the demo company unless it is already there; return its ids either way."""
    today = today or date.today()
    company_id = demo_id("company")
    ids = DemoIds(
        company_id=company_id,
        connection_id=demo_id("connection"),
        bank_accounts={row[0]: demo_id(f"bank:{row[0]}") for row in BANK_ACCOUNTS},
        suppliers={row[0]: demo_id(f"supplier:{row[0]}") for row in SUPPLIERS},
        expense_accounts={row[0]: demo_id(f"account:{row[0]}") for row in LEDGER_ACCOUNTS},
        tax_rates={row[0]: demo_id(f"tax:{row[0]}") for row in TAX_RATES},
    )
    if await session.scalar(select(store.Company.id).where(store.Company.id == company_id)):
        return ids
    created = datetime.combine(today - timedelta(days=120), time(9, 0), tzinfo=UTC)
    session.add(store.Company(id=company_id, name=DEMO_COMPANY_NAME, tags={}, created=created))
    session.add(
        store.Connection(
            id=ids.connection_id,
            company_id=company_id,
            platform_key="mqjo",
            platform_name="Codat Sandbox",
            integration_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "codat-integration:mqjo")),
            source_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "codat-source:mqjo")),
            status="Linked",
            base_currency=BASE_CURRENCY,
            created=created,
            last_sync=created,
        )
    )
    # The company's bank feed is connected too, before its ledger: a Banking connection that
    # is Linked and listed first, which payables work must pass over.
    banking_name, _kind = OTHER_SOURCES[DEMO_BANKING]
    session.add(
        store.Connection(
            id=demo_id("connection:banking"),
            company_id=company_id,
            platform_key=DEMO_BANKING,
            platform_name=banking_name,
            integration_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-integration:{DEMO_BANKING}")),
            source_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-source:{DEMO_BANKING}")),
            status="Linked",
            base_currency=BASE_CURRENCY,
            created=created - timedelta(days=1),
            last_sync=created,
        )
    )
    await session.flush()
    rates = await provision_ledger(
        session, ids.connection_id, key=demo_id, modified=created, currency=BASE_CURRENCY
    )
    for key, name, kind, number, sort_code, nominal, currency, status in BANK_ACCOUNTS:
        session.add(
            store.BankAccount(
                id=ids.bank_accounts[key],
                connection_id=ids.connection_id,
                nominal_code=nominal,
                name=name,
                account_type=kind,
                account_number=number,
                sort_code=sort_code,
                currency=currency,
                status=status,
                source_modified_date=created,
            )
        )
    suppliers: dict[str, store.Supplier] = {}
    for key, name, contact, email, phone, city, country, currency, status in SUPPLIERS:
        suppliers[key] = store.Supplier(
            id=ids.suppliers[key],
            connection_id=ids.connection_id,
            supplier_name=name,
            contact_name=contact,
            email_address=email,
            phone=phone,
            addresses=[
                {
                    "type": "Billing",
                    "line1": None,
                    "line2": None,
                    "city": city,
                    "region": None,
                    "country": country,
                    "postalCode": None,
                }
            ],
            status=status,
            balance=Decimal(0),
            default_currency=currency,
            source_modified_date=created,
        )
        session.add(suppliers[key])
    await session.flush()

    for index, (supplier_key, reference, issued, due, currency, lines, paid, final) in enumerate(
        BILLS
    ):
        supplier = suppliers[supplier_key]
        line_items = []
        total = Decimal(0)
        for code, quantity, unit, tax_key in lines:
            net = round_to_currency(Decimal(quantity) * Decimal(unit), currency)
            tax = round_to_currency(net * rates[tax_key] / 100, currency)
            line_items.append(
                {
                    "unitAmount": Decimal(unit),
                    "quantity": Decimal(quantity),
                    "taxAmount": tax,
                    "totalAmount": net + tax,
                    "accountRef": {"id": ids.expense_accounts[code]},
                    "taxRateRef": {"id": ids.tax_rates[tax_key]},
                    "trackingRefs": [],
                }
            )
            total += net + tax
        paid_amount = total if paid == "all" else Decimal(paid or 0)
        amount_due = total - paid_amount
        status = final or ("Paid" if amount_due == 0 else "PartiallyPaid" if paid else "Open")
        modified = datetime.combine(today + timedelta(days=min(issued, 0)), time(8, 30), UTC)
        bill_id = demo_id(f"bill:{reference}")
        session.add(
            store.Bill(
                id=bill_id,
                connection_id=ids.connection_id,
                reference=reference,
                supplier_id=supplier.id,
                supplier_name=supplier.supplier_name,
                issue_date=_midnight(today + timedelta(days=issued)),
                due_date=_midnight(today + timedelta(days=due)),
                currency=currency,
                currency_rate=None,
                line_items=line_items,
                status=status,
                total_amount=total,
                amount_due=amount_due,
                source_modified_date=modified,
            )
        )
        if paid_amount:
            session.add(
                store.BillPayment(
                    id=demo_id(f"payment:{reference}"),
                    connection_id=ids.connection_id,
                    bill_id=bill_id,
                    amount=paid_amount,
                    date=modified,
                    reference=f"Payment {index + 1:03d}",
                    account_id=ids.bank_accounts[currency],
                    currency_rate=None,
                    # Written in the demo's past, when the bill last changed: reads that lag
                    # behind new payments show it.
                    created=modified,
                )
            )
        if status in ("Open", "PartiallyPaid") and currency == supplier.default_currency:
            supplier.balance += amount_due
    await session.flush()
    return ids
