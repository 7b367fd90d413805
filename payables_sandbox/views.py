"""How the sandbox's rows look on the wire: each table row turned into the API's JSON shape."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from payables_sandbox import store
from payables_sandbox.platforms import source_type

# The sandbox's own address as the current request reached it: links point back at the sandbox.
link_base: ContextVar[str] = ContextVar("link_base", default="http://127.0.0.1:8900")


def link_url(company_id: str, connection_id: str) -> str:
    """Where the company authorises a connection: the sandbox's Link page (see `link`)."""
    base = link_base.get().rstrip("/")
    return f"{base}/link/companies/{company_id}/connections/{connection_id}/start"


def timestamp(value: datetime | None) -> str | None:
    """A moment in time, as the API writes it: UTC with a trailing `Z`."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def calendar_date(value: datetime | date) -> str:
    """A calendar date (issue, due, payment dates), written as midnight with no zone."""
    return value.strftime("%Y-%m-%dT00:00:00")


def connection(row: store.Connection) -> dict[str, Any]:
    return {
        "id": row.id,
        "integrationId": row.integration_id,
        "integrationKey": row.platform_key,
        "sourceId": row.source_id,
        "sourceType": source_type(row.platform_key),
        "platformName": row.platform_name,
        "linkUrl": link_url(row.company_id, row.id),
        "status": row.status,
        "lastSync": timestamp(row.last_sync),
        "created": timestamp(row.created),
        "dataConnectionErrors": [],
        "connectionInfo": None,
    }


def company(row: store.Company, connections: list[store.Connection]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "redirect": f"{link_base.get().rstrip('/')}/link/companies/{row.id}",
        "lastSync": timestamp(row.last_sync),
        "created": timestamp(row.created),
        "createdByUserName": "sandbox",
        "products": ["payables"],
        "tags": row.tags or {},
        "referenceSubsidiaryCompanies": [],
        "dataConnections": [connection(c) for c in connections],
    }
    return body


def supplier(row: store.Supplier) -> dict[str, Any]:
    return {
        "id": row.id,
        "supplierName": row.supplier_name,
        "contactName": row.contact_name,
        "emailAddress": row.email_address,
        "phone": row.phone,
        "addresses": row.addresses or [],
        "status": row.status,
        "balance": row.balance,
        "defaultCurrency": row.default_currency,
        "sourceModifiedDate": timestamp(row.source_modified_date),
    }


def bill(row: store.Bill) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": row.reference,
        "supplierRef": {"id": row.supplier_id, "supplierName": row.supplier_name},
        "issueDate": calendar_date(row.issue_date),
        "dueDate": calendar_date(row.due_date),
        "currency": row.currency,
        "currencyRate": row.currency_rate,
        "lineItems": row.line_items or [],
        "status": row.status,
        "totalAmount": row.total_amount,
        "amountDue": row.amount_due,
        "sourceModifiedDate": timestamp(row.source_modified_date),
    }


def bill_payment(row: store.BillPayment) -> dict[str, Any]:
    return {
        "id": row.id,
        "amount": row.amount,
        "date": timestamp(row.date),
        "reference": row.reference,
        "accountRef": {"id": row.account_id},
        "currencyRate": row.currency_rate,
    }


def bill_payment_record(row: store.BillPayment) -> dict[str, Any]:
    """The payment as the sandbox recorded it, with the base-currency amount its rate implies,
    when it was written and whether it awaits approval (not part of the API's answer: for
    tests, through `Sandbox.payments`)."""
    return {
        **bill_payment(row),
        "billId": row.bill_id,
        "baseAmount": row.base_amount,
        "written": timestamp(row.created),
        "awaitingApproval": row.needs_approval and row.approved_at is None,
    }


def bank_account(row: store.BankAccount) -> dict[str, Any]:
    return {
        "id": row.id,
        "nominalCode": row.nominal_code,
        "name": row.name,
        "accountType": row.account_type,
        "accountNumber": row.account_number,
        "sortCode": row.sort_code,
        "currency": row.currency,
        "status": row.status,
        "sourceModifiedDate": timestamp(row.source_modified_date),
    }


def bank_account_option(row: store.BankAccount) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "accountNumber": row.account_number,
        "nominalCode": row.nominal_code,
        "sortCode": row.sort_code,
        "currency": row.currency,
        "status": row.status,
        "accountType": row.account_type,
        "sourceModifiedDate": timestamp(row.source_modified_date),
    }


def ledger_account_option(row: store.LedgerAccount) -> dict[str, Any]:
    return {
        "id": row.id,
        "nominalCode": row.nominal_code,
        "name": row.name,
        "type": row.type,
        "currency": row.currency,
        "status": row.status,
        "sourceModifiedDate": timestamp(row.source_modified_date),
    }


def tax_rate_option(row: store.TaxRate) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "code": row.code,
        "effectiveTaxRate": row.effective_tax_rate,
        "totalTaxRate": row.total_tax_rate,
        "status": row.status,
    }


def attachment(row: store.Attachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "contentType": row.content_type,
        "dateCreated": timestamp(row.date_created),
        "fileSize": row.file_size,
        "includeWhenSent": False,
        "sourceModifiedDate": timestamp(row.date_created),
    }
