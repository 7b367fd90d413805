"""What the stand-in records and injects (`webapi.state`): rate limits and failures injected on
the next call and honoured by slack_sdk's retry handler, `wait_for` waiting for calls and
saying what it saw instead, a session failing on problems no test took, and calls held before
Slack acts on them, then released or dropped."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from testkit.slack import fake_slack_session
from tests.slack_playground.payloads import BOT_TOKEN, CHANNEL


async def test_rate_limit_is_honoured_by_the_retry_handler(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler adds up to a second of random jitter; none here, to keep the test fast.
    monkeypatch.setattr(builtin_async_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit_next("chat.postMessage", retry_after=0)

    response = await client.chat_postMessage(channel=CHANNEL, text="hello")

    assert response["ok"] is True
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}
    assert len(slack.messages) == 1

    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url).chat_postMessage(
            channel=CHANNEL, text="x"
        )
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"

    slack.fail_next("chat.postMessage", error="fatal_error")
    with pytest.raises(SlackApiError, match="fatal_error"):
        await client.chat_postMessage(channel=CHANNEL, text="x")


async def test_wait_for_waits_and_reports_what_it_saw(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"(?s)expected 1 call\(s\) to chat.update.*auth.test"):
        await slack.wait_for("chat.update", timeout=0.05)
    await client.chat_postMessage(channel=CHANNEL, text="a")
    await client.chat_postMessage(channel=CHANNEL, text="b")
    calls = await slack.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "b")
    assert [c.args["text"] for c in calls] == ["b"]


async def test_a_session_fails_on_problems_nobody_took() -> None:
    with pytest.raises(AssertionError, match=r"Slack would have rejected 1:\n  - chat.postMessage"):
        async with fake_slack_session() as slack:
            client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
            with pytest.raises(SlackApiError, match="invalid_blocks"):
                await client.chat_postMessage(
                    channel=CHANNEL, text="x", blocks=[{"type": "sectoin"}]
                )


async def test_a_held_call_waits_until_released_and_is_then_answered_as_usual(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    hold = slack.hold("chat.postMessage", skip=1, where=lambda args: args["channel"] == CHANNEL)
    await client.chat_postMessage(channel=CHANNEL, text="first")  # skipped: answered at once
    await client.chat_postMessage(channel="C0OTHER", text="elsewhere")  # not matching
    posting = asyncio.create_task(client.chat_postMessage(channel=CHANNEL, text="held"))

    (held,) = await hold.wait()

    assert held["text"] == "held" and not posting.done()
    assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == ["first", "elsewhere"]
    hold.release()
    assert (await posting)["ok"] is True
    assert [m["text"] for m in slack.messages.values()] == ["first", "elsewhere", "held"]
    await client.chat_postMessage(channel=CHANNEL, text="after")  # a decided hold takes no more
    assert len(slack.calls_to("chat.postMessage")) == 4


async def test_a_dropped_call_is_never_acted_on_nor_recorded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    hold = slack.hold("chat.postMessage")
    posting = asyncio.create_task(client.chat_postMessage(channel=CHANNEL, text="lost"))
    await hold.wait()

    hold.drop()

    with pytest.raises(SlackApiError) as raised:
        await posting
    assert raised.value.response.status_code == 503
    assert slack.messages == {} and slack.calls_to("chat.postMessage") == []
    assert hold.held[0]["text"] == "lost"
