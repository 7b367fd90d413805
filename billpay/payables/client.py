"""The payables API's 25 operations, typed: companies, connections, company information, bill and
payment mapping options, bills, bill attachments, bill payments, suppliers and bank accounts, each
sent through `PayablesHttp` (auth, retries, deadlines, idempotency keys, paging).

Reads use documented queries only: list bills is queryable on `status` and `sourceModifiedDate`
alone, so one bill is re-read by looking for it in listings (`get_bill`), never by `id=`.
Continuation-token listings (bills, suppliers) are read whole and checked for shifts before they
are handed out (`iter_bills`, `iter_suppliers`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from billpay.payables import models
from billpay.payables.errors import BillNotOutstanding
from billpay.payables.http import (
    Clock,
    PayablesHttp,
    RetryPolicy,
    Sleep,
    basic_auth,
    compact,
    decode,
    new_idempotency_key,
    parse_as,
    parse_item,
)
from billpay.payables.query import Expr, not_outstanding_bills

__all__ = [
    "Clock",
    "PayablesClient",
    "RetryPolicy",
    "Sleep",
    "basic_auth",
    "new_idempotency_key",
]


class PayablesClient(PayablesHttp):
    """Typed access to the 25 operations of the payables API."""

    # ------------------------------------------------------------ companies

    async def list_companies(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        query: str | Expr | None = None,
        order_by: str | None = None,
        tags: str | None = None,
    ) -> models.Companies:
        params = {
            "page": page,
            "pageSize": page_size,
            "query": query,
            "orderBy": order_by,
            "tags": tags,
        }
        return await self._get("/companies", models.Companies, params)

    async def iter_companies(
        self, *, query: str | Expr | None = None, tags: str | None = None, page_size: int = 100
    ) -> AsyncIterator[models.Company]:
        page = 1
        while True:
            batch = await self.list_companies(
                page=page, page_size=page_size, query=query, tags=tags
            )
            for company in batch.results:
                yield company
            if not batch.results or page * batch.page_size >= batch.total_results:
                return
            page += 1

    async def create_company(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> models.Company:
        body = compact({"name": name, "description": description, "tags": tags})
        return await self._send("POST", "/companies", models.Company, body, idempotency_key)

    async def get_company(self, company_id: str) -> models.Company:
        return await self._get(f"/companies/{company_id}", models.Company)

    async def replace_company(
        self,
        company_id: str,
        name: str,
        *,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> models.Company:
        body = compact({"name": name, "description": description, "tags": tags})
        return await self._send("PUT", f"/companies/{company_id}", models.Company, body)

    async def update_company(
        self,
        company_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> models.Company:
        body = compact({"name": name, "description": description, "tags": tags})
        return await self._send(
            "PATCH", f"/companies/{company_id}", models.Company, body, idempotency_key
        )

    async def delete_company(self, company_id: str) -> None:
        await self.request("DELETE", f"/companies/{company_id}")

    # ------------------------------------------------------------ connections

    async def list_connections(
        self,
        company_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        query: str | Expr | None = None,
        order_by: str | None = None,
    ) -> models.Connections:
        params = {"page": page, "pageSize": page_size, "query": query, "orderBy": order_by}
        return await self._get(f"/companies/{company_id}/connections", models.Connections, params)

    async def create_connection(
        self, company_id: str, platform_key: str, *, idempotency_key: str | None = None
    ) -> models.Connection:
        return await self._send(
            "POST",
            f"/companies/{company_id}/connections",
            models.Connection,
            {"platformKey": platform_key},
            idempotency_key,
        )

    async def get_connection(self, company_id: str, connection_id: str) -> models.Connection:
        return await self._get(_connection(company_id, connection_id), models.Connection)

    async def delete_connection(self, company_id: str, connection_id: str) -> None:
        await self.request("DELETE", _connection(company_id, connection_id))

    async def unlink_connection(
        self, company_id: str, connection_id: str, *, idempotency_key: str | None = None
    ) -> models.Connection:
        """Unlink a linked connection (linking is the company's to do, through its linkUrl)."""
        return await self._send(
            "PATCH",
            _connection(company_id, connection_id),
            models.Connection,
            {"status": "Unlinked"},
            idempotency_key,
        )

    # ------------------------------------------------------------ company information and options

    async def get_company_information(
        self, company_id: str, connection_id: str
    ) -> models.CompanyInformation:
        path = _payables(company_id, connection_id) + "/info"
        return await self._get(path, models.CompanyInformation)

    async def get_bill_mapping_options(
        self, company_id: str, connection_id: str, *, status_query: str | Expr | None = None
    ) -> models.BillMappingOptions:
        """All bill mapping options: every page fetched and merged."""
        path = _payables(company_id, connection_id) + "/mappingOptions/bills"
        merged = models.BillMappingOptions()
        async for page in self._continuation(
            path, models.BillMappingOptions, {"statusQuery": status_query}
        ):
            merged.accounts.extend(page.accounts)
            merged.tax_rates.extend(page.tax_rates)
        return merged

    async def get_payment_mapping_options(
        self, company_id: str, connection_id: str, *, status_query: str | Expr | None = None
    ) -> models.PaymentMappingOptions:
        """All bank accounts a payment can be made from: every page fetched and merged."""
        path = _payables(company_id, connection_id) + "/mappingOptions/payments"
        merged = models.PaymentMappingOptions()
        async for page in self._continuation(
            path, models.PaymentMappingOptions, {"statusQuery": status_query}
        ):
            merged.bank_accounts.extend(page.bank_accounts)
        return merged

    # ------------------------------------------------------------ bills

    async def list_bills(
        self,
        company_id: str,
        connection_id: str,
        *,
        query: str | Expr | None = None,
        continuation_token: str | None = None,
    ) -> models.Bills:
        """One page of bills; with no query, the API returns outstanding bills only."""
        params = {"query": query, "continuationToken": continuation_token}
        return await self._get(
            _payables(company_id, connection_id) + "/bills", models.Bills, params
        )

    async def iter_bills(
        self, company_id: str, connection_id: str, *, query: str | Expr | None = None
    ) -> AsyncIterator[models.Bill]:
        """Every bill of the listing (with no query, the outstanding ones), each exactly once.

        The whole listing is read, and made consistent, before the first bill is yielded (see
        `_consistent_listing`): what is yielded is never taken back, so it can only be yielded
        once it is known to be right. A listing of one page costs one request; one of n pages
        costs 2n when nothing changes while it is read. Raises `PayablesListingUnstable` if it
        keeps changing."""
        path = _payables(company_id, connection_id) + "/bills"
        listing = await self._consistent_listing(path, models.Bills, {"query": query}, _bills)
        for bill in listing.records:
            yield bill

    async def get_bill(self, company_id: str, connection_id: str, bill_id: str) -> models.Bill:
        """Re-read one bill, with documented queries only (the API has no single-bill read, and
        list bills is queryable on `status` and `sourceModifiedDate` only).

        1. The default listing (no query: the outstanding bills, `Open` and `PartiallyPaid`),
           page by page, stopping on the page that holds the bill.
        2. If it is not there: the listing for `status!=Open&&status!=PartiallyPaid`, likewise.
           The spec does not say whether a query keeps the outstanding-only default. If it does
           not, this returns paid, void (and draft) bills, and a bill found here is returned as
           the API has it (`Paid` or `Void`, with its `amountDue`). If it does, this returns
           nothing, and the bill is reported as no longer outstanding, which is then all anyone
           can know through the API.
        3. Not found in either: `BillNotOutstanding` (a `PayablesNotFound`): paid or voided
           elsewhere, or removed. Never "deleted": the API cannot tell those apart.

        Cost, in GET requests: with page size p (the API's; list bills takes no `pageSize`, and
        Codat's pages hold 100), an outstanding bill at position k costs ceil(k/p), usually 1.
        A bill no longer outstanding costs the whole outstanding listing, then the other listing
        up to the bill. Each listing that spans more than one page and does not hold the bill is
        read twice (the second read proves the first skipped nothing: Codat's continuation
        tokens are offsets, so a bill paid during the read shifts later pages, see
        `_consistent_listing`). So a paid bill with under p outstanding bills costs 2 requests
        (plus ceil(position/p) - 1 more deep in the paid listing), and an unknown id with under p
        bills in either listing costs 2. A step that keeps changing raises
        `PayablesListingUnstable` rather than guess."""
        path = _payables(company_id, connection_id) + "/bills"
        for query in (None, not_outstanding_bills()):
            listing = await self._consistent_listing(
                path, models.Bills, {"query": query}, _bills, wanted=bill_id
            )
            if listing.found is not None:
                return listing.found
        raise BillNotOutstanding(bill_id)

    async def create_bill(
        self,
        company_id: str,
        connection_id: str,
        bill: models.BillPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.Bill:
        path = _payables(company_id, connection_id) + "/bills"
        return await self._send("POST", path, models.Bill, bill.to_api(), idempotency_key)

    async def update_bill(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        bill: models.BillPrototype,
    ) -> models.Bill:
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}"
        return await self._send("PUT", path, models.Bill, bill.to_api())

    async def upload_bill_attachment(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
        idempotency_key: str | None = None,
    ) -> models.Attachment:
        """Upload a file under an Idempotency-Key (the caller's, or a new GUID), kept across
        this call's retries: the docs ask for one on every POST, though the spec declares none
        here. A caller that may send the upload again later passes the key it stored first, so
        that within the replay window a repeat attaches nothing twice."""
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/attachments"
        response = await self.request(
            "POST",
            path,
            files={"file": (filename, content, content_type)},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parse_as(models.Attachment, response)

    async def list_bill_attachments(
        self, company_id: str, connection_id: str, bill_id: str
    ) -> list[models.Attachment]:
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/attachments"
        response = await self.request("GET", path)
        return [parse_item(models.Attachment, item, path) for item in decode(response)]

    async def download_bill_attachment(
        self, company_id: str, connection_id: str, bill_id: str, attachment_id: str
    ) -> bytes:
        path = (
            _payables(company_id, connection_id)
            + f"/bills/{bill_id}/attachments/{attachment_id}/download"
        )
        return (await self.request("GET", path)).content

    # ------------------------------------------------------------ payments

    async def create_bill_payment(
        self,
        company_id: str,
        connection_id: str,
        bill_id: str,
        payment: models.BillPaymentPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.BillPayment:
        """Record a payment against a bill. Pass the payment's own idempotency key, stored
        before this call, so that retrying the business operation can never pay twice."""
        path = _payables(company_id, connection_id) + f"/bills/{bill_id}/payment"
        return await self._send("POST", path, models.BillPayment, payment.to_api(), idempotency_key)

    # ------------------------------------------------------------ suppliers

    async def list_suppliers(
        self,
        company_id: str,
        connection_id: str,
        *,
        query: str | Expr | None = None,
        continuation_token: str | None = None,
    ) -> models.Suppliers:
        params = {"query": query, "continuationToken": continuation_token}
        path = _payables(company_id, connection_id) + "/suppliers"
        return await self._get(path, models.Suppliers, params)

    async def iter_suppliers(
        self, company_id: str, connection_id: str, *, query: str | Expr | None = None
    ) -> AsyncIterator[models.Supplier]:
        """Every supplier of the listing, each exactly once; read whole and made consistent
        first, as `iter_bills` does."""
        path = _payables(company_id, connection_id) + "/suppliers"
        listing = await self._consistent_listing(
            path, models.Suppliers, {"query": query}, _suppliers
        )
        for supplier in listing.records:
            yield supplier

    async def create_supplier(
        self,
        company_id: str,
        connection_id: str,
        supplier: models.SupplierPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.Supplier:
        path = _payables(company_id, connection_id) + "/suppliers"
        return await self._send("POST", path, models.Supplier, supplier.to_api(), idempotency_key)

    async def update_supplier(
        self,
        company_id: str,
        connection_id: str,
        supplier_id: str,
        supplier: models.SupplierPrototype,
    ) -> models.Supplier:
        path = _payables(company_id, connection_id) + f"/suppliers/{supplier_id}"
        return await self._send("PUT", path, models.Supplier, supplier.to_api())

    # ------------------------------------------------------------ bank accounts

    async def create_bank_account(
        self,
        company_id: str,
        connection_id: str,
        account: models.BankAccountPrototype,
        *,
        idempotency_key: str | None = None,
    ) -> models.BankAccount:
        path = _payables(company_id, connection_id) + "/bankAccounts"
        return await self._send("POST", path, models.BankAccount, account.to_api(), idempotency_key)


def _connection(company_id: str, connection_id: str) -> str:
    return f"/companies/{company_id}/connections/{connection_id}"


def _payables(company_id: str, connection_id: str) -> str:
    return _connection(company_id, connection_id) + "/payables"


def _bills(page: models.Bills) -> list[models.Bill]:
    return page.results


def _suppliers(page: models.Suppliers) -> list[models.Supplier]:
    return page.results
