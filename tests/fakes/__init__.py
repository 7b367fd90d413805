"""Fakes of the outside services the bot talks to; for Slack, a server that checks like Slack.

- `tests.fakes.slack`: `FakeSlack`, the Web API (`/api/<method>`), response_url posts and the
  state Slack keeps (messages, threads, views, Home tabs, trigger ids); every `blocks` and
  `view` sent is validated.
- `tests.fakes.blockkit`: `validate_message_blocks()`, `validate_view()` and `validate_ack()`
  (an app's reply to a command or interaction), usable on their own (an empty list means
  Slack would accept the payload).
- `tests.fakes.signing`: `SlackRequests`, the payloads Slack sends to the app (slash commands,
  block actions, view submissions, events), plain or signed (`SignedRequest`).
- `tests.fakes.socket_mode`: `SocketModeFake`, the Socket Mode websocket.

A fixture that fails the test when the bot sent anything Slack would reject::

    import pytest_asyncio

    from tests.fakes import fake_slack_session

    @pytest_asyncio.fixture
    async def slack():
        async with fake_slack_session() as slack:
            yield slack

A test that means to send a bad payload takes the problems it expects with
`slack.take_problems()` before it ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.fakes.blockkit import validate_ack, validate_message_blocks, validate_view
from tests.fakes.signing import SignedRequest, SlackRequests
from tests.fakes.slack import Call, FakeSlack, SlackError
from tests.fakes.socket_mode import SocketModeFake

__all__ = [
    "Call",
    "FakeSlack",
    "SignedRequest",
    "SlackError",
    "SlackRequests",
    "SocketModeFake",
    "fake_slack_session",
    "validate_ack",
    "validate_message_blocks",
    "validate_view",
]


@contextlib.asynccontextmanager
async def fake_slack_session(**kwargs: Any) -> AsyncIterator[FakeSlack]:
    """A running `FakeSlack(**kwargs)` that asserts no unexpected problems when the block ends
    without an error."""
    async with FakeSlack(**kwargs) as slack:
        yield slack
        slack.assert_no_problems()
