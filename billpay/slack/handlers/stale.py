"""Buttons and forms the bot no longer knows: from a message or modal of an older version, or
tampered with. Registered last, so they only catch what no other listener matched; each gets
an answer instead of Slack's "didn't respond"."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck

from billpay.core.errors import FORM_OUT_OF_DATE, OutOfDate
from billpay.slack.boundary import Listeners

ANYTHING = re.compile(r".*")


def register(on: Listeners) -> None:
    @on.action(ANYTHING, None)
    async def unknown_action(ack: AsyncAck) -> None:
        raise OutOfDate()

    @on.view(ANYTHING, None)
    async def unknown_view(ack: AsyncAck) -> None:
        raise OutOfDate(FORM_OUT_OF_DATE)
