"""Re-reading one bill live for a decision about money, in at most two payables calls whatever
the company's size, then writing what was read into the mirror.

List bills is queryable on `status` and `sourceModifiedDate` only, and there is no single-bill
read. The mirror knows each bill's last `sourceModifiedDate` and status, so:

1. `sourceModifiedDate={as mirrored}&&status={as mirrored}`: the bill unchanged since the mirror
   read it comes back in a listing of a few bills at most;
2. `sourceModifiedDate>{watermark - overlap}&&{any status}`: the bill changed since comes back
   among the few bills changed lately.

A bill in neither (the mirror missed a change older than the overlap, or never knew the bill)
is looked for the long way (`PayablesClient.get_bill`, correct but costly), and that is logged:
a miss of the first two calls never means "not outstanding".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from billpay.mirror import store
from billpay.mirror.sync import changed_since
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.errors import BillNotOutstanding
from billpay.payables.query import Expr, Q
from billpay.store.db import Database

log = logging.getLogger(__name__)


async def find(
    reads: PayablesClient, company_id: str, connection_id: str, bill_id: str, query: Expr
) -> models.Bill | None:
    """The bill in the listing `query` selects, read page by page until it is seen."""
    token: str | None = None
    while True:
        page = await reads.list_bills(
            company_id, connection_id, query=query, continuation_token=token
        )
        for bill in page.results:
            if bill.id == bill_id:
                return bill
        token = page.pagination.continuation_token if page.pagination else None
        if not token:
            return None


async def live_bill(
    db: Database,
    reads: PayablesClient,
    company_id: str,
    connection_id: str,
    bill_id: str,
    *,
    overlap: timedelta,
    clock: Callable[[], datetime],
) -> models.Bill:
    """The bill as the payables API has it now (see the module's words); raises
    `BillNotOutstanding` only when the long way says so."""
    row = await store.mirrored_bill(db, company_id, connection_id, bill_id)
    found: models.Bill | None = None
    if row is not None and row.source_modified:
        unchanged = (Q("sourceModifiedDate") == row.source_modified) & (Q("status") == row.status)
        found = await find(reads, company_id, connection_id, bill_id, unchanged)
    if found is None:
        state = await store.state(db, company_id, connection_id, store.BILLS)
        if state is not None and state.watermark is not None:
            since = state.watermark - overlap
            found = await find(reads, company_id, connection_id, bill_id, changed_since(since))
    if found is None:
        log.warning(
            "bill %s of %s was in neither the unchanged nor the recently changed bills; "
            "looking for it through every listing",
            bill_id,
            company_id,
        )
        try:
            found = await reads.get_bill(company_id, connection_id, bill_id)
        except BillNotOutstanding:
            async with db.write() as s:
                await store.mark_gone(s, company_id, connection_id, [bill_id], clock())
            raise
    async with db.write() as s:
        await store.put_bills(s, company_id, connection_id, [found], clock())
    return found
