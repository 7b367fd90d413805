"""The boundary's contract with the listeners it registers: they name what they need, and a
name no request carries is refused when the listener is registered, not when someone clicks."""

from __future__ import annotations

import pytest
from slack_bolt.async_app import AsyncApp

from billpay.slack.boundary import Ack, Listeners
from billpay.slack.people import People


def _listeners() -> Listeners:
    app = AsyncApp(token="xoxb-1-2-3", signing_secret="secret")
    return Listeners(app, slack_hosts=frozenset({"hooks.slack.com"}), people=People("en_GB"))


def test_a_listener_naming_what_no_request_carries_is_refused_at_registration() -> None:
    on = _listeners()

    async def listener(ack: Ack, say: object) -> None:
        await ack()

    with pytest.raises(TypeError, match="say"):
        on.command("/bills")(listener)


def test_a_listener_naming_what_its_registration_parses_is_registered() -> None:
    on = _listeners()

    async def listener(ack: Ack, slash: object, person: object) -> None:
        await ack()

    assert on.command("/bills")(listener) is listener
