"""The test side of the Slack stand-in (`slack_playground`): a session that fails the test when
the bot sent anything Slack would reject.

    import pytest_asyncio

    from testkit.slack import fake_slack_session

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

from slack_playground import FakeSlack

__all__ = ["fake_slack_session"]


@contextlib.asynccontextmanager
async def fake_slack_session(**kwargs: Any) -> AsyncIterator[FakeSlack]:
    """A running `FakeSlack(**kwargs)` that asserts no unexpected problems when the block ends
    without an error."""
    async with FakeSlack(**kwargs) as slack:
        yield slack
        slack.assert_no_problems()
