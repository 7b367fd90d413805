"""`SlackRequests`: every kind of request Slack sends an app, for one `FakeSlack` workspace."""

from __future__ import annotations

from slack_playground.inbound.actions import ActionPayloads
from slack_playground.inbound.commands import CommandPayloads
from slack_playground.inbound.events import EventPayloads
from slack_playground.inbound.views import ViewPayloads


class SlackRequests(CommandPayloads, ActionPayloads, ViewPayloads, EventPayloads):
    """Builds (and signs) what Slack would send to the app for `slack`'s workspace."""
