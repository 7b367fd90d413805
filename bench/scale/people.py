"""What people do in a world, timed: `/bills`, `/supplier`, a payment from approval to paid,
the link and its first fill."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.scale.world import WAIT, World, mirror_of
from billpay.slack.blocks.ids import Action, Input
from testkit.bot import card_text
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, SAM, TEAM


async def first_answer(w: World, send: Callable[[], Awaitable[httpx.Response]]) -> float:
    """Seconds from the request leaving to the first chat.postMessage or response_url post
    the fake Slack receives after it."""
    posts, answers = len(w.slack.calls_to("chat.postMessage")), len(w.slack.responses)
    started = time.perf_counter()
    response = await send()
    assert response.status_code == 200, response.text
    while len(w.slack.calls_to("chat.postMessage")) == posts and len(w.slack.responses) == answers:
        if time.perf_counter() - started > WAIT:
            raise TimeoutError("no answer from the bot")
        await asyncio.sleep(0.002)
    return time.perf_counter() - started


async def bills(w: World, text: str = "", user: str = ANA) -> tuple[float, dict[str, Any]]:
    """`/bills`: seconds to the first answer, and the bills message it posted."""
    before = len(w.slack.calls_to("chat.postMessage"))
    took = await first_answer(w, lambda: w.bot.command("/bills", text, user=user))
    (call, *_) = (await w.slack.wait_for("chat.postMessage", count=before + 1, timeout=WAIT))[
        before:
    ]
    assert call.ok, call.response
    ts = call.response["ts"]
    for _ in range(int(WAIT * 100)):
        if await w.services.messages.get(CHANNEL, ts) is not None:
            break
        await asyncio.sleep(0.01)
    return took, w.slack.message(CHANNEL, ts)


async def supplier(w: World, name: str) -> float:
    """`/supplier <name>`: seconds to the first answer."""
    return await first_answer(w, lambda: w.bot.command("/supplier", name, user=ANA))


async def wait_for_card(w: World, ts: str, bill_id: str, text: str) -> dict[str, Any]:
    await w.slack.wait_for(
        "chat.update",
        timeout=WAIT,
        where=lambda c: c.ok and c.args.get("ts") == ts and text in card_text(c.args, bill_id),
    )
    return w.bot.message(ts)


async def pay(w: World, message: dict[str, Any], bill_id: str) -> dict[str, Any]:
    """Approve (Ana), Pay… and submit the form as it opens (Sam): the card shows it paid."""
    ts = message["ts"]
    await w.bot.click(message, Action.APPROVE, bill_id, user=ANA)
    message = await wait_for_card(w, ts, bill_id, "Approved by")
    opened = len(w.slack.calls_to("views.open"))
    await w.bot.click(message, Action.PAY, bill_id, user=SAM)
    (call, *_) = (await w.slack.wait_for("views.open", count=opened + 1, timeout=WAIT))[opened:]
    view_id = call.response["view"]["id"]
    if call.args["view"].get("callback_id") == "loading":
        await w.slack.wait_for(
            "views.update", timeout=WAIT, where=lambda c: c.ok and c.args.get("view_id") == view_id
        )
    view = dict(w.slack.views[view_id])
    # A bill flagged (a possible duplicate, an open question) asks for its boxes ticked.
    confirm = [
        option["value"]
        for block in view["blocks"]
        if block.get("block_id") == Input.PAY_CONFIRM
        for option in block["element"]["options"]
    ]
    await w.bot.submit(view, {Input.PAY_CONFIRM: confirm} if confirm else None, user=SAM)
    return await wait_for_card(w, ts, bill_id, "Paid ")


async def link(w: World) -> None:
    """`/billpay connect`, then the first fill of the mirror, timed."""
    await w.bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await w.slack.wait_for_responses(timeout=WAIT)
    started = time.perf_counter()
    await mirror_of(w.services).settled()
    w.fill_seconds = time.perf_counter() - started
    w.link = await w.services.links.link_for(TEAM, CHANNEL)
    w.outstanding = await mirrored_outstanding(w)


async def mirrored_outstanding(w: World) -> int:
    from billpay.store.models import MirroredBill

    company, connection = w.ids
    async with w.services.db.read() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(MirroredBill)
                .where(
                    MirroredBill.company_id == company,
                    MirroredBill.connection_id == connection,
                    MirroredBill.status.in_(("Open", "PartiallyPaid")),
                )
            )
            or 0
        )
