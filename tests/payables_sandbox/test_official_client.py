"""Contract test: Codat's official Python client drives the payables sandbox unchanged.

The sandbox app is served over real HTTP (uvicorn on an ephemeral port) and driven with the
published ``codat-sync-for-payables`` SDK, configured exactly as for Codat itself apart from the
server URL: Basic auth with the API key, no retries, and the SDK's own pydantic models
validating every response. Each operation only accepts its documented success status (201 on
creates, 200 elsewhere), so a successful call also proves the status code.

The sandbox database is a temporary SQLite file, or with ``BILLPAY_TEST_DATABASE_URL`` (for
example ``postgresql+asyncpg://root@127.0.0.1:5432/test``) set, a database of this worker's on
that server (``testkit.databases``); either way the sandbox resets its own tables before seeding.
"""

from __future__ import annotations

import base64
import html
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip(
    "codat_sync_for_payables",
    reason="the official client is not installed (pip install 'codat-sync-for-payables>=10')",
)

from codat_sync_for_payables import CodatSyncForPayables
from codat_sync_for_payables.models import errors, operations, shared
from codat_sync_for_payables.utils import RetryConfig

from payables_sandbox.app import SandboxConfig, create_sandbox_app
from testkit.payables import database_url_for
from testkit.serve import serve_asgi

# One worker runs the module: its servers are started once per module, not once per worker.
pytestmark = pytest.mark.xdist_group("official-client")

API_KEY = "contract-key"
REQUEST_TIMEOUT_MS = 30_000
MAX_PAGES = 100

OUTSTANDING = {shared.BillStatus.OPEN, shared.BillStatus.PARTIALLY_PAID}


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url_for(tmp_path_factory.mktemp("sandbox"), "contract")


@contextmanager
def _billpay_sandbox_command(database_url: str) -> Iterator[str]:
    """`billpay sandbox --port N --api-key KEY` as a user runs it, in its own process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).with_name("billpay")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "billpay.runtime.cli"]
    command += [
        "sandbox",
        "--port",
        str(port),
        "--api-key",
        API_KEY,
        "--database-url",
        database_url,
        "--reset",
        "--strict",
    ]
    url = f"http://127.0.0.1:{port}"
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as process,  # noqa: S603
    ):
        try:
            _wait_until_serving(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"billpay sandbox exited with {process.returncode}: {output}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("billpay sandbox did not start within 30 seconds")
        time.sleep(0.1)


# The server in a process of its own is slow to start: with the slow tests only.
@pytest.fixture(
    scope="module",
    params=["uvicorn-in-thread", pytest.param("billpay-sandbox-command", marks=pytest.mark.slow)],
)
def sandbox_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a freshly seeded sandbox served over HTTP: once by uvicorn in a thread of
    this process, once by the `billpay sandbox` command in a process of its own."""
    database_url = _database_url(tmp_path_factory)
    if request.param == "billpay-sandbox-command":
        with _billpay_sandbox_command(database_url) as url:
            yield url
        return
    config = SandboxConfig(
        api_key=API_KEY, database_url=database_url, seed=True, reset=True, strict=True
    )
    with serve_asgi(create_sandbox_app(config)) as url:
        yield url


def make_sdk(server_url: str, api_key: str) -> CodatSyncForPayables:
    """The official client as an integrator would configure it, pointed at ``server_url``."""
    token = base64.b64encode(api_key.encode()).decode("ascii")
    return CodatSyncForPayables(
        security=shared.Security(auth_header=f"Basic {token}"),
        server_url=server_url,
        retry_config=RetryConfig("none"),
        timeout_ms=REQUEST_TIMEOUT_MS,
    )


def money(value: object) -> Decimal:
    """An amount from a response model as a Decimal (floats via their shortest repr)."""
    assert isinstance(value, Decimal | int | float) and not isinstance(value, bool), value
    return value if isinstance(value, Decimal) else Decimal(str(value))


def collect(fetch_page: Callable[[str | None], Any]) -> list[Any]:
    """Every result of a paged list operation, following continuation tokens."""
    results: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = fetch_page(token)
        results.extend(page.results or [])
        token = page.pagination.continuation_token if page.pagination is not None else None
        if not token:
            return results
    raise AssertionError(f"still paging after {MAX_PAGES} pages")


def authorise_in_browser(link_url: str) -> None:
    """What the company does with a linkUrl: open the page, press Authorise (a form POST)."""
    page = httpx.get(link_url, timeout=10)
    page.raise_for_status()
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None, page.text
    done = httpx.post(str(page.url.join(html.unescape(action.group(1)))), timeout=10)
    done.raise_for_status()


