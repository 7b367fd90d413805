"""What a card knows of a bill beyond its figures: how many files it has in the accounting
platform and the bill it may duplicate, as a `/bills` page last read them.

These are readings, not changes of the case: they are written beside the versioned row, so
reading a page never makes a concurrent approval or payment of the same case fail or retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from billpay.core.domain import Duplicate
from billpay.store.models import BillCase


@dataclass(frozen=True)
class BillFacts:
    """What a `/bills` page reads besides the bills: their files and possible duplicates."""

    attachments: int | None  # None: not known for the bill as it is now
    duplicate: Duplicate | None
    duplicates_checked: bool = True


async def apply_facts(s: AsyncSession, case: BillCase, facts: BillFacts | None) -> None:
    """Copy a page's facts onto a case row (in the caller's transaction)."""
    if facts is None:
        return
    await note_facts(
        s,
        case,
        attachments=facts.attachments,
        duplicate=facts.duplicate.to_json() if facts.duplicate else None,
        duplicate_checked=facts.duplicates_checked,
    )


async def note_facts(
    s: AsyncSession,
    case: BillCase,
    *,
    attachments: int | None,
    duplicate: dict[str, Any] | None = None,
    duplicate_checked: bool = False,
) -> None:
    """Store what was read about a bill's files and likenesses. These are readings, not
    changes of the case: written beside the versioned row (its version stays), so reading a
    page never makes a concurrent approval or payment of the same case fail or retry.
    `attachments` None: the files are not known for the bill as it is now, and the card says
    nothing of them (a count read for an earlier version of the bill may be wrong)."""
    values: dict[str, Any] = {}
    if attachments != case.attachment_count:
        values["attachment_count"] = attachments
    if attachments and (case.invoice_pending or {}).get("state") == "failed":
        values["invoice_pending"] = None  # the bill has its file now: nothing to retry
    if duplicate_checked and duplicate != case.duplicate_of:
        values["duplicate_of"] = duplicate
    if not values:
        return
    table = cast(Table, BillCase.__table__)
    await s.execute(update(table).where(table.c.id == case.id).values(**values))
    for name, value in values.items():
        set_committed_value(case, name, value)
