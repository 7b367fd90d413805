"""Messages and threads (`webapi.chat`): timestamps, thread replies, `chat.update` keeping or
replacing text and blocks, channels the bot is not in, messages with nothing in them, and
ephemerals."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from tests.slack_playground.payloads import CHANNEL, bill_card


async def test_messages_threads_and_updates(slack: FakeSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel=CHANNEL, text="one")
    second = await client.chat_postMessage(channel=CHANNEL, text="two")
    assert first["ts"] == "1763800000.000100"
    assert float(second["ts"]) > float(first["ts"])

    reply = await client.chat_postMessage(channel=CHANNEL, text="re", thread_ts=first["ts"])
    assert reply["message"]["thread_ts"] == first["ts"]
    assert [m["text"] for m in slack.thread(CHANNEL, first["ts"])] == ["re"]
    assert (CHANNEL, reply["ts"]) not in slack.messages
    with pytest.raises(SlackApiError, match="thread_not_found"):
        await client.chat_postMessage(channel=CHANNEL, text="re", thread_ts="1.000000")

    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel=CHANNEL, ts="1763800000.999900", text="nope")
    with pytest.warns(UserWarning, match="text"):  # slack_sdk's advice; Slack accepts it
        updated = await client.chat_update(channel=CHANNEL, ts=first["ts"], blocks=bill_card())
    assert updated["text"] == "one"  # text not sent: kept
    assert updated["message"]["blocks"][1]["block_id"] == "bill:bill-1:summary"
    await client.chat_update(channel=CHANNEL, ts=first["ts"], text="paid", blocks=[])
    assert "blocks" not in slack.messages[(CHANNEL, first["ts"])]
    assert slack.messages[(CHANNEL, first["ts"])]["text"] == "paid"

    slack.not_in_channel.add("C0PRIV")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C0PRIV", text="x")
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel=CHANNEL)
    assert slack.take_problems() == [
        "chat.postMessage: a message needs text, blocks or attachments"
    ]

    ephemeral = await client.chat_postEphemeral(channel=CHANNEL, user="U0ANA", text="only you")
    assert slack.ephemerals == [
        {
            "channel": CHANNEL,
            "user": "U0ANA",
            "text": "only you",
            "blocks": None,
            "message_ts": ephemeral["message_ts"],
        }
    ]
