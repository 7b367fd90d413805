"""Opening a modal whose content takes a while to gather (the payables API's suppliers, say)
within the 3 seconds a trigger id is valid: the modal itself when it is ready in time, else a
placeholder at once, filled in when the content is ready; errors then show in the modal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import OutOfDate
from billpay.slack.blocks.modals import waiting_modal
from billpay.slack.boundary import SHOWN_VIEW

# How long the content may take before a placeholder opens instead.
OPEN_MODAL_BUDGET_SECONDS = 1.5


def trigger_of(body: dict[str, Any]) -> str:
    """The request's trigger id, to open a modal with; a request without one is out of date."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not 0 < len(trigger) <= 200:
        raise OutOfDate()
    return trigger


async def open_when_ready(
    client: AsyncWebClient,
    trigger_id: str,
    context: AsyncBoltContext,
    title: str,
    work: Awaitable[dict[str, Any]],
    *,
    locale: str,
) -> None:
    """Open the modal `work` builds, or a placeholder titled `title` (in the reader's words)
    while the trigger is still valid, filled in once `work` is done."""
    task = asyncio.ensure_future(work)
    await asyncio.wait({task}, timeout=OPEN_MODAL_BUDGET_SECONDS)
    if task.done():
        await client.views_open(trigger_id=trigger_id, view=task.result())
        return
    opened = await client.views_open(
        trigger_id=trigger_id, view=waiting_modal(title, "…", locale=locale)
    )
    context[SHOWN_VIEW] = opened["view"]["id"]
    await client.views_update(view_id=opened["view"]["id"], view=await task)
