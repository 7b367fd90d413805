"""What the supplier, new bill and bank account tests share: reading the modals the bot opened
and updated, the audit trail, the sandbox's suppliers and options, and the steps of filling in
the new bill form."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from billpay.slack.blocks.ids import SupplierCallback, SupplierInput
from billpay.store.models import AuditEvent
from testkit.bot import Bot
from testkit.world import ANA, CHANNEL

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


async def _opened_view(bot: Bot, before: int) -> dict[str, Any]:
    # A form read from the payables API opens as a loading modal, then replaces it: the
    # modal once filled in, as Slack holds it.
    return await bot.modal(before)


async def _updated_view(bot: Bot, view_id: str, before: int) -> dict[str, Any]:
    await bot.slack.wait_for(
        "views.update", where=lambda c: c.args.get("view_id") == view_id, count=before + 1
    )
    return bot.slack.views[view_id]


def _updates(bot: Bot, view_id: str) -> int:
    return len([c for c in bot.slack.calls_to("views.update") if c.args.get("view_id") == view_id])


async def _audit(bot: Bot, action: str) -> list[AuditEvent]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def _suppliers(bot: Bot) -> dict[str, Any]:
    demo = bot.sandbox.demo
    found = bot.services.payables.iter_suppliers(demo.company_id, demo.connection_id)
    return {s.supplier_name: s async for s in found}


async def _bill_options(bot: Bot) -> tuple[str, str]:
    """The ids of the demo's "6400 Office stationery" account and 20% VAT rate."""
    demo = bot.sandbox.demo
    options = await bot.services.payables.get_bill_mapping_options(
        demo.company_id, demo.connection_id
    )
    account = next(a.id for a in options.accounts if a.nominal_code == "6400")
    vat = next(t.id for t in options.tax_rates if t.name == "Standard rate VAT 20%")
    return account, vat


def _ephemeral(answer: dict[str, Any], n: int = 1) -> dict[str, Any]:
    """An ephemeral answer as the message a button is clicked on."""
    return {"ts": f"1763800000.00000{n}", "channel": CHANNEL, **answer}


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def _new_bill_form(bot: Bot) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.open"))
    await bot.command("/billpay", "bill", user=ANA)
    view = await _opened_view(bot, before)
    assert view["callback_id"] == SupplierCallback.NEW_BILL
    return view


async def _choose_supplier(bot: Bot, view: dict[str, Any], typed: str, name: str) -> dict[str, Any]:
    response = await bot.send(
        bot.requests.block_suggestion(view, SupplierInput.BILL_SUPPLIER, typed, user_id=ANA)
    )
    assert response.status_code == 200
    options = response.json()["options"]
    option = next(o for o in options if o["text"]["text"] == name)
    updates = _updates(bot, view["id"])
    click = bot.requests.click(view, SupplierInput.BILL_SUPPLIER, user_id=ANA, option_value=option)
    assert (await bot.send(click)).status_code == 200
    return await _updated_view(bot, view["id"], updates)


async def _shortcut_on_file(
    bot: Bot, name: str, content: bytes, *, mimetype: str = "application/pdf"
) -> dict[str, Any]:
    """A message in the channel carrying a file, and the shortcut used on it; returns the
    message."""
    record = bot.slack.add_file(name, content, mimetype=mimetype)
    message = {"ts": "1763800100.000100", "channel": CHANNEL, "text": "", "files": [record]}
    request = bot.requests.message_action(
        message, SupplierCallback.BILL_FROM_FILE, user_id=ANA, channel_id=CHANNEL
    )
    assert (await bot.send(request)).status_code == 200
    return record


async def _submit_bill_from(bot: Bot, view: dict[str, Any], account: str) -> dict[str, Any]:
    view = await _choose_supplier(bot, view, "north", "Northridge Office Supplies")
    return await bot.submit(
        view,
        {
            SupplierInput.BILL_REFERENCE: "NR-9001",
            "line_amount:0": "480.00",
            "line_account:0": account,
        },
        user=ANA,
    )
