"""The stand-in's shares: `files_upload_v2` through slack_sdk's real client (its three steps),
what Slack refuses there, and thread replies as message events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from testkit.slack import fake_slack_session

BOT_TOKEN = "xoxb-files-test"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack_session(bot_token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


async def test_files_upload_v2_shares_the_bytes_in_the_thread(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0FIN", text="cards")
    response = await client.files_upload_v2(
        file_uploads=[
            {"filename": "a.pdf", "content": b"%PDF-a", "title": "a.pdf"},
            {"filename": "b.png", "content": b"\x89PNG-b", "title": "b.png"},
        ],
        channel="C0FIN",
        thread_ts=parent["ts"],
        initial_comment="the invoice",
    )
    assert [f["title"] for f in response["files"]] == ["a.pdf", "b.png"]
    assert slack.methods()[1:] == [
        "files.getUploadURLExternal",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (post,) = slack.thread("C0FIN", parent["ts"])
    assert post["text"] == "the invoice"
    shared = slack.uploads.shared_in("C0FIN", parent["ts"])
    assert [slack.uploads.content(f["id"]) for f in shared] == [b"%PDF-a", b"\x89PNG-b"]
    assert [f["id"] for f in shared] == [f["id"] for f in response["files"]]
    info = await client.files_info(file=shared[0]["id"])
    assert info["file"]["name"] == "a.pdf"


async def test_what_slack_refuses_in_an_upload(slack: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.files_getUploadURLExternal(filename="a.pdf", length=0)
    assert refused.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=[{"id": "F0NEVER", "title": "x"}])
    assert refused.value.response["error"] == "file_not_found"
    started = await client.files_getUploadURLExternal(filename="a.pdf", length=5)
    async with aiohttp.ClientSession() as http:
        async with http.post(started["upload_url"], data=b"123") as answer:
            assert answer.status == 400  # not the declared length
        async with http.post(started["upload_url"], data=b"12345") as answer:
            assert answer.status == 200
        async with http.post(started["upload_url"], data=b"12345") as answer:
            assert answer.status == 404  # an upload URL is used once
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(
            files=[{"id": started["file_id"], "title": "a"}], thread_ts="1.2"
        )
    assert refused.value.response["error"] == "invalid_arguments"  # a thread needs its channel
    assert len(slack.take_problems()) == 5


async def test_a_reply_is_stored_in_the_thread_and_comes_as_a_message_event(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0FIN", text="cards")
    event = slack.uploads.reply("C0FIN", "U0ANA", "approved", parent["ts"])
    assert event["type"] == "message" and event["thread_ts"] == parent["ts"]
    assert "bot_id" not in event
    (reply,) = slack.thread("C0FIN", parent["ts"])
    assert reply["user"] == "U0ANA" and "bot_id" not in reply
