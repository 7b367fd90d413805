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
another address than its own) and `faults` (see `payables_sandbox.faults`).

What moves at run time is not configuration: the clock (`Sandbox.clock`, see
`payables_sandbox.clock`) and the faults queued for the next requests (`Sandbox.faults`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from payables_sandbox.defaults import DEFAULT_API_KEY
from payables_sandbox.faults import FaultConfig
from payables_sandbox.idempotency import DEFAULT_WINDOW
from payables_sandbox.service.listing import MAX_SERVED_PAGE_SIZE


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
    faults: FaultConfig = Field(default_factory=FaultConfig)
