"""Files people share (`webapi.files`): `files.info`, and downloads of `url_private` that need
the bot token. The bot's own uploads are `test_slack_fake_files.py`'s."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from tests.slack_playground.payloads import BOT_TOKEN, CHANNEL


async def test_files_info_and_downloads_need_the_bot_token(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    record = slack.add_file("INV-1.pdf", b"%PDF-1.4 body", channel_id=CHANNEL)
    info = await client.files_info(file=record["id"])
    assert info["file"]["size"] == 13 and info["file"]["url_private"] == record["url_private"]
    with pytest.raises(SlackApiError) as missing:
        await client.files_info(file="F0NOPE")
    assert missing.value.response["error"] == "file_not_found"

    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
        async with http.get(record["url_private"], headers=headers) as good:
            assert good.status == 200 and await good.read() == b"%PDF-1.4 body"
        for bad in ({}, {"Authorization": "Bearer xoxb-someone-else"}):
            async with http.get(record["url_private"], headers=bad, allow_redirects=False) as no:
                assert no.status == 302 and b"PDF" not in await no.read()
    assert [d.ok for d in slack.downloads] == [True, False, False]
