"""Listing through the client: continuation-token and numbered paging, and the query language
end to end (builder → HTTP → sandbox parser) on the seeded bills."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesBadRequest
from billpay.payables.models import Bill, BillPaymentPrototype, Ref
from billpay.payables.query import Q, outstanding_bills
from payables_sandbox.app import Sandbox
from testkit.payables import TODAY, CountingTransport

paged = pytest.mark.sandbox(page_size=4)
keyset_paged = pytest.mark.sandbox(page_size=4, paging="keyset")
# The query language end to end on every field of a bill: the lenient sandbox (strict mode takes
# only the fields the spec documents for list bills, `status` and `sourceModifiedDate`).
lenient = pytest.mark.sandbox(strict=False)


@pytest.fixture
async def all_bills(payables: PayablesClient, sandbox: Sandbox) -> list[Bill]:
    demo = sandbox.demo
    assert demo is not None
    query = Q("status") != "Unknown"
    return [b async for b in payables.iter_bills(demo.company_id, demo.connection_id, query=query)]


@paged
async def test_bills_page_with_continuation_tokens(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport
) -> None:
    demo = sandbox.demo
    assert demo is not None
    first = await payables.list_bills(demo.company_id, demo.connection_id)
    assert len(first.results) == 4
    assert first.pagination is not None and first.pagination.continuation_token

    bills = [b async for b in payables.iter_bills(demo.company_id, demo.connection_id)]

    assert len(bills) == 25  # 25 outstanding bills over 7 pages of 4
    assert len({b.id for b in bills}) == 25
    assert all(b.status in ("Open", "PartiallyPaid") for b in bills)
    # Read twice: a second read that agrees proves no page shifted (tests/payables/
    # test_client_rereads.py).
    assert transport.count("GET", "/bills") == 1 + 2 * 7


@keyset_paged
async def test_a_keyset_token_from_another_query_is_refused(
    sandbox: Sandbox, payables: PayablesClient
) -> None:
    demo = sandbox.demo
    assert demo is not None
    first = await payables.list_bills(demo.company_id, demo.connection_id)
    assert first.pagination is not None
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.list_bills(
            demo.company_id,
            demo.connection_id,
            query="status=Paid",
            continuation_token=first.pagination.continuation_token,
        )
    assert "continuation token" in (caught.value.error or "")


@paged
async def test_suppliers_and_mapping_options_page_to_the_end(
    sandbox: Sandbox, payables: PayablesClient
) -> None:
    demo = sandbox.demo
    assert demo is not None
    suppliers = [s async for s in payables.iter_suppliers(demo.company_id, demo.connection_id)]
    assert len(suppliers) == 10  # active and archived: the API's default for suppliers
    assert {s.status for s in suppliers} == {"Active", "Archived"}

    options = await payables.get_bill_mapping_options(demo.company_id, demo.connection_id)
    assert len(options.accounts) == 9  # active accounts only, merged over three pages
    assert all(a.status == "Active" for a in options.accounts)
    assert {t.name for t in options.tax_rates} >= {"Standard rate VAT 20%", "Zero rated"}

    banks = await payables.get_payment_mapping_options(demo.company_id, demo.connection_id)
    assert sorted(b.currency for b in banks.bank_accounts) == ["EUR", "GBP", "USD"]
    archived = await payables.get_payment_mapping_options(
        demo.company_id, demo.connection_id, status_query="status=Archived"
    )
    assert [b.name for b in archived.bank_accounts] == ["Old Savings"]


async def test_companies_page_by_number(payables: PayablesClient) -> None:
    for n in range(5):
        await payables.create_company(f"Paging Co {n}")

    page = await payables.list_companies(page=2, page_size=2, order_by="name")
    assert page.total_results == 6
    assert page.page_number == 2
    assert [c.name for c in page.results] == ["Paging Co 1", "Paging Co 2"]
    assert page.links is not None and page.links.next is not None

    names = [c.name async for c in payables.iter_companies(page_size=2)]
    assert len(names) == 6


async def test_list_bills_without_a_query_returns_outstanding_only(
    sandbox: Sandbox, payables: PayablesClient, all_bills: list[Bill]
) -> None:
    demo = sandbox.demo
    assert demo is not None
    default = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    explicit = [
        b.id
        async for b in payables.iter_bills(
            demo.company_id, demo.connection_id, query=outstanding_bills()
        )
    ]
    assert len(all_bills) == 28
    assert sorted(default) == sorted(explicit)
    assert sorted(default) == sorted(b.id for b in all_bills if b.is_outstanding)


def _expect(bills: list[Bill], keep: Callable[[Bill], bool]) -> list[str]:
    return sorted(b.id for b in bills if keep(b))


@lenient
@pytest.mark.parametrize(
    ("query", "keep"),
    [
        (Q("currency") == "EUR", lambda b: b.currency == "EUR"),
        (Q("status") != "Open", lambda b: b.status != "Open"),
        (Q("amountDue") > Decimal("2500"), lambda b: b.amount_due > 2500),
        (Q("amountDue") >= Decimal("3000.00"), lambda b: b.amount_due >= 3000),
        (Q("amountDue") < 100, lambda b: b.amount_due < 100),
        (Q("amountDue") <= Decimal("98.40"), lambda b: b.amount_due <= Decimal("98.40")),
        (Q("dueDate") < TODAY, lambda b: b.due_on < TODAY),
        (Q("dueDate") == TODAY, lambda b: b.due_on == TODAY),
        (Q("issueDate") >= date(2026, 11, 21), lambda b: b.issued_on >= date(2026, 11, 21)),
        (
            Q("supplierName").contains("pike"),
            lambda b: "Pike" in (b.supplier_ref.supplier_name or ""),
        ),
        (
            (Q("currency") == "USD") & (Q("status") == "PartiallyPaid"),
            lambda b: b.currency == "USD" and b.status == "PartiallyPaid",
        ),
        (
            (Q("currency") == "USD") | (Q("currency") == "EUR"),
            lambda b: b.currency in ("USD", "EUR"),
        ),
        (
            ((Q("currency") == "USD") | (Q("currency") == "EUR")) & (Q("dueDate") < TODAY),
            lambda b: b.currency in ("USD", "EUR") and b.due_on < TODAY,
        ),
    ],
    ids=lambda v: str(v) if not callable(v) else "",
)
async def test_each_operator_selects_exactly_the_matching_bills(
    sandbox: Sandbox,
    payables: PayablesClient,
    all_bills: list[Bill],
    query: object,
    keep: Callable[[Bill], bool],
) -> None:
    demo = sandbox.demo
    assert demo is not None
    found = [
        b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id, query=query)
    ]
    expected = _expect(all_bills, keep)
    assert expected, "the seed should contain matching bills for every case"
    assert sorted(found) == expected


@lenient
async def test_supplier_ref_id_filter(
    sandbox: Sandbox, payables: PayablesClient, all_bills: list[Bill]
) -> None:
    demo = sandbox.demo
    assert demo is not None
    supplier_id = demo.suppliers["harbour"]
    found = [
        b.supplier_ref.supplier_name
        async for b in payables.iter_bills(
            demo.company_id, demo.connection_id, query=Q("supplierRef.id") == supplier_id
        )
    ]
    assert found and set(found) == {"Harbour & Pike Solicitors"}


@lenient
async def test_an_unknown_field_is_a_clear_400(sandbox: Sandbox, payables: PayablesClient) -> None:
    demo = sandbox.demo
    assert demo is not None
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.list_bills(demo.company_id, demo.connection_id, query="colour=red")
    assert "Could not resolve property colour" in (caught.value.error or "")


async def test_get_bill_rereads_one_bill(sandbox: Sandbox, payables: PayablesClient) -> None:
    demo = sandbox.demo
    assert demo is not None
    first = (await payables.list_bills(demo.company_id, demo.connection_id)).results[0]
    again = await payables.get_bill(demo.company_id, demo.connection_id, first.id)
    assert again == first


@keyset_paged
async def test_with_keyset_tokens_paying_a_bill_between_pages_skips_nothing(
    sandbox: Sandbox, payables: PayablesClient
) -> None:
    demo = sandbox.demo
    assert demo is not None
    first = await payables.list_bills(demo.company_id, demo.connection_id)
    settled = next(b for b in first.results if b.currency == "GBP")
    await payables.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        settled.id,
        BillPaymentPrototype(
            amount=settled.outstanding_amount,
            date="2026-11-22",
            account_ref=Ref(id=demo.bank_accounts["GBP"]),
        ),
    )
    seen = [b.id for b in first.results]
    assert first.pagination is not None
    token = first.pagination.continuation_token
    while token:
        page = await payables.list_bills(
            demo.company_id, demo.connection_id, continuation_token=token
        )
        seen += [b.id for b in page.results]
        token = page.pagination.continuation_token if page.pagination else None

    assert len(seen) == len(set(seen)) == 25  # the 24 still due, and the one paid on page 1
