"""What the playground does with the parts of Slack the bot does not use yet: a modal pushed or
cleared by a submission's answer, options for an external select, `view_closed`, an answer Slack
would reject. A small app stands in for the bot: it checks each request's signature as Bolt
does and answers as the test says."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from slack_playground.page import Playground

SECRET = "playground-test-secret"
TOKEN = "xoxb-playground-test"

Answer = Callable[[dict[str, Any]], Any]


@dataclass
class App:
    """The app's side: every payload it received, and how it answers."""

    received: list[dict[str, Any]] = field(default_factory=list)
    answer: Answer = lambda payload: None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        verified = SignatureVerifier(SECRET).is_valid_request(body, dict(request.headers))
        assert verified, "the playground must sign as Slack does"
        if request.content_type == "application/json":
            payload = json.loads(body)
        else:
            form = parse_qs(body.decode())
            payload = (
                json.loads(form["payload"][0])
                if "payload" in form
                else {k: v[0] for k, v in form.items()}
            )
        self.received.append(payload)
        answer = self.answer(payload)
        if answer is None:
            return web.Response(text="")
        return web.json_response(answer)


@dataclass
class Side:
    playground: Playground
    app: App
    http: httpx.AsyncClient

    def open_modal(self, view: dict[str, Any], user: str = "U0ANA") -> str:
        """A modal open for `user`, as if the app had called views.open."""
        self.playground._acting = user
        trigger = self.playground.new_trigger_id()
        response = self.playground._views_open({"trigger_id": trigger, "view": view})
        return str(response["view"]["id"])

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.http.post(path, json={"user": "U0ANA", **body})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
async def side() -> AsyncIterator[Side]:
    app = App()
    web_app = web.Application()
    web_app.router.add_post("/slack/events", app.handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    playground = Playground(signing_secret=SECRET, bot_token=TOKEN)
    await playground.start()
    playground.request_url = f"http://127.0.0.1:{port}/slack/events"
    try:
        async with httpx.AsyncClient(
            base_url=playground.base_url,
            cookies={playground.cookie_name: playground.token},
            timeout=10,
        ) as http:
            yield Side(playground=playground, app=app, http=http)
    finally:
        await playground.stop()
        await runner.cleanup()


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def modal(title: str, *, notify_on_close: bool = False) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": plain(title),
        "submit": plain("Next"),
        "notify_on_close": notify_on_close,
        "blocks": [
            {
                "type": "input",
                "block_id": "supplier",
                "label": plain("Supplier"),
                "element": {
                    "type": "external_select",
                    "action_id": "supplier",
                    "min_query_length": 2,
                },
            }
        ],
    }


PICKED = {"text": plain("Pinecrest Facilities"), "value": "s1"}


async def test_an_external_select_asks_the_app_for_options(side: Side) -> None:
    view_id = side.open_modal(modal("New bill"))
    side.app.answer = lambda payload: {"options": [PICKED]}
    response = await side.http.get(
        "/ui/suggest",
        params={
            "user": "U0ANA",
            "view_id": view_id,
            "action_id": "supplier",
            "block_id": "supplier",
            "value": "pine",
        },
    )
    assert response.json() == {"options": [PICKED]}
    (sent,) = side.app.received
    assert sent["type"] == "block_suggestion"
    assert (sent["action_id"], sent["block_id"], sent["value"]) == ("supplier", "supplier", "pine")
    assert sent["view"]["id"] == view_id


async def test_a_submission_answered_with_push_stacks_a_modal_and_back_returns(
    side: Side,
) -> None:
    view_id = side.open_modal(modal("New bill"))
    side.app.answer = lambda payload: {"response_action": "push", "view": modal("Confirm")}
    assert await side.post("/ui/submit", view_id=view_id, values={"supplier": PICKED}) == {
        "ok": True
    }
    (submitted,) = side.app.received
    values = submitted["view"]["state"]["values"]
    assert values == {
        "supplier": {"supplier": {"type": "external_select", "selected_option": PICKED}}
    }
    state = (await side.http.get("/ui/state", params={"user": "U0ANA"})).json()
    assert "Confirm" in state["modal"]
    assert ">Back</button>" in state["modal"]
    await side.post("/ui/close")
    state = (await side.http.get("/ui/state", params={"user": "U0ANA"})).json()
    assert "New bill" in state["modal"]


