"""`/supplier <name>` end to end over HTTP: the suppliers found, with their buttons, a miss
offering Create supplier, and Show bills."""

from __future__ import annotations

from billpay.slack.blocks.ids import SupplierAction
from testkit.bot import Bot
from testkit.world import ANA
from tests.slack.handlers.suppliers.steps import _ephemeral


async def test_supplier_lookup_has_buttons_and_a_miss_offers_create_supplier(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    await bot.command("/supplier", "NORTHRIDGE", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Northridge" in str(r))
    actions = [
        e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [SupplierAction.SHOW_BILLS, SupplierAction.NEW_BILL, SupplierAction.EDIT]
    assert "Currency: GBP" in str(answer["blocks"])

    await bot.command("/supplier", '<!channel> & *50%* "zz"', user=ANA)
    (miss,) = await bot.slack.wait_for_responses(where=lambda r: "No supplier" in str(r))
    assert "&lt;!channel&gt; &amp;" in miss["text"] and "<!channel>" not in miss["text"]
    assert SupplierAction.CREATE in str(miss["blocks"])

    await bot.command("/supplier", "%", user=ANA)  # no wildcard: nobody's name has a %
    await bot.slack.wait_for_responses(where=lambda r: "contains “%”" in str(r))

    await bot.command("/supplier", "", user=ANA)
    await bot.slack.wait_for_responses(where=lambda r: "Which supplier?" in str(r))


async def test_show_bills_lists_that_suppliers_bills(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/supplier", "northridge", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: "Northridge" in str(r))
    posted = len(bot.slack.calls_to("chat.postMessage"))
    click = bot.requests.click(_ephemeral(answer, 3), SupplierAction.SHOW_BILLS, user_id=ANA)
    assert (await bot.send(click)).status_code == 200
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    assert "matching “Northridge Office Supplies”" in call.args["text"]
