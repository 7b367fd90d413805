"""The playground's channels across restarts (`slack_playground.history`): what the bot posted
(messages, thread replies, its direct messages) shows again when the playground starts again
on the same file, new messages come after it, and deleting the file empties the channel."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from slack_playground.page import CHANNEL, Playground

TOKEN = "xoxb-history"


async def _started(path: Path) -> Playground:
    playground = Playground(signing_secret="secret", bot_token=TOKEN, history=path)
    await playground.start()
    return playground


async def test_a_restarted_playground_shows_the_channel_it_had(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    first = await _started(path)
    try:
        client = AsyncWebClient(token=TOKEN, base_url=first.api_url)
        card = await client.chat_postMessage(channel=CHANNEL, text="*BW-88213* due :calendar:")
        await client.chat_postMessage(channel=CHANNEL, text="Approved by Ana", thread_ts=card["ts"])
        await client.chat_update(channel=CHANNEL, ts=card["ts"], text="*BW-88213* approved")
        await client.chat_postMessage(channel="U0LEA", text="A reminder for Léa")
        first.linked = True
        await first.notify()
    finally:
        await first.stop()

    again = await _started(path)
    try:
        channel = again.state_for("U0ANA", None)["channel"]
        assert "<strong>BW-88213</strong> approved" in channel and "(edited)" in channel
        assert f'data-thread="{card["ts"]}">1 reply</button>' in channel
        assert "Approved by Ana" in again.state_for("U0ANA", card["ts"])["thread"]
        assert "A reminder for Léa" in again.state_for("U0LEA", None)["dm"]
        assert again.linked  # opening the page does not link the channel a second time
        # The bot can still update what it posted, and what it posts now comes after it.
        client = AsyncWebClient(token=TOKEN, base_url=again.api_url)
        await client.chat_update(channel=CHANNEL, ts=card["ts"], text="*BW-88213* paid")
        newer = await client.chat_postMessage(channel=CHANNEL, text="Newer")
        assert float(newer["ts"]) > float(card["ts"])
        assert again.state_for("U0ANA", None)["channel"].index("paid") < (
            again.state_for("U0ANA", None)["channel"].index("Newer")
        )
    finally:
        await again.stop()

    path.unlink()  # starting afresh
    fresh = await _started(path)
    try:
        assert "very beginning of <b>#finance</b>" in fresh.state_for("U0ANA", None)["channel"]
        assert not fresh.linked
    finally:
        await fresh.stop()


async def test_a_file_it_cannot_read_starts_an_empty_channel(tmp_path: Path) -> None:
    path = tmp_path / "channels.json"
    path.write_text("{not json", encoding="utf-8")
    playground = await _started(path)
    try:
        assert "very beginning" in playground.state_for("U0ANA", None)["channel"]
    finally:
        await playground.stop()
