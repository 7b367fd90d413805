"""Request bodies the sandbox accepts, validated the way the payables API validates them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from payables_sandbox.errors import ApiError

T = TypeVar("T", bound=BaseModel)

MIN_YEAR, MAX_YEAR = 1900, 2999
COMPANY_NAME_PATTERN = r"^[A-Za-z0-9\s\-',&@.,?!\s]+$"


def parse_api_datetime(value: Any) -> datetime:
    """Accept the date forms the API documents: `2026-11-22`, `2026-11-22T00:00:00[.000][Z]`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a date such as 2026-11-22 or 2026-11-22T00:00:00Z")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a date such as 2026-11-22T00:00:00Z") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"'{value}' is outside the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ApiDateTime = Annotated[datetime, BeforeValidator(parse_api_datetime)]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
# Bounded so that no amount can overflow a column or the arithmetic: up to 12 whole digits
# (a trillion) and 6 decimals for amounts, 12 decimals for exchange rates.
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=6, allow_inf_nan=False)]
Rate = Annotated[Decimal, Field(max_digits=24, decimal_places=12, allow_inf_nan=False)]


def _short(length: int) -> Any:
    return Field(default=None, max_length=length)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


CompanyName = Annotated[str, Field(min_length=1, max_length=255, pattern=COMPANY_NAME_PATTERN)]
Description = Annotated[str, Field(max_length=4000)]
Tags = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=27)],
        Annotated[str, Field(max_length=100)],
    ],
    Field(max_length=10),
]


class CompanyRequest(_Body):
    name: CompanyName
    description: Description | None = None
    tags: Tags | None = None


class CompanyUpdate(_Body):
    name: CompanyName | None = None
    description: Description | None = None
    tags: Tags | None = None


class ConnectionRequest(_Body):
    platform_key: str = Field(alias="platformKey", pattern=r"^[a-z]{4}$")


class ConnectionUpdate(_Body):
    model_config = ConfigDict(extra="forbid")
    status: Literal["PendingAuth", "Linked", "Unlinked", "Deauthorized"] | None = None


class Ref(_Body):
    id: str = Field(min_length=1, max_length=64)


class SupplierRef(Ref):
    supplier_name: str | None = Field(default=None, alias="supplierName", max_length=255)


class Address(_Body):
    type: Literal["Unknown", "Billing", "Delivery"] = "Unknown"
    line1: str | None = _short(255)
    line2: str | None = _short(255)
    city: str | None = _short(255)
    region: str | None = _short(255)
    country: str | None = _short(255)
    postal_code: str | None = Field(default=None, alias="postalCode", max_length=32)

    def as_api(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class SupplierPrototype(_Body):
    supplier_name: str = Field(alias="supplierName", min_length=1, max_length=255)
    contact_name: str | None = Field(default=None, alias="contactName", max_length=255)
    email_address: str | None = Field(default=None, alias="emailAddress", max_length=255)
    phone: str | None = _short(64)
    addresses: list[Address] | None = Field(default=None, max_length=20)
    status: Literal["Unknown", "Active", "Archived"]
    balance: Amount | None = None
    default_currency: Currency | None = Field(default=None, alias="defaultCurrency")


class TrackingRef(_Body):
    id: str = Field(max_length=64)
    data_type: Literal["trackingCategories", "customers"] | None = Field(
        default=None, alias="dataType"
    )
    is_billable: bool | None = Field(default=None, alias="isBillable")


class BillLineItem(_Body):
    description: str | None = Field(default=None, max_length=4000)
    unit_amount: Amount = Field(alias="unitAmount")
    quantity: Amount = Decimal(1)
    tax_amount: Amount = Field(default=Decimal(0), alias="taxAmount")
    account_ref: Ref | None = Field(default=None, alias="accountRef")
    total_amount: Amount | None = Field(default=None, alias="totalAmount")
    tax_rate_ref: Ref | None = Field(default=None, alias="taxRateRef")
    tracking_refs: list[TrackingRef] | None = Field(
        default=None, alias="trackingRefs", max_length=20
    )


class BillPrototype(_Body):
    reference: str | None = Field(default=None, max_length=255)
    supplier_ref: SupplierRef = Field(alias="supplierRef")
    issue_date: ApiDateTime = Field(alias="issueDate")
    due_date: ApiDateTime = Field(alias="dueDate")
    currency: Currency
    currency_rate: Rate | None = Field(default=None, alias="currencyRate", gt=0)
    line_items: list[BillLineItem] | None = Field(default=None, alias="lineItems", max_length=500)
    status: Literal["Unknown", "Open", "PartiallyPaid", "Paid", "Void", "Draft"]


class BillPaymentPrototype(_Body):
    amount: Amount
    date: ApiDateTime
    reference: str | None = Field(default=None, max_length=255)
    account_ref: Ref = Field(alias="accountRef")
    currency_rate: Rate | None = Field(default=None, alias="currencyRate")


class BankAccountPrototype(_Body):
    nominal_code: str | None = Field(default=None, alias="nominalCode", max_length=32)
    name: str = Field(min_length=1, max_length=255)
    account_type: Literal["Unknown", "Credit", "Debit"] = Field(alias="accountType")
    account_number: str = Field(alias="accountNumber", min_length=1, max_length=64)
    sort_code: str | None = Field(default=None, alias="sortCode", max_length=16)
    currency: Currency


def validate_body(model: type[T], payload: Any) -> T:
    """Validate a decoded JSON body; a failure is a 400 listing each field and what is wrong."""
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        messages = [_describe(err) for err in exc.errors(include_url=False)]
        raise ApiError(
            400, "The request failed validation: " + " ".join(messages), validation_errors=messages
        ) from None


def _describe(err: Any) -> str:
    location = ".".join(str(part) for part in err["loc"]) or "body"
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}."