async def test_a_submission_answered_with_clear_closes_every_modal(side: Side) -> None:
    side.open_modal(modal("New bill"))
    side.app.answer = lambda payload: {"response_action": "push", "view": modal("Confirm")}
    await side.post(
        "/ui/submit", view_id=side.playground.stacks["U0ANA"][-1], values={"supplier": PICKED}
    )
    side.app.answer = lambda payload: {"response_action": "clear"}
    await side.post(
        "/ui/submit", view_id=side.playground.stacks["U0ANA"][-1], values={"supplier": PICKED}
    )
    state = (await side.http.get("/ui/state", params={"user": "U0ANA"})).json()
    assert state["modal"] == ""


async def test_an_empty_required_field_is_refused_before_anything_is_sent(side: Side) -> None:
    view_id = side.open_modal(modal("New bill"))
    answer = await side.post("/ui/submit", view_id=view_id, values={"supplier": None})
    # Slack's own words on the field, as its client shows them; the app is not asked.
    assert list(answer["errors"].values()) == ["This field is required"]
    assert side.app.received == []


async def test_closing_a_modal_that_asks_for_it_sends_view_closed(side: Side) -> None:
    view_id = side.open_modal(modal("New bill", notify_on_close=True))
    await side.post("/ui/close")
    (closed,) = side.app.received
    assert closed["type"] == "view_closed"
    assert closed["view"]["id"] == view_id


async def test_an_answer_slack_would_reject_is_shown_with_the_reason(side: Side) -> None:
    view_id = side.open_modal(modal("New bill"))
    side.app.answer = lambda payload: {"response_action": "errors", "errors": {"nope": "Bad"}}
    answer = await side.post("/ui/submit", view_id=view_id, values={"supplier": PICKED})
    assert answer["problems"] == [
        "'nope' is not the block_id of an input block in the view"
        " [json-pointer:/payload/errors/nope]"
    ]
    state = (await side.http.get("/ui/state", params={"user": "U0ANA"})).json()
    assert "New bill" in state["modal"]  # not closed as if it had worked
    assert any("nope" in p for p in state["problems"])


async def test_a_slash_command_answered_in_the_ack_shows_only_to_its_author(side: Side) -> None:
    side.app.answer = lambda payload: {"text": "Only *you* see this"}
    await side.post("/ui/command", text="/billpay help")
    (sent,) = side.app.received
    assert (sent["command"], sent["text"], sent["channel_name"]) == ("/billpay", "help", "finance")
    ana = (await side.http.get("/ui/state", params={"user": "U0ANA"})).json()
    sam = (await side.http.get("/ui/state", params={"user": "U0SAM"})).json()
    assert "Only <strong>you</strong> see this" in ana["channel"]
    assert "Only visible to you" in ana["channel"]
    assert "see this" not in sam["channel"]


async def test_until_the_bot_listens_the_page_says_it_is_starting() -> None:
    playground = Playground(signing_secret=SECRET, bot_token=TOKEN)
    await playground.start()
    try:
        async with httpx.AsyncClient() as http:
            response = await http.get(playground.page_url)
        assert response.status_code == 503
        assert "Bill Pay is starting" in response.text
        assert '<meta http-equiv="refresh" content="1">' in response.text
    finally:
        await playground.stop()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Host": "rebound.example:3000"}, 403),
        ({"Content-Type": "text/plain"}, 415),
    ],
)
async def test_other_sites_cannot_act_through_the_page(
    side: Side, headers: dict[str, str], status: int
) -> None:
    body = json.dumps({"user": "U0ANA", "text": "/bills"})
    sent = {"Content-Type": "application/json", **headers}
    response = await side.http.post("/ui/command", content=body, headers=sent)
    assert response.status_code == status
    assert side.app.received == []
