"""`billpay preview`: every Slack surface built from the payables backend's data, without a
workspace. The runtime composes everything, so it renders with `billpay.slack.blocks`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from billpay.bills.cases import preview_case
from billpay.bills.companies import linked_accounting
from billpay.bills.listing import (
    BillFilter,
    Listed,
    order_bills,
    page_count,
    page_of,
    summarise_cases,
)
from billpay.bills.policy import EffectivePolicy
from billpay.config import Settings
from billpay.core.domain import CaseState, Duplicate, OpenQuestion, PaymentView
from billpay.core.i18n import words
from billpay.payables.client import PayablesClient
from billpay.payables.query import outstanding_bills
from billpay.payments.rules import account_choices, new_payment_key
from billpay.runtime.surfaces import SURFACES as SURFACES
from billpay.slack.blocks.bills.message import bills_message
from billpay.slack.blocks.home import home_view
from billpay.slack.blocks.invoices import attach_modal
from billpay.slack.blocks.metadata import (
    AskMetadata,
    AttachMetadata,
    BankAccountMetadata,
    NewBillMetadata,
    PayMetadata,
    RejectMetadata,
    SupplierMetadata,
)
from billpay.slack.blocks.modals import offered, pay_modal, reject_modal
from billpay.slack.blocks.new_bill import bank_account_modal, new_bill_modal
from billpay.slack.blocks.preview import builder_link as builder_link
from billpay.slack.blocks.questions import ask_modal
from billpay.slack.blocks.suppliers import supplier_blocks, supplier_modal
from billpay.suppliers.lookup import SupplierMatch
from billpay.suppliers.rules import RawLine, bill_options_from, estimate


class NothingToPreview(Exception):
    """The payables backend has no linked company or no outstanding bill to show."""


async def preview_surfaces(
    client: PayablesClient, settings: Settings, today: date, locale: str
) -> dict[str, dict[str, Any]]:
    """Every surface built from the backend's data, by name, for `billpay preview`: the bills
    message, a card's states, the Pay and Reject modals, the supplier lookup, the supplier, new
    bill and bank account modals, and the Home tab."""
    companies = [c async for c in client.iter_companies()]
    company = next((c for c in companies if linked_accounting(c) is not None), None)
    if company is None:
        raise NothingToPreview(
            "The payables backend has no company with a linked accounting platform to preview."
        )
    connection = linked_accounting(company)
    assert connection is not None
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
            ),
        )
    if (
        len(shown) >= 6
    ):  # a bill with its invoice, and one that looks like another and is asked about
        shown[4] = replace(shown[4], attachments=1)
        shown[5] = replace(
            shown[5],
            attachments=0,
            duplicate=Duplicate(
                bill_id=shown[0].bill_id,
                reference=shown[0].reference,
                status="Paid",
                paid_on=today - timedelta(days=3),
            ),
            question=OpenQuestion(
                id=1, asked_by="U0SAM", asked_of="U0ANA", text="Did we get these goods?"
            ),
        )
    # The summary counts what the cards show: a bill whose card is shown paid is not
    # outstanding, one shown rejected is left out of the totals.
    changed = {case.bill_id: case for case in shown}
    listed = [Listed.of_case(changed.get(case.bill_id, case)) for case in cases]
    summary = summarise_cases(listed, BillFilter(), today, base, on_cards=changed)
    options = await client.get_payment_mapping_options(company.id, connection.id)
    sample = cases[0]
    accounts = account_choices(options.bank_accounts, sample.currency, base)
    suppliers = [s async for s in client.iter_suppliers(company.id, connection.id)][:3]
    mapping = await client.get_bill_mapping_options(company.id, connection.id)
    bill_options = bill_options_from(mapping, connection.platform_name)
    new_bill = NewBillMetadata(
        channel_id="C0FIN",
        idempotency_key=new_payment_key(),
        locale=locale,
        lines=2,
        file_id="F0PREVIEW1",
        file_name="INV-1042.pdf",
    )
    line_values = {"line_amount:0": "100", "line_amount:1": "25", "line_quantity:1": "2"}
    if bill_options.accounts:
        line_values["line_account:0"] = bill_options.accounts[0].id
    taxed = [t for t in bill_options.tax_rates if t.rate]
    if taxed:
        line_values["line_tax:0"] = taxed[0].id
    context = bill_options.context(locale, new_bill.idempotency_key)
    first = suppliers[0] if suppliers else None
    currency = (first.default_currency if first else None) or base
    raw_lines = [
        RawLine(None, line_values.get(f"line_amount:{i}"), line_values.get(f"line_quantity:{i}"),
                line_values.get(f"line_account:{i}"), line_values.get(f"line_tax:{i}"))
        for i in range(new_bill.lines)
    ]  # fmt: skip
    return {
        "bills": bills_message(
            company_name=info.company_name or company.name,
            headline=words(locale)(BillFilter().headline(summary.count)),
            summary=summary,
            cases=shown,
            page=0,
            pages=page_count(len(bills)),
            locale=locale,
            today=today,
            as_of=datetime.combine(today, time(9, 0), tzinfo=UTC),
            time_zone="UTC",
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
        "attach-modal": attach_modal(
            sample,
            AttachMetadata(channel_id="C0FIN", bill_id=sample.bill_id),
            locale=locale,
            today=today,
        ),
        "ask-modal": ask_modal(
            sample,
            AskMetadata(channel_id="C0FIN", bill_id=sample.bill_id),
            default_person="U0ANA",
            locale=locale,
            today=today,
        ),
        "supplier": supplier_blocks(
            "preview",
            [SupplierMatch(s, [b for b in bills if b.supplier_ref.id == s.id]) for s in suppliers],
            locale=locale,
        ),
        "supplier-modal": supplier_modal(
            SupplierMetadata(
                channel_id="C0FIN",
                idempotency_key=new_payment_key(),
                locale=locale,
                supplier_id=first.id if first else None,
            ),
            supplier=first,
        ),
        "new-bill-modal": new_bill_modal(
            new_bill,
            bill_options,
            today=today,
            supplier=(first.id, first.supplier_name) if first else None,
            currency=currency,
            totals=estimate(raw_lines, currency, context),
            values=line_values,
        ),
        "bank-account-modal": bank_account_modal(
            BankAccountMetadata(
                channel_id="C0FIN", idempotency_key=new_payment_key(), locale=locale
            ),
            base_currency=base,
        ),
        "home": home_view([("C0FIN", info.company_name or company.name, base)], locale=locale),
    }
