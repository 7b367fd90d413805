"""Typed records of the payables API, as pydantic models.

Money is `Decimal` (responses are decoded with exact decimals), fields the API adds later are
kept rather than rejected, and dates stay the strings the API sends; `as_date` reads one.
Field names are Python's; the camelCase wire names are aliases.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Digits grouped by commas (`1,234.50`), or followed by a stray comma: the spec's own list bills
# example has `currencyRate: '1,'`.
_GROUPED = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?,?")


def _exact_number(value: Any) -> Any:
    """Read an amount as exactly as it was written: JSON numbers (decoded as Decimal), ints and
    numeric strings, as the spec's examples give them. Floats are refused."""
    if isinstance(value, float):
        raise ValueError("money must be a Decimal, an int or a string, never a float")
    if isinstance(value, str):
        text = value.strip()
        if _GROUPED.fullmatch(text):
            return text.replace(",", "")
    return value


# Money: exact decimals only. A float such as 0.1 + 0.2 would go out as 0.30000000000000004.
Money = Annotated[Decimal, BeforeValidator(_exact_number), Field(allow_inf_nan=False)]

BillStatus = Literal["Unknown", "Open", "PartiallyPaid", "Paid", "Void", "Draft"]
OUTSTANDING_STATUSES: tuple[BillStatus, ...] = ("Open", "PartiallyPaid")


def as_date(value: str | None) -> date | None:
    """The calendar date of an API date string (`2026-11-22`, `2026-11-22T00:00:00[Z]`)."""
    if not value:
        return None
    return _calendar_date(value)


# A listing of tens of thousands of bills orders and filters them by their dates many times
# over; the strings repeat (bills share due dates), so each is read once.
@functools.lru_cache(maxsize=4096)
def _calendar_date(value: str) -> date:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # The calendar date as written, in whatever offset it was written in.
    return datetime.fromisoformat(text).date()


