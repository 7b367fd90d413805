"""Linking a channel to a company and what the channel knows of it: `connect` (the connect
form, `/billpay connect <company>`, the link to authorise a new connection) and `channel`
(`status`, `disconnect`, `language`, `help`)."""

from __future__ import annotations

from billpay.services import Services
from billpay.slack.boundary import Listeners
from billpay.slack.handlers.links import channel, connect


def register(on: Listeners, services: Services) -> None:
    connect.register(on, services)
    channel.register(on, services)
