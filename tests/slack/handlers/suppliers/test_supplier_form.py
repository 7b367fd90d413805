"""The supplier form end to end over HTTP: creating a supplier (its email checked first, created
once) and editing one (the whole record sent)."""

from __future__ import annotations

from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput
from testkit.bot import Bot
from testkit.world import ANA
from tests.slack.handlers.suppliers.steps import (
    _audit,
    _ephemeral,
    _opened_view,
    _suppliers,
    _text,
    _updated_view,
    _updates,
)


async def test_create_supplier_checks_the_email_then_creates_it_once(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/supplier", "Zephyr Print", user=ANA)
    (miss,) = await bot.slack.wait_for_responses(where=lambda r: "No supplier" in str(r))
    before = len(bot.slack.calls_to("views.open"))
    request = bot.requests.click(_ephemeral(miss), SupplierAction.CREATE, user_id=ANA)
    assert (await bot.send(request)).status_code == 200
    view = await _opened_view(bot, before)
    assert view["blocks"][0]["element"]["initial_value"] == "Zephyr Print"

    ack = await bot.submit(view, {SupplierInput.EMAIL: "not an email"}, user=ANA)
    assert ack["response_action"] == "errors"
    assert "not an email address" in ack["errors"][SupplierInput.EMAIL]
    assert "Zephyr Print" not in await _suppliers(bot)

    inputs = {
        SupplierInput.EMAIL: "accounts@zephyr.example",
        SupplierInput.CONTACT: "Zoë Park",
        SupplierInput.CURRENCY: "EUR",
        SupplierInput.ADDRESS: "1 Quay Street\nDublin",
    }
    ack = await bot.submit(view, inputs, user=ANA)
    assert ack["response_action"] == "update"
    await _updated_view(bot, view["id"], 0)
    assert "added the supplier *Zephyr Print*" in _text(bot.slack.views[view["id"]])
    created = (await _suppliers(bot))["Zephyr Print"]
    assert created.email_address == "accounts@zephyr.example"
    assert created.default_currency == "EUR" and created.contact_name == "Zoë Park"
    assert created.addresses and created.addresses[0].line1 == "1 Quay Street"
    (event,) = await _audit(bot, "supplier_created")
    assert event.actor == ANA and event.details["supplier_id"] == created.id


async def test_edit_supplier_sends_the_whole_record(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/supplier", "northridge", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Northridge" in str(r))
    before_edit = (await _suppliers(bot))["Northridge Office Supplies"]
    before = len(bot.slack.calls_to("views.open"))
    request = bot.requests.click(_ephemeral(answer, 2), SupplierAction.EDIT, user_id=ANA)
    assert (await bot.send(request)).status_code == 200
    view = await _opened_view(bot, before)
    assert view["callback_id"] == SupplierCallback.EDIT
    updates = _updates(bot, view["id"])
    await bot.submit(view, {SupplierInput.PHONE: "+44 20 7946 0000"}, user=ANA)
    await _updated_view(bot, view["id"], updates)
    after = (await _suppliers(bot))["Northridge Office Supplies"]
    assert after.phone == "+44 20 7946 0000"
    # Untouched fields survive the full replace.
    assert after.email_address == before_edit.email_address
    assert after.contact_name == before_edit.contact_name
    assert after.addresses == before_edit.addresses
    assert after.default_currency == before_edit.default_currency
    assert len(await _audit(bot, "supplier_updated")) == 1
