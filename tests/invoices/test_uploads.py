"""An invoice upload is one attempt under one Idempotency-Key, stored before it is sent: an
upload whose answer is lost and which is tried again leaves exactly one file on the bill,
whether the retry comes within the API's replay window (the same key) or after it (the bill's
files are read first)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from billpay.core.domain import CaseRef
from billpay.payables.errors import PayablesServerError
from billpay.payables.models import Attachment
from billpay.services import Services
from billpay.store.models import BillCase, CompanyLink
from payables_sandbox.app import Sandbox
from testkit.payables import CountingTransport, bill_by_reference
from testkit.world import ANA, CHANNEL, SAM, TEAM

PDF = b"%PDF-1.4 invoice KC-40019\n" * 20
NAME = "KC-40019.pdf"


async def _bill(services: Services, sandbox: Sandbox) -> tuple[CompanyLink, CaseRef]:
    """The demo bill KC-40019, with no file yet, and its case."""
    assert sandbox.demo is not None
    bill = await bill_by_reference(services.payables, sandbox.demo, "KC-40019")
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await services.invoices.check_may_attach(ref)  # no file yet; the case is there
    return await services.links.link_for(TEAM, CHANNEL), ref


async def _files(services: Services, link: CompanyLink, bill_id: str) -> list[Attachment]:
    return await services.payables.list_bill_attachments(
        link.company_id, link.connection_id, bill_id
    )


async def _lost_first_upload(
    services: Services, sandbox: Sandbox, link: CompanyLink, ref: CaseRef, *, landed: bool
) -> None:
    """A new bill's invoice goes up; its answer is a 500 whatever happened, and Slack's file
    is noted on the card for Retry upload."""
    sandbox.faults.fail_next_upload(bill_id=ref.bill_id, after_write=landed)
    with pytest.raises(PayablesServerError):
        await services.suppliers.attach(
            link, ANA, ref.bill_id, name=NAME, content=PDF, content_type="application/pdf"
        )
    await services.invoices.upload_failed(link, ref.bill_id, ANA, file_id="F0INV", name=NAME)


async def _retry(services: Services, ref: CaseRef) -> bool:
    pending = await services.invoices.claim_retry(ref, SAM)
    assert pending.name == NAME
    return await services.invoices.retry(
        ref, SAM, name=NAME, content=PDF, content_type="application/pdf"
    )


def _upload_keys(transport: CountingTransport, since: int) -> list[str]:
    return [
        r.headers["Idempotency-Key"]
        for r in transport.requests[since:]
        if r.method == "POST" and r.url.path.endswith("/attachments")
    ]


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "not-landed"])
async def test_a_lost_upload_retried_within_the_window_replays_its_key(
    services: Services, sandbox: Sandbox, transport: CountingTransport, landed: bool
) -> None:
    link, ref = await _bill(services, sandbox)
    before = len(transport.requests)
    await _lost_first_upload(services, sandbox, link, ref, landed=landed)
    (first_key,) = set(_upload_keys(transport, before))

    retrying = len(transport.requests)
    assert await _retry(services, ref)
    sent = _upload_keys(transport, retrying)
    assert sent[0] == first_key  # the stored key goes first
    if landed:
        assert set(sent) == {first_key}  # its answer replayed; the files show it landed
    else:
        assert len(set(sent)) == 2  # the files show nothing: only then a new key
    (attached,) = await _files(services, link, ref.bill_id)
    assert (attached.name, attached.file_size) == (NAME, len(PDF))
    async with services.db.read() as s:
        case = await s.scalar(
            select(BillCase).where(BillCase.link_id == link.id, BillCase.bill_id == ref.bill_id)
        )
    assert case is not None and case.invoice_pending is None and case.attachment_count == 1


async def test_a_lost_upload_retried_after_the_window_is_found_on_the_bill(
    services: Services, sandbox: Sandbox, transport: CountingTransport
) -> None:
    link, ref = await _bill(services, sandbox)
    await _lost_first_upload(services, sandbox, link, ref, landed=True)
    later = services.clock() + timedelta(minutes=91)
    services.clock.set(lambda: later)
    sandbox.clock.advance(timedelta(minutes=91))  # the API has forgotten the key

    retrying = len(transport.requests)
    assert await _retry(services, ref)
    assert _upload_keys(transport, retrying) == []  # read, found: nothing sent again
    assert len(await _files(services, link, ref.bill_id)) == 1


async def test_attach_invoice_tried_again_with_the_same_file_attaches_it_once(
    services: Services, sandbox: Sandbox, transport: CountingTransport
) -> None:
    link, ref = await _bill(services, sandbox)
    sandbox.faults.fail_next_upload(bill_id=ref.bill_id, after_write=True)
    with pytest.raises(PayablesServerError):
        await services.invoices.attach(ref, ANA, name=NAME, content=PDF)
    view = await services.invoices.attach(ref, ANA, name=NAME, content=PDF)
    assert view.attachments == 1
    assert len(await _files(services, link, ref.bill_id)) == 1
    assert len(set(_upload_keys(transport, 0))) == 1
