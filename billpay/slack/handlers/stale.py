"""Buttons and forms the bot no longer knows: from a message or modal of an older version, or
tampered with. Registered last, so they only catch what no other listener matched; each gets
an answer instead of Slack's "didn't respond"."""

from __future__ import annotations

import re

from billpay.core.errors import FORM_OUT_OF_DATE, OutOfDate
from billpay.services import Services
from billpay.slack.boundary import Ack, Listeners

ANYTHING = re.compile(r".*")


def register(on: Listeners, services: Services) -> None:
    @on.action(ANYTHING, None)
    async def unknown_action(ack: Ack) -> None:
        raise OutOfDate()

    @on.view(ANYTHING, None)
    async def unknown_view(ack: Ack) -> None:
        raise OutOfDate(FORM_OUT_OF_DATE)
