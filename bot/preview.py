"""`billpay preview`: every Slack surface built from the payables backend's data, without a
workspace. Like `app.py`, this is wiring, so it may import `blocks/`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from blocks.bills import bills_message
from blocks.home import home_view
from blocks.metadata import PayMetadata, RejectMetadata
from blocks.modals import offered, pay_modal, reject_modal
from blocks.preview import builder_link as builder_link
from blocks.suppliers import supplier_blocks
from bot.cases import preview_case
from bot.config import Settings
from bot.domain import CaseState, PaymentView, SupplierMatch
from bot.i18n import words
from bot.listing import BillFilter, order_bills, page_count, page_of, summarise
from bot.payables.client import PayablesClient
from bot.payables.query import outstanding_bills
from bot.payments import account_choices, new_payment_key
from bot.policy import EffectivePolicy

SURFACES = ("bills", "pay-modal", "reject-modal", "supplier", "home")


class NothingToPreview(Exception):
    """The payables backend has no linked company or no outstanding bill to show."""


async def preview_surfaces(
    client: PayablesClient, settings: Settings, today: date, locale: str
) -> dict[str, dict[str, Any]]:
    """Every surface built from the backend's data, by name, for `billpay preview`: the bills
    message, a card's states, the Pay and Reject modals, the supplier lookup and the Home tab."""
    companies = [c async for c in client.iter_companies()]
    company = next(
        (c for c in companies if any(x.status == "Linked" for x in c.data_connections)), None
    )
    if company is None:
        raise NothingToPreview(
            "The payables backend has no company with a linked accounting platform to preview."
        )
    connection = next(x for x in company.data_connections if x.status == "Linked")
    info = await client.get_company_information(company.id, connection.id)
    base = (info.base_currency or "GBP").upper()
    bills = [
        b async for b in client.iter_bills(company.id, connection.id, query=outstanding_bills())
    ]
    bills = order_bills(bills, today)
    if not bills:
        raise NothingToPreview(f"{company.name} has no outstanding bills to preview.")
    policy = EffectivePolicy.from_settings(settings)
    cases = [preview_case(b, base, policy) for b in bills]
    page, _ = page_of(bills, 0)
    shown = [c for c in cases if c.bill_id in {b.id for b in page}]
    if len(shown) >= 4:  # show the states a card goes through
        shown[1] = replace(shown[1], state=CaseState.APPROVED, approvals=("U0ANA",))
        shown[2] = replace(
            shown[2], state=CaseState.REJECTED, rejected_by="U0BEN", reject_reason="Duplicate"
        )
        shown[3] = replace(
            shown[3],
            state=CaseState.PAID,
            amount_due=shown[3].amount_due * 0,
            last_payment=PaymentView(
                id=1,
                status="recorded",
                amount=shown[3].amount_due,
                currency=shown[3].currency,
                account_name="Business Current",
                account_currency=base,
                exchange_rate=None,
                payment_date=today,
                reference=shown[3].reference,
                requested_by="U0SAM",
                error=None,
                outcome_unknown=False,
            ),
        )
    # The summary counts what the cards show: a bill whose card is shown paid is not outstanding.
    paid = {case.bill_id for case in shown if case.state == CaseState.PAID}
    outstanding = [bill for bill in bills if bill.id not in paid]
    options = await client.get_payment_mapping_options(company.id, connection.id)
    sample = cases[0]
    accounts = account_choices(options.bank_accounts, sample.currency, base)
    suppliers = [s async for s in client.iter_suppliers(company.id, connection.id)][:3]
    return {
        "bills": bills_message(
            company_name=info.company_name or company.name,
            headline=words(locale)(BillFilter().headline(len(outstanding))),
            summary=summarise(outstanding, today),
            cases=shown,
            page=0,
            pages=page_count(len(bills)),
            locale=locale,
            today=today,
        ),
        "pay-modal": pay_modal(
            sample,
            PayMetadata(
                channel_id="C0FIN",
                bill_id=sample.bill_id,
                idempotency_key=new_payment_key(),
                currency=sample.currency,
                base_currency=base,
                amount_due=sample.amount_due,
                locale=locale,
                accounts=offered(accounts),
            ),
            locale=locale,
            today=today,
        ),
        "reject-modal": reject_modal(
            sample,
            RejectMetadata(channel_id="C0FIN", bill_id=sample.bill_id),
            locale=locale,
            today=today,
        ),
        "supplier": supplier_blocks(
            "preview",
            [SupplierMatch(s, [b for b in bills if b.supplier_ref.id == s.id]) for s in suppliers],
            locale=locale,
        ),
        "home": home_view([("C0FIN", info.company_name or company.name, base)], locale=locale),
    }
