"""`response_url` posts (`slack_playground.webapi.response_urls`) as Slack treats them: a slash
command's URL replaces or deletes the message it posted last (a placeholder it showed, say),
an ephemeral replaced stays where it was and stays ephemeral, a button's URL acts on the
message the button is in (an ephemeral one too), and the page shows each the way Slack would."""

from __future__ import annotations

from typing import Any

import aiohttp

from slack_playground import FakeSlack, SlackRequests
from slack_playground.page import Playground
from tests.slack_playground.payloads import CHANNEL, bill_card
from tests.slack_playground.test_render import Tags

ANA = "U0ANA"


async def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


def _seen_by(slack: FakeSlack, user: str) -> list[str]:
    return [e["text"] for e in slack.ephemerals if e["user"] == user]


async def test_a_commands_answer_takes_its_placeholders_place(
    slack: FakeSlack, inbound: SlackRequests
) -> None:
    url = inbound.command_payload("/bills", user_id=ANA)["response_url"]
    assert await _post(url, {"text": "Reading bills…"}) == (200, {"ok": True})
    (placeholder,) = slack.ephemerals
    where = placeholder["message_ts"]

    answer = {"text": "No bills", "response_type": "in_channel", "replace_original": True}
    assert (await _post(url, answer))[0] == 200
    assert _seen_by(slack, ANA) == ["No bills"]  # in place, still only Ana's
    assert slack.ephemerals[0]["message_ts"] == where and slack.messages == {}

    assert (await _post(url, {"delete_original": True}))[0] == 200
    assert slack.ephemerals == []
    # A message for the channel after the placeholder went: the channel's, and then the original.
    assert (await _post(url, {"text": "Linked", "response_type": "in_channel"}))[0] == 200
    ((_, ts),) = slack.messages
    assert (await _post(url, {"text": "Linked again", "replace_original": True}))[0] == 200
    assert slack.messages[(CHANNEL, ts)]["text"] == "Linked again"
    assert slack.ephemerals == []


async def test_a_command_with_nothing_posted_yet_posts_anew(
    slack: FakeSlack, inbound: SlackRequests
) -> None:
    url = inbound.command_payload("/bills", user_id=ANA)["response_url"]
    assert await _post(url, {"delete_original": True}) == (
        400,
        {"ok": False, "error": "message_not_found"},
    )
    assert (await _post(url, {"text": "Hello", "replace_original": True}))[0] == 200
    assert _seen_by(slack, ANA) == ["Hello"]


async def test_a_button_in_an_ephemeral_replaces_that_ephemeral(
    slack: FakeSlack, inbound: SlackRequests
) -> None:
    url = inbound.command_payload("/supplier", "north", user_id=ANA)["response_url"]
    assert (await _post(url, {"text": "Suppliers", "blocks": bill_card()}))[0] == 200
    (shown,) = slack.ephemerals
    message = {**shown, "ts": shown["message_ts"], "type": "message"}
    click = inbound.block_action_payload(
        inbound.action_for(message, "approve"),
        user_id=ANA,
        message=message,
        channel_id=CHANNEL,
        container={
            "type": "message",
            "message_ts": shown["message_ts"],
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
    )
    body = {"text": "Done", "replace_original": True}
    assert (await _post(click["response_url"], body))[0] == 200
    assert _seen_by(slack, ANA) == ["Done"] and slack.messages == {}


async def test_the_page_shows_the_placeholder_then_what_replaced_it() -> None:
    playground = Playground(signing_secret="secret", bot_token="xoxb-page")
    await playground.start()
    try:
        url = playground.requests.command_payload("/bills", user_id=ANA)["response_url"]
        await _post(url, {"text": ":hourglass_flowing_sand: Reading bills…"})
        channel = playground.state_for(ANA, None)["channel"]
        assert "Reading bills…" in channel and "Only visible to you" in channel
        assert "Reading bills" not in playground.state_for("U0SAM", None)["channel"]

        await _post(url, {"text": "Couldn't read the bills.", "replace_original": True})
        channel = playground.state_for(ANA, None)["channel"]
        assert "Couldn't read the bills." in channel and "Reading bills" not in channel

        await _post(url, {"delete_original": True})
        assert "Couldn" not in playground.state_for(ANA, None)["channel"]
        assert playground.problems == []
    finally:
        await playground.stop()


async def test_a_channel_message_a_button_replaces_shows_edited_as_in_slack() -> None:
    """A card a button's response_url replaced reads "(edited)" after its time, in the reader's
    language, with when it changed in its tooltip; a message never changed does not."""
    playground = Playground(signing_secret="secret", bot_token="xoxb-page")
    await playground.start()
    try:
        playground.channels[CHANNEL] = {"name": "finance"}
        card = playground._post(CHANNEL, "Bills", bill_card(), None)
        playground._post(CHANNEL, "Untouched", None, None)
        assert "(edited)" not in playground.state_for(ANA, None)["channel"]
        click = playground.requests.block_action_payload(
            playground.requests.action_for(card, "approve"),
            user_id=ANA,
            message=card,
            channel_id=CHANNEL,
        )
        body = {"text": "Approved", "replace_original": True}
        assert (await _post(click["response_url"], body))[0] == 200

        ana = Tags(playground.state_for(ANA, None)["channel"])
        edited = ana.find("span", **{"class": "edited"})
        assert ana.words.count("(edited)") == 1
        assert str(edited["title"]).startswith("Edited ")
        lea = playground.state_for("U0LEA", None)["channel"]
        assert "(modifié)" in lea and "(edited)" not in lea
    finally:
        await playground.stop()
