"""A Bolt app against the stand-in, end to end: over Socket Mode (`socket_mode`), a slash
command sent in an envelope and acknowledged; over HTTP, a signed click dispatched to the app,
which answers through the `response_url` (`webapi.response_urls`), and a forged one refused."""

from __future__ import annotations

from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from slack_playground import FakeSlack, SlackRequests
from tests.slack_playground.payloads import APP_TOKEN, BOT_TOKEN, CHANNEL, SECRET, bill_card


def bolt_app(slack: FakeSlack) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN),
    )

    @app.command("/ping")
    async def ping(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text="pong")

    @app.action("approve")
    async def approve(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text=f"Approved {body['actions'][0]['value']}")

    return app


async def test_bolt_over_socket_mode(slack: FakeSlack, inbound: SlackRequests) -> None:
    socket = slack.enable_socket_mode()
    handler = AsyncSocketModeHandler(bolt_app(slack), APP_TOKEN)
    await handler.connect_async()
    try:
        await socket.connected()
        assert slack.calls_to("apps.connections.open")[0].token == APP_TOKEN

        ack = await socket.send("slash_commands", inbound.command_payload(command="/ping"))

        assert ack["envelope_id"] == socket.sent[0]["envelope_id"]
        calls = await slack.wait_for("chat.postMessage")
        assert (calls[0].args["channel"], calls[0].args["text"]) == ("C0FIN", "pong")
    finally:
        await handler.close_async()
    assert "auth.test" in slack.methods()


async def test_bolt_over_http_with_a_signed_click(
    slack: FakeSlack, client: AsyncWebClient, inbound: SlackRequests
) -> None:
    app = bolt_app(slack)
    posted = await client.chat_postMessage(channel=CHANNEL, text="bill", blocks=bill_card())
    signed = inbound.click(posted["message"], "approve")

    response = await app.async_dispatch(AsyncBoltRequest(body=signed.text, headers=signed.headers))
    assert response.status == 200
    await slack.wait_for_responses()
    assert slack.messages[(CHANNEL, posted["ts"])]["text"] == "Approved bill-1"

    forged = signed.tampered()
    response = await app.async_dispatch(AsyncBoltRequest(body=forged.text, headers=forged.headers))
    assert response.status == 401
