"""The Web API's front door and the workspace's own methods (`webapi.dispatch`,
`webapi.workspace`): arguments read from form, multipart and query encodings; `api.test`,
`users.info` and `conversations.info` with their overrides; unknown methods and wrong, missing
or misused tokens answered and recorded as problems."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from tests.slack_playground.payloads import APP_TOKEN, BOT_TOKEN, CHANNEL, bill_card


async def test_form_encoded_and_query_arguments_are_decoded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = bill_card()
    form = await client.api_call(
        "chat.postMessage", data={"channel": CHANNEL, "blocks": json.dumps(blocks)}
    )
    assert form["ok"] is True
    assert slack.calls[-1].args["blocks"] == blocks
    multipart = await client.api_call(
        "api.test", data={"channel": CHANNEL}, files={"file": io.BytesIO(b"%PDF-1.7")}
    )
    assert multipart["args"] == {"channel": CHANNEL}
    assert slack.calls[-1].args["file"]["content"] == b"%PDF-1.7"

    info = await client.users_info(user="U0ANA", include_locale=True)
    assert info["user"]["locale"] == "en-GB"
    assert info["user"]["tz"] == "Europe/London"
    assert "locale" not in (await client.users_info(user="U0ANA"))["user"]
    slack.users["U0BO"] = {"locale": "fr-FR", "tz": "Europe/Paris", "real_name": "Bo Martin"}
    bo = (await client.users_info(user="U0BO", include_locale=True))["user"]
    assert (bo["locale"], bo["tz"], bo["real_name"]) == ("fr-FR", "Europe/Paris", "Bo Martin")
    assert bo["tz_offset"] in (3600, 7200)

    slack.not_in_channel.add("C0OTHER")
    assert (await client.conversations_info(channel=CHANNEL))["channel"]["is_member"] is True
    assert (await client.conversations_info(channel="C0OTHER"))["channel"]["is_member"] is False
    assert slack.methods() == [
        "chat.postMessage",
        "api.test",
        *["users.info"] * 3,
        *["conversations.info"] * 2,
    ]


async def test_unknown_method_and_bad_tokens_are_problems(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("chat.postMesage", json={"channel": CHANNEL, "text": "x"})
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await AsyncWebClient(token=APP_TOKEN, base_url=slack.api_url).auth_test()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{slack.api_url}auth.test") as response:
            assert await response.json() == {"ok": False, "error": "not_authed"}
        async with session.post(f"{slack.api_url}auth.test", data={"token": BOT_TOKEN}) as response:
            assert (await response.json())["user_id"] == "UBOT"
    with pytest.raises(SlackApiError, match="not_allowed"):  # Socket Mode not enabled
        await client.apps_connections_open(app_token=APP_TOKEN)
    problems = slack.take_problems()
    assert [p.split(":")[0] for p in problems] == ["chat.postMesage", *["auth.test"] * 3]


async def test_users_info_carries_the_profiles_status_and_user_groups_their_members(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    plain = (await client.users_info(user="U0ANA"))["user"]["profile"]
    assert (plain["status_emoji"], plain["status_text"], plain["status_expiration"]) == ("", "", 0)
    slack.users["U0ANA"] = {
        "is_admin": True,
        "profile": {"status_emoji": ":palm_tree:", "status_expiration": 1_800_000_000},
    }
    ana = (await client.users_info(user="U0ANA"))["user"]
    assert ana["is_admin"] is True
    assert ana["profile"]["status_emoji"] == ":palm_tree:"
    assert ana["profile"]["display_name"] == slack.user_name("U0ANA")  # the rest kept

    slack.usergroups["S0FIN"] = {"handle": "finance", "name": "Finance", "users": ["U0BEN"]}
    listed = await client.usergroups_list()
    assert [(g["id"], g["handle"], g["user_count"]) for g in listed["usergroups"]] == [
        ("S0FIN", "finance", 1)
    ]
    assert (await client.usergroups_users_list(usergroup="S0FIN"))["users"] == ["U0BEN"]
    with pytest.raises(SlackApiError) as refused:
        await client.usergroups_users_list(usergroup="S0NONE")
    assert refused.value.response["error"] == "no_such_subteam"
