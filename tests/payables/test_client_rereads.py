"""Re-reading one bill with documented queries only, and listings that stay right while Codat's
offset continuation tokens shift under them: against the sandbox over its HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import httpx
import pytest

from billpay.payables.client import PayablesClient
from billpay.payables.errors import BillNotOutstanding, PayablesListingUnstable, PayablesNotFound
from billpay.payables.http import MAX_LISTING_PASSES
from billpay.payables.models import (
    Bill,
    BillLineItem,
    BillPaymentPrototype,
    BillPrototype,
    Ref,
    SupplierRef,
)
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.payables import CountingTransport, SleepRecorder, bill_by_reference, client_for

paged = pytest.mark.sandbox(page_size=4)  # 25 outstanding bills: 7 pages
RATES = {"EUR": Decimal("0.86"), "USD": Decimal("0.79")}  # GBP per unit


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoIds:
    assert sandbox.demo is not None
    return sandbox.demo


@pytest.fixture
async def direct(sandbox: Sandbox) -> AsyncIterator[PayablesClient]:
    """A second client of the same sandbox, whose requests the tests do not count or hook:
    the company's bookkeeper, paying bills while the bot reads."""
    inner = httpx.ASGITransport(app=sandbox.app, raise_app_exceptions=False)
    async with client_for(inner, SleepRecorder()) as client:
        yield client


async def pay_in_full(client: PayablesClient, demo: DemoIds, bill: Bill) -> None:
    await client.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill.id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount,
            date="2026-11-22",
            account_ref=Ref(id=demo.bank_accounts[bill.currency]),
            currency_rate=RATES.get(bill.currency),
        ),
    )


def bill_requests(transport: CountingTransport) -> list[httpx.Request]:
    return [r for r in transport.requests if r.method == "GET" and r.url.path.endswith("/bills")]


