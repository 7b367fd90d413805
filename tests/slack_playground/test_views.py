"""Modals and Home tabs (`webapi.views`): a view stored as Slack stores it, `views.update` by
id or external_id honouring `hash`, `views.publish` for Home tabs only, and trigger ids that
work once and expire."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack
from tests.slack_playground.payloads import approval_modal, md, open_modal, pt


async def test_views_update_detects_hash_conflicts(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view = await open_modal(slack, client)
    assert view["id"].startswith("V")
    assert view["state"] == {"values": {}}
    assert view["team_id"] == "T0001"
    assert view["callback_id"] == "pay_bill"
    assert slack.views[view["id"]]["hash"] == view["hash"]

    changed = {**approval_modal(), "title": pt("Paying…")}
    updated = await client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    assert updated["view"]["hash"] != view["hash"]
    assert updated["view"]["title"] == pt("Paying…")
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    with pytest.raises(SlackApiError, match="not_found"):
        await client.views_update(view_id="V0NOPE", view=changed)
    # Without a hash the last write wins; a view can also be found by its external_id.
    tagged = {**approval_modal(), "external_id": "pay:bill-1"}
    assert (await client.views_update(view_id=view["id"], view=tagged))["ok"]
    by_external = await client.views_update(external_id="pay:bill-1", view=tagged)
    assert by_external["view"]["id"] == view["id"]

    home = {"type": "home", "blocks": [{"type": "section", "text": md("Bills")}]}
    published = await client.views_publish(user_id="U0ANA", view=home)
    assert slack.home_views["U0ANA"]["id"] == published["view"]["id"]
    again = await client.views_publish(user_id="U0ANA", view=home, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_publish(user_id="U0ANA", view=home, hash=published["view"]["hash"])
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U0ANA", view=approval_modal())
    assert slack.take_problems() == [
        "views.publish: type must be 'home' here [json-pointer:/view/type]"
    ]


async def test_trigger_ids_are_single_use_and_can_expire(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    trigger = slack.new_trigger_id()
    assert (await client.views_open(trigger_id=trigger, view=approval_modal()))["ok"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id=trigger, view=approval_modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="123.456.abc", view=approval_modal())

    now = [100.0]
    slack.clock = lambda: now[0]
    slack.trigger_ttl = 3
    late = slack.new_trigger_id()
    now[0] += 3.5
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=late, view=approval_modal())