def codat_datetime(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def test_official_client_drives_a_whole_bill_pay_flow(sandbox_url: str) -> None:
    today = date.today()
    with make_sdk(sandbox_url, API_KEY) as sdk:
        # A company with a linked accounting connection, and one still waiting for its user.
        company = sdk.companies.create(
            request=shared.CompanyRequestBody(
                name="Contract Stationers Ltd", description="Created by the contract test"
            )
        )
        assert company.id
        assert company.name == "Contract Stationers Ltd"

        connection = sdk.connections.create(
            request=operations.CreateConnectionRequest(
                company_id=company.id,
                request_body=operations.CreateConnectionRequestBody(platform_key="mqjo"),
            )
        )
        assert connection.id
        assert connection.status == shared.DataConnectionStatus.PENDING_AUTH
        # The company authorises it through the Link flow: open linkUrl, press Authorise.
        assert connection.link_url.startswith(sandbox_url)
        authorise_in_browser(connection.link_url)
        connection = sdk.connections.get(
            request=operations.GetConnectionRequest(
                company_id=company.id, connection_id=connection.id
            )
        )
        assert connection.status == shared.DataConnectionStatus.LINKED

        pending = sdk.connections.create(
            request=operations.CreateConnectionRequest(
                company_id=company.id,
                request_body=operations.CreateConnectionRequestBody(platform_key="gbol"),
            )
        )
        assert pending.id and pending.id != connection.id
        assert pending.status == shared.DataConnectionStatus.PENDING_AUTH
        assert pending.link_url.startswith(("http://", "https://"))

        ids = {"company_id": company.id, "connection_id": connection.id}

        # Company profile from the accounting platform.
        info = sdk.company_information.get(request=operations.GetCompanyInformationRequest(**ids))
        assert isinstance(info.company_name, str) and info.company_name
        assert isinstance(info.base_currency, str)
        assert len(info.base_currency) == 3 and info.base_currency.isupper()
        currency = info.base_currency

        # Suppliers: list, create one, find it in the list.
        def list_suppliers(token: str | None) -> shared.Suppliers:
            return sdk.suppliers.list(
                request=operations.ListSuppliersRequest(**ids, continuation_token=token)
            )

        suppliers_before = {s.id for s in collect(list_suppliers)}
        supplier = sdk.suppliers.create(
            request=operations.CreateSupplierRequest(
                **ids,
                supplier_prototype=shared.SupplierPrototype(
                    supplier_name="Contract Paper Co",
                    contact_name="Ada Lovelace",
                    email_address="accounts@contract-paper.example",
                    phone="+44 20 7946 0000",
                    status=shared.SupplierStatus.ACTIVE,
                    default_currency=currency,
                ),
            )
        )
        assert supplier.id and supplier.id not in suppliers_before
        assert supplier.supplier_name == "Contract Paper Co"
        assert supplier.status == shared.SupplierStatus.ACTIVE
        assert supplier.id in {s.id for s in collect(list_suppliers)}

        # What a bill's lines can be booked against.
        bill_options = sdk.bills.get_bill_options(
            request=operations.GetMappingOptionsBillsRequest(**ids)
        )
        accounts = [a for a in bill_options.accounts or [] if a is not None and a.id]
        tax_rates = [t for t in bill_options.tax_rates or [] if t.id]
        assert accounts, "bill mapping options offer no accounts"
        assert tax_rates, "bill mapping options offer no tax rates"
        account_ref = shared.BillAccountRef(id=accounts[0].id)
        tax_rate_ref = shared.BillTaxRateRef(id=tax_rates[0].id)

        # A bill for the new supplier; its total is computed from the lines.
        lines = [
            shared.BillLineItem(
                description="A4 paper, 10 boxes",
                unit_amount=Decimal("120.50"),
                quantity=Decimal("2"),
                tax_amount=Decimal("48.20"),
                total_amount=Decimal("289.20"),
                account_ref=account_ref,
                tax_rate_ref=tax_rate_ref,
            ),
            shared.BillLineItem(
                description="Delivery",
                unit_amount=Decimal("15.00"),
                quantity=Decimal("3"),
                tax_amount=Decimal("9.00"),
                total_amount=Decimal("54.00"),
                account_ref=account_ref,
                tax_rate_ref=tax_rate_ref,
            ),
        ]
        expected_total = sum(
            (money(li.unit_amount) * money(li.quantity) + money(li.tax_amount) for li in lines),
            Decimal(0),
        )
        assert expected_total == Decimal("343.20")

        bill = sdk.bills.create(
            request=operations.CreateBillRequest(
                **ids,
                bill_prototype=shared.BillPrototype(
                    reference="CT-0001",
                    supplier_ref=shared.SupplierRef(
                        id=supplier.id, supplier_name=supplier.supplier_name
                    ),
                    issue_date=codat_datetime(today),
                    due_date=codat_datetime(today + timedelta(days=30)),
                    currency=currency,
                    line_items=lines,
                    status=shared.BillStatus.OPEN,
                ),
            )
        )
        assert bill.id
        bill_id = bill.id
        assert bill.status == shared.BillStatus.OPEN
        assert bill.reference == "CT-0001"
        assert bill.supplier_ref.id == supplier.id
        assert bill.currency == currency
        assert isinstance(bill.line_items, list) and len(bill.line_items) == 2
        assert money(bill.total_amount) == expected_total
        assert money(bill.amount_due) == expected_total

        def list_bills(query: str | None = None) -> list[shared.Bill]:
            return collect(
                lambda token: sdk.bills.list(
                    request=operations.ListBillsRequest(
                        **ids, continuation_token=token, query=query
                    )
                )
            )

        def find_bill(bills: list[shared.Bill]) -> shared.Bill:
            matches = [b for b in bills if b.id == bill_id]
            assert len(matches) == 1, f"bill {bill_id} listed {len(matches)} times"
            return matches[0]

        # Without a query only outstanding bills are listed, the new one among them.
        outstanding = list_bills()
        assert {b.status for b in outstanding} <= OUTSTANDING
        assert money(find_bill(outstanding).amount_due) == expected_total

        # The supplier's invoice, attached to the bill and returned byte for byte.
        invoice_pdf = (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
            b"1 0 obj\n<< /Type /Catalog >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R >>\n%%EOF\n" + bytes(range(256))
        )
        attachment = sdk.bills.upload_attachment(
            request=operations.UploadBillAttachmentRequest(
                **ids,
                bill_id=bill_id,
                attachment_upload=shared.AttachmentUpload(
                    file=shared.CodatFile(
                        file_name="invoice-CT-0001.pdf",
                        content=invoice_pdf,
                        content_type="application/pdf",
                    )
                ),
            )
        )
        assert attachment.id
        assert attachment.name == "invoice-CT-0001.pdf"
        assert attachment.file_size == len(invoice_pdf)
        assert attachment.content_type == "application/pdf"

        attachments = sdk.bills.list_attachments(
            request=operations.ListBillAttachmentsRequest(**ids, bill_id=bill_id)
        )
        assert [(a.id, a.name, a.file_size) for a in attachments] == [
            (attachment.id, "invoice-CT-0001.pdf", len(invoice_pdf))
        ]

        download = sdk.bills.download_attachment(
            request=operations.DownloadBillAttachmentRequest(
                **ids, bill_id=bill_id, attachment_id=attachment.id
            )
        )
        assert download.content == invoice_pdf

        # Where a payment can come from; a new bank account in the bill's currency joins them.
        def payment_account_ids() -> set[str | None]:
            options = sdk.bill_payments.get_payment_options(
                request=operations.GetMappingOptionsPaymentsRequest(**ids)
            )
            return {a.id for a in options.bank_accounts or [] if a is not None}

        accounts_before = payment_account_ids()
        bank_account = sdk.bank_accounts.create(
            request=operations.CreateBankAccountRequest(
                **ids,
                bank_account_prototype=shared.BankAccountPrototype(
                    name="Contract Current Account",
                    account_type=shared.BankAccountType.DEBIT,
                    account_number="41526374",
                    sort_code="40-47-84",
                    nominal_code="1210",
                    currency=bill.currency,
                ),
            )
        )
        assert bank_account.id and bank_account.id not in accounts_before
        assert bank_account.name == "Contract Current Account"
        assert bank_account.currency == bill.currency
        assert bank_account.account_type == shared.BankAccountType.DEBIT
        assert bank_account.id in payment_account_ids()

        def pay(amount: Decimal, reference: str) -> shared.BillPayment:
            assert bank_account.id
            return sdk.bill_payments.create(
                request=operations.CreateBillPaymentRequest(
                    **ids,
                    bill_id=bill_id,
                    idempotency_key=str(uuid.uuid4()),
                    bill_payment_prototype=shared.BillPaymentPrototype(
                        amount=amount,
                        date_=codat_datetime(today),
                        reference=reference,
                        account_ref=shared.BillPaymentAccountRef(id=bank_account.id),
                    ),
                )
            )

        # A partial payment: the bill stays outstanding with less to pay.
        first = pay(Decimal("100.00"), "CT-0001 part 1")
        assert first.id
        assert money(first.amount) == Decimal("100.00")
        assert first.account_ref is not None and first.account_ref.id == bank_account.id

        partly_paid = find_bill(list_bills())
        assert partly_paid.status == shared.BillStatus.PARTIALLY_PAID
        assert money(partly_paid.total_amount) == expected_total
        assert money(partly_paid.amount_due) == expected_total - Decimal("100.00")

        # Paying the remainder settles it.
        remainder = money(partly_paid.amount_due)
        second = pay(remainder, "CT-0001 final")
        assert second.id and second.id != first.id
        assert money(second.amount) == remainder

        paid = find_bill(list_bills("status=Paid"))
        assert paid.status == shared.BillStatus.PAID
        assert money(paid.amount_due) == Decimal(0)
        assert money(paid.total_amount) == expected_total
        assert bill_id not in {b.id for b in list_bills("status=PartiallyPaid")}
        assert bill_id not in {b.id for b in list_bills()}


def test_wrong_api_key_gets_the_documented_401_error(sandbox_url: str) -> None:
    with (
        make_sdk(sandbox_url, "not-the-contract-key") as sdk,
        pytest.raises(errors.ErrorMessage) as caught,
    ):
        sdk.companies.list()
    assert caught.value.status_code == 401
    assert caught.value.data.status_code == 401