class ApiModel(BaseModel):
    """A record read from the API: camelCase aliases, unknown fields kept."""

    # Each model's validator is built when first used, not when the bot starts.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=False,
        defer_build=True,
    )

    def to_api(self) -> dict[str, Any]:
        """The request body: wire names, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="python")


# ---------------------------------------------------------------- companies and connections


class Connection(ApiModel):
    id: str
    integration_id: str | None = None
    integration_key: str | None = None
    source_id: str | None = None
    source_type: str | None = None
    platform_name: str | None = None
    link_url: str | None = None
    status: str
    last_sync: str | None = None
    created: str | None = None


class Company(ApiModel):
    id: str
    name: str
    description: str | None = None
    redirect: str | None = None
    last_sync: str | None = None
    created: str | None = None
    tags: dict[str, str] | None = None
    data_connections: list[Connection] = Field(default_factory=list)


class PagingLinks(ApiModel):
    self_: dict[str, str] | None = Field(default=None, alias="self")
    current: dict[str, str] | None = None
    next: dict[str, str] | None = None
    previous: dict[str, str] | None = None


class Companies(ApiModel):
    results: list[Company] = Field(default_factory=list)
    page_number: int
    page_size: int
    total_results: int
    links: PagingLinks | None = Field(default=None, alias="_links")


class Connections(ApiModel):
    results: list[Connection] = Field(default_factory=list)
    page_number: int
    page_size: int
    total_results: int
    links: PagingLinks | None = Field(default=None, alias="_links")


class CompanyInformation(ApiModel):
    company_name: str | None = None
    base_currency: str | None = None


# ---------------------------------------------------------------- mapping options


class AccountMappingOption(ApiModel):
    id: str
    nominal_code: str | None = None
    name: str | None = None
    type: str | None = None
    currency: str | None = None
    status: str | None = None


class TaxRateMappingOption(ApiModel):
    id: str
    name: str | None = None
    code: str | None = None
    effective_tax_rate: Money | None = None
    total_tax_rate: Money | None = None
    status: str | None = None


class Pagination(ApiModel):
    continuation_token: str | None = None


class BillMappingOptions(ApiModel):
    accounts: list[AccountMappingOption] = Field(default_factory=list)
    tax_rates: list[TaxRateMappingOption] = Field(default_factory=list)
    pagination: Pagination | None = None


class BankAccountMappingOption(ApiModel):
    id: str
    name: str | None = None
    account_number: str | None = None
    nominal_code: str | None = None
    sort_code: str | None = None
    currency: str | None = None
    status: str | None = None
    account_type: str | None = None


class PaymentMappingOptions(ApiModel):
    bank_accounts: list[BankAccountMappingOption] = Field(default_factory=list)
    pagination: Pagination | None = None


# ---------------------------------------------------------------- suppliers


class Address(ApiModel):
    type: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None


class Supplier(ApiModel):
    id: str
    supplier_name: str
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    addresses: list[Address] | None = None
    status: str | None = None
    balance: Money | None = None
    default_currency: str | None = None
    source_modified_date: str | None = None


class SupplierPrototype(ApiModel):
    supplier_name: str
    status: Literal["Unknown", "Active", "Archived"] = "Active"
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    addresses: list[Address] | None = None
    default_currency: str | None = None


# ---------------------------------------------------------------- bills


class Ref(ApiModel):
    id: str


class SupplierRef(ApiModel):
    id: str
    supplier_name: str | None = None


class BillLineItem(ApiModel):
    description: str | None = None
    unit_amount: Money
    quantity: Money = Decimal(1)
    tax_amount: Money = Decimal(0)
    account_ref: Ref | None = None
    total_amount: Money | None = None
    tax_rate_ref: Ref | None = None
    tracking_refs: list[dict[str, Any]] | None = None


class Bill(ApiModel):
    id: str
    reference: str | None = None
    supplier_ref: SupplierRef
    issue_date: str
    due_date: str
    currency: str
    currency_rate: Money | None = None
    line_items: list[BillLineItem] | None = None
    status: BillStatus
    total_amount: Money = Decimal(0)
    amount_due: Money | None = None
    source_modified_date: str | None = None

    @property
    def due_on(self) -> date:
        due = as_date(self.due_date)
        assert due is not None
        return due

    @property
    def issued_on(self) -> date:
        issued = as_date(self.issue_date)
        assert issued is not None
        return issued

    @property
    def is_outstanding(self) -> bool:
        return self.status in OUTSTANDING_STATUSES

    @property
    def outstanding_amount(self) -> Decimal:
        """What is still owed: `amountDue`, or the total when the platform leaves it out."""
        return self.amount_due if self.amount_due is not None else self.total_amount


class BillPrototype(ApiModel):
    supplier_ref: SupplierRef
    issue_date: str
    due_date: str
    currency: str
    status: Literal["Open", "Draft", "Void"] = "Open"
    reference: str | None = None
    currency_rate: Money | None = None
    line_items: list[BillLineItem] | None = None


class Bills(ApiModel):
    results: list[Bill] = Field(default_factory=list)
    pagination: Pagination | None = None


class Suppliers(ApiModel):
    results: list[Supplier] = Field(default_factory=list)
    pagination: Pagination | None = None


class Attachment(ApiModel):
    id: str
    name: str | None = None
    content_type: str | None = None
    date_created: str | None = None
    file_size: int | None = None
    include_when_sent: bool | None = None


# ---------------------------------------------------------------- payments and bank accounts


class BillPayment(ApiModel):
    id: str
    amount: Money
    date: str
    reference: str | None = None
    account_ref: Ref
    currency_rate: Money | None = None


class BillPaymentPrototype(ApiModel):
    amount: Money
    date: str
    account_ref: Ref
    reference: str | None = None
    currency_rate: Money | None = None


class BankAccount(ApiModel):
    id: str
    nominal_code: str | None = None
    name: str | None = None
    account_type: str | None = None
    account_number: str | None = None
    sort_code: str | None = None
    currency: str | None = None
    status: str | None = None


class BankAccountPrototype(ApiModel):
    name: str
    account_type: Literal["Unknown", "Credit", "Debit"]
    account_number: str
    currency: str
    nominal_code: str | None = None
    sort_code: str | None = None


# ---------------------------------------------------------------- errors


class ValidationItem(ApiModel):
    item_id: str | None = None
    message: str | None = None
    validator_name: str | None = None


class ErrorValidation(ApiModel):
    errors: list[ValidationItem] | None = None
    warnings: list[ValidationItem] | None = None


class ErrorMessage(ApiModel):
    status_code: int | None = None
    service: str | None = None
    error: str | None = None
    correlation_id: str | None = None
    validation: ErrorValidation | None = None
    can_be_retried: str | None = None
    detailed_error_code: int | None = None
