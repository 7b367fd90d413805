"""What the tests of the bot's core start from: an open GBP bill of the demo company, the GBP
account to pay it from, a payment request as the Pay form would make it, and the audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from billpay.payables.client import PayablesClient
from billpay.payables.models import Bill
from billpay.payments.form import AccountChoice, PaymentRequest
from billpay.payments.rules import new_payment_key
from billpay.services import Services
from billpay.store.db import Database
from billpay.store.models import AuditEvent
from payables_sandbox.seed import DemoIds
from testkit.payables import TODAY
from testkit.world import CHANNEL, TEAM


async def open_gbp_bill(payables: PayablesClient, demo: DemoIds) -> Bill:
    async for bill in payables.iter_bills(demo.company_id, demo.connection_id):
        if bill.currency == "GBP" and bill.status == "Open" and bill.total_amount > 100:
            return bill
    raise AssertionError("the demo has no open GBP bill")


def payment_request(account: AccountChoice, amount: Decimal, **changes: Any) -> PaymentRequest:
    values: dict[str, Any] = {
        "account": account,
        "currency": "GBP",
        "amount": amount,
        "payment_date": TODAY,
        "reference": "Paid from Slack",
        "exchange_rate": None,
        "idempotency_key": new_payment_key(),
    }
    values.update(changes)
    return PaymentRequest(**values)


async def gbp_account(services: Services) -> AccountChoice:
    link = await services.links.link_for(TEAM, CHANNEL)
    accounts = await services.payments.accounts_for(link, "GBP")
    return next(a for a in accounts if a.currency == "GBP")


async def audit_trail(db: Database) -> list[AuditEvent]:
    async with db.read() as s:
        return list(await s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
