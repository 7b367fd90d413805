"""One `/bills` thread serves up to ten bills: every line the bot posts in it names the bill it is
about, and a rejection is posted there as a reopening is."""

from __future__ import annotations

import pytest

from billpay.slack.blocks.ids import Action
from testkit.bot import Bot, bill_ids
from testkit.world import ANA, BEN, CHANNEL, SAM
from tests.slack.handlers.test_questions import ask, thread_buttons


def _supplier(message: dict, bill_id: str) -> str:
    (card,) = [b for b in message["blocks"] if b.get("block_id") == f"card:{bill_id}"]
    return str(card["text"]["text"].split("*")[1])


async def _line(bot: Bot, ts: str, words: str) -> str:
    calls = await bot.slack.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") == ts and words in c.args.get("text", ""),
    )
    return str(calls[-1].args["text"])


async def _reason(bot: Bot, message: dict, action: str, bill_id: str, field: str) -> None:
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(message, action, bill_id, user=ANA)
    view = (await bot.slack.wait_for("views.open", count=opened + 1))[-1].response["view"]
    assert await bot.submit(view, {field: "Wrong <!here> PO"}, user=ANA) == {}


@pytest.mark.bot(approvers=[ANA, BEN])
async def test_reject_reopen_and_a_resolved_question_each_name_their_bill_in_the_thread(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    ts = message["ts"]
    first, second = bill_ids(message)[:2]
    supplier = _supplier(message, first)

    await _reason(bot, message, Action.REJECT, first, "reject_reason")
    message = await bot.wait_for_card(ts, first, "Rejected by <@U0ANA>")
    rejected = await _line(bot, ts, "rejected")
    assert rejected == f":no_entry: <@U0ANA> rejected {supplier}" + rejected.split(supplier)[1]
    assert rejected.endswith(": Wrong &lt;!here&gt; PO")

    await _reason(bot, message, Action.REOPEN, first, "reopen_reason")
    await bot.wait_for_card(ts, first, "needs approval")
    reopened = await _line(bot, ts, "reopened")
    assert f"<@U0ANA> reopened {supplier}" in reopened and "this bill" not in reopened

    other = _supplier(message, second)
    await ask(bot, message, second, by=SAM, of=BEN)
    await bot.wait_for_card(ts, second, "Question open")
    (posted,) = thread_buttons(bot, ts)
    assert await bot.send(bot.requests.click(posted, Action.RESOLVE_QUESTION, user_id=SAM))
    resolved = await _line(bot, ts, "resolved")
    assert f"Question on {other}" in resolved and "resolved by <@U0SAM>" in resolved
    assert len(bot.slack.thread(CHANNEL, ts)) == 4  # rejected, reopened, the question, resolved
