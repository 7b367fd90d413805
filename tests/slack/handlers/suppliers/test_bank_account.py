"""`/billpay account new` end to end over HTTP: the bank account created and offered in the Pay
form."""

from __future__ import annotations

import json

from billpay.slack.blocks.ids import SupplierCallback, SupplierInput
from testkit.bot import Bot
from testkit.world import SAM
from tests.slack.handlers.suppliers.steps import _audit, _opened_view


async def test_a_new_bank_account_is_offered_in_the_pay_form(linked_bot: Bot) -> None:
    bot = linked_bot
    before = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "account new", user=SAM)
    view = await _opened_view(bot, before)
    assert view["callback_id"] == SupplierCallback.NEW_ACCOUNT
    bad = await bot.submit(
        view,
        {
            SupplierInput.ACCOUNT_NAME: "Payables float",
            SupplierInput.ACCOUNT_NUMBER: "GB29NWBK60161331926818",
        },
        user=SAM,
    )
    assert "check digits" in bad["errors"][SupplierInput.ACCOUNT_NUMBER]
    ack = await bot.submit(
        view,
        {
            SupplierInput.ACCOUNT_NAME: "Payables float",
            SupplierInput.ACCOUNT_NUMBER: "0120 0440",
            SupplierInput.ACCOUNT_SORT_CODE: "505050",
        },
        user=SAM,
    )
    assert ack["response_action"] == "update"
    await bot.slack.wait_for("views.update", where=lambda c: "Payables float" in json.dumps(c.args))
    demo = bot.sandbox.demo
    options = await bot.services.payables.get_payment_mapping_options(
        demo.company_id, demo.connection_id
    )
    created = next(a for a in options.bank_accounts if a.name == "Payables float")
    assert created.sort_code == "50-50-50" and created.currency == "GBP"
    (event,) = await _audit(bot, "bank_account_created")
    assert event.actor == SAM