class BetweenPages(httpx.AsyncBaseTransport):
    """Runs `action` between the first and the second page of a bills listing (before the
    request for page 2 reaches the API), at most `times` times."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, action: Callable[[], Awaitable[None]], times: int
    ) -> None:
        self.inner = inner
        self.action = action
        self.times = times
        self.after_first_page = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/bills"):
            continued = "continuationToken" in request.url.params
            if continued and self.after_first_page and self.times > 0:
                self.times -= 1
                await self.action()
            self.after_first_page = not continued
        return await self.inner.handle_async_request(request)


# ---------------------------------------------------------------- get_bill


async def test_an_outstanding_bill_is_read_from_the_default_listing_in_one_request(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    first = (await payables.list_bills(demo.company_id, demo.connection_id)).results[-1]
    before = len(bill_requests(transport))
    again = await payables.get_bill(demo.company_id, demo.connection_id, first.id)
    assert again == first
    (request,) = bill_requests(transport)[before:]
    assert "query" not in request.url.params  # the default listing: no query at all


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_a_bill_paid_in_full_is_read_back_paid_where_a_status_query_reaches_it(
    make_sandbox: Callable[..., Sandbox], sleeps: SleepRecorder, strict: bool
) -> None:
    """Strict and lenient sandboxes both answer a query on `status` with bills of that status
    (strict keeps the outstanding default only for queries that do not name `status`)."""
    sandbox = make_sandbox(strict=strict)
    await sandbox.start()
    assert sandbox.demo is not None
    demo = sandbox.demo
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    async with client_for(transport, sleeps) as payables:
        bill = await bill_by_reference(payables, demo, "KC-40019")
        await pay_in_full(payables, demo, bill)
        before = len(bill_requests(transport))

        paid = await payables.get_bill(demo.company_id, demo.connection_id, bill.id)

    assert (paid.id, paid.status, paid.amount_due) == (bill.id, "Paid", Decimal(0))
    outstanding, others = bill_requests(transport)[before:]  # one page each
    assert "query" not in outstanding.url.params
    assert others.url.params["query"] == "status!=Open&&status!=PartiallyPaid"


@pytest.mark.sandbox(outstanding_only=True)
async def test_where_a_query_keeps_the_outstanding_default_a_paid_bill_is_not_outstanding(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    bill = await bill_by_reference(payables, demo, "KC-40019")
    await pay_in_full(payables, demo, bill)
    before = len(bill_requests(transport))

    with pytest.raises(BillNotOutstanding) as caught:
        await payables.get_bill(demo.company_id, demo.connection_id, bill.id)

    assert isinstance(caught.value, PayablesNotFound)  # callers catching the old error still do
    assert caught.value.bill_id == bill.id
    words = caught.value.user_message()
    assert "no longer outstanding" in words and "paid or voided" in words
    assert "deleted" not in words and "deleted" not in str(caught.value)
    assert len(bill_requests(transport)) - before == 2


@pytest.mark.parametrize("config", [{}, {"strict": False}, {"outstanding_only": True}], ids=str)
async def test_an_unknown_id_is_not_outstanding(
    make_sandbox: Callable[..., Sandbox], sleeps: SleepRecorder, config: dict[str, object]
) -> None:
    sandbox = make_sandbox(**config)
    await sandbox.start()
    assert sandbox.demo is not None
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    async with client_for(transport, sleeps) as payables:
        with pytest.raises(BillNotOutstanding):
            await payables.get_bill(sandbox.demo.company_id, sandbox.demo.connection_id, "nope")
    assert len(bill_requests(transport)) == 2  # each listing fits one page


async def test_a_void_bill_is_read_back_void(demo: DemoIds, payables: PayablesClient) -> None:
    void = await bill_by_reference(payables, demo, "KC-39955")
    again = await payables.get_bill(demo.company_id, demo.connection_id, void.id)
    assert again.status == "Void"


@paged
async def test_paging_stops_on_the_page_that_holds_the_bill(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    listed = [b async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    third_page = listed[9]
    before = len(bill_requests(transport))
    again = await payables.get_bill(demo.company_id, demo.connection_id, third_page.id)
    assert again.id == third_page.id
    assert len(bill_requests(transport)) - before == 3


@paged
async def test_on_several_pages_a_paid_bill_costs_two_reads_of_the_outstanding_list(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    """The outstanding listing (24 bills: 6 pages) is read twice, to be sure a shift did not
    hide the bill, then the other listing (4 bills: 1 page) finds it."""
    bill = await bill_by_reference(payables, demo, "KC-40019")
    await pay_in_full(payables, demo, bill)
    before = len(bill_requests(transport))
    paid = await payables.get_bill(demo.company_id, demo.connection_id, bill.id)
    assert paid.status == "Paid"
    assert len(bill_requests(transport)) - before == 6 + 6 + 1


@paged
async def test_a_bill_shifted_onto_an_earlier_page_mid_read_is_still_found(
    demo: DemoIds,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    direct: PayablesClient,
) -> None:
    """Looking for the first bill of page 2: a bill of page 1 is paid between pages 1 and 2, so
    the bill moves to page 1 and the first read misses it; the confirming read finds it."""
    listed = [b async for b in direct.iter_bills(demo.company_id, demo.connection_id)]
    wanted, settled = listed[4], listed[0]

    async def bookkeeper_pays() -> None:
        await pay_in_full(direct, demo, settled)

    inner = httpx.ASGITransport(app=sandbox.app)
    async with client_for(BetweenPages(inner, bookkeeper_pays, times=1), sleeps) as payables:
        found = await payables.get_bill(demo.company_id, demo.connection_id, wanted.id)
    assert found.id == wanted.id and found.status == wanted.status


# ---------------------------------------------------------------- listings over offset tokens


@paged
async def test_a_bill_paid_between_pages_neither_hides_another_nor_comes_twice(
    demo: DemoIds,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    direct: PayablesClient,
) -> None:
    before = [b async for b in direct.iter_bills(demo.company_id, demo.connection_id)]
    assert len(before) == 25
    settled = before[0]  # on page 1

    async def bookkeeper_pays() -> None:
        await pay_in_full(direct, demo, settled)

    hooked = CountingTransport(
        BetweenPages(httpx.ASGITransport(app=sandbox.app), bookkeeper_pays, times=1)
    )
    async with client_for(hooked, sleeps) as payables:
        seen = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]

    assert len(seen) == len(set(seen)) == 24
    assert set(seen) == {b.id for b in before} - {settled.id}
    assert before[4].id in seen  # the bill the shifted page 2 skipped on the first read
    # The first read (6 pages once the list shrank) missed one; the next two agreed.
    assert hooked.count("GET", "/bills") == 3 * 6


@paged
async def test_a_bill_added_between_pages_comes_once(
    demo: DemoIds,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    direct: PayablesClient,
) -> None:
    """A new bill due before every other one moves the list back one place: page 2 starts with
    the last bill of page 1 again. The repeat is dropped, and the listing read again."""
    before = [b.id async for b in direct.iter_bills(demo.company_id, demo.connection_id)]
    added: list[str] = []

    async def bookkeeper_adds() -> None:
        bill = await direct.create_bill(
            demo.company_id,
            demo.connection_id,
            BillPrototype(
                supplier_ref=SupplierRef(id=demo.suppliers["harbour"]),
                issue_date="2020-01-01",
                due_date="2020-01-31T00:00:00",
                currency="GBP",
                reference="EARLY-1",
                line_items=[
                    BillLineItem(
                        unit_amount=Decimal("10.00"),
                        tax_amount=Decimal("2.00"),
                        account_ref=Ref(id=demo.expense_accounts["6100"]),
                        tax_rate_ref=Ref(id=demo.tax_rates["standard"]),
                    )
                ],
            ),
        )
        added.append(bill.id)

    hooked = CountingTransport(
        BetweenPages(httpx.ASGITransport(app=sandbox.app), bookkeeper_adds, times=1)
    )
    async with client_for(hooked, sleeps) as payables:
        seen = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]

    assert len(seen) == len(set(seen)) == 26
    assert set(seen) == set(before) | set(added)


@paged
async def test_a_listing_that_keeps_changing_is_an_error_after_bounded_rereads(
    demo: DemoIds,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    direct: PayablesClient,
) -> None:
    async def bookkeeper_pays_the_first_bill() -> None:
        first = (await direct.list_bills(demo.company_id, demo.connection_id)).results[0]
        await pay_in_full(direct, demo, first)

    hooked = CountingTransport(
        BetweenPages(
            httpx.ASGITransport(app=sandbox.app), bookkeeper_pays_the_first_bill, times=100
        )
    )
    async with client_for(hooked, sleeps) as payables:
        with pytest.raises(PayablesListingUnstable) as caught:
            _ = [b async for b in payables.iter_bills(demo.company_id, demo.connection_id)]

    assert caught.value.passes == MAX_LISTING_PASSES == 4
    assert "kept changing" in caught.value.user_message()
    assert "Try again" in caught.value.user_message()
    # Four reads, each of 6 pages (24, 23, 22 then 21 bills left once a bill of page 1 was
    # paid), and no fifth.
    assert hooked.count("GET", "/bills") == 4 * 6


@paged
async def test_a_quiet_listing_of_several_pages_is_read_twice_and_once_of_one_page(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    bills = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    assert len(bills) == len(set(bills)) == 25
    assert transport.count("GET", "/bills") == 2 * 7
    suppliers = [s.id async for s in payables.iter_suppliers(demo.company_id, demo.connection_id)]
    assert len(suppliers) == len(set(suppliers)) == 10
    assert transport.count("GET", "/suppliers") == 2 * 3


async def test_a_listing_of_one_page_costs_one_request(
    demo: DemoIds, payables: PayablesClient, transport: CountingTransport
) -> None:
    bills = [b.id async for b in payables.iter_bills(demo.company_id, demo.connection_id)]
    assert len(bills) == 25
    assert transport.count("GET", "/bills") == 1
