"""`SandboxConfig`: everything a sandbox can be started with.

Beyond the database and the seed: `strict` (the default: list bills and list suppliers take only
the query fields the spec documents; off only for experiments with the query language),
`outstanding_only` (the other reading of list bills' default), `paging` (`"offset"`: Codat's
page-number tokens, under which a bill paid between two pages shifts later pages; `"keyset"`:
tokens that never skip), `idempotency_window` (how long an `Idempotency-Key`'s answer is
replayed), `payment_read_lag` (how long a bill payment stays out of reads of its bill and
supplier), `payments_need_approval` (every bill payment waits for `Sandbox.approve_payments`
before reads show it, as on Sage Intacct), `null_amount_due` (bills are served with
`amountDue: null`), `public_url` (the base of `linkUrl` when the sandbox is reached through
another address than its own), Codat's own limits (`daily_quota`, `concurrent_per_company`,
see `payables_sandbox.quota`), webhooks (`webhook_url`, `webhook_secret`,
`webhook_retry_schedule`, `webhook_duplicates`, see `payables_sandbox.webhooks`),
`platform_read_lag` (how long a change made in the platform stays out of reads) and `faults`
(see `payables_sandbox.faults`).

What moves at run time is not configuration: the clock (`Sandbox.clock`, see
`payables_sandbox.clock`) and the faults queued for the next requests (`Sandbox.faults`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from payables_sandbox.defaults import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET
from payables_sandbox.faults import FaultConfig
from payables_sandbox.idempotency import DEFAULT_WINDOW
from payables_sandbox.service.listing import MAX_SERVED_PAGE_SIZE

# docs/using-the-api/webhooks/troubleshooting.md: immediately, then 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h and 10 h more after each failure.
CODAT_RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)


class SandboxConfig(BaseModel):
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1)
    database_url: str = "sqlite+aiosqlite:///:memory:"
    seed: bool = True
    reset: bool = False
    today: date | None = Field(default=None, description="The seed's 'today'; default: real today.")
    page_size: int = Field(default=100, ge=1, le=MAX_SERVED_PAGE_SIZE)
    base_currency: str = "GBP"
    strict: bool = Field(
        default=True,
        description="List bills and list suppliers accept only the query fields the spec "
        "documents (status, sourceModifiedDate), and a list bills query without status keeps "
        "the outstanding-only default. Off (lenient): any field, for query-language experiments.",
    )
    outstanding_only: bool = Field(
        default=False,
        description="List bills never returns a bill that is not Open or PartiallyPaid, even "
        "for a query on status: the other reading of the spec's outstanding-only default.",
    )
    paging: Literal["offset", "keyset"] = Field(
        default="offset",
        description="offset: Codat's page-number continuation tokens; keyset: tokens holding "
        "the last record's sort key, which never skip a record.",
    )
    idempotency_window: timedelta = Field(default=DEFAULT_WINDOW, gt=timedelta(0))
    payment_read_lag: timedelta = Field(
        default=timedelta(0),
        ge=timedelta(0),
        description="A bill payment shows in reads of its bill (amountDue, status, "
        "sourceModifiedDate) and of its supplier's balance only once the sandbox's clock has "
        "passed its write time plus this. A test knob: Codat documents no such lag.",
    )
    payments_need_approval: bool = Field(
        default=False,
        description="Every bill payment is written but left out of reads until approved "
        "(Sandbox.approve_payments), as Sage Intacct connections always do.",
    )
    null_amount_due: bool = Field(
        default=False,
        description="Bills are served with amountDue null (the spec's amountDue is nullable).",
    )
    public_url: str | None = Field(
        default=None, description="The base of linkUrl; default: the address a request came to."
    )
    daily_quota: int | None = Field(
        default=1000,
        ge=1,
        description="Codat's daily quota per unit: the client may make this x (1 + active "
        "connected companies) calls a day, reset at 00:00 UTC by the sandbox's clock. None: off.",
    )
    concurrent_per_company: int | None = Field(
        default=10,
        ge=1,
        description="Requests on one company in progress at once; one more is a 429. None: off.",
    )
    webhook_url: str | None = Field(
        default=None, description="Where Codat's webhooks are delivered; None: none are sent."
    )
    webhook_secret: str = Field(
        default=DEFAULT_WEBHOOK_SECRET,
        pattern=r"^whsec_[A-Za-z0-9+/=]+$",
        description="The endpoint's signing secret (Svix's whsec_ form).",
    )
    webhook_retry_schedule: list[timedelta] = Field(
        default_factory=lambda: list(CODAT_RETRY_SCHEDULE),
        min_length=1,
        description="Waits before each delivery attempt (the first is usually 0): Codat's "
        "schedule by default; tests give a short one.",
    )
    webhook_duplicates: bool = Field(
        default=False,
        description="Deliver every message twice (same webhook-id), as at-least-once allows.",
    )
    platform_read_lag: timedelta = Field(
        default=timedelta(0),
        ge=timedelta(0),
        description="A change made in the platform (Sandbox.pay_in_platform, "
        "edit_bill_in_platform) is visible to reads, and announced by read.completed, only "
        "once the sandbox's clock has passed this after it.",
    )
    faults: FaultConfig = Field(default_factory=FaultConfig)
