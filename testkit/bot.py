"""The whole bot under test: the real ASGI app, Slack faked by `FakeSlack`, the payables
sandbox in-process and the bot's database migrated per test.

Requests reach the bot as Slack sends them (signed, over HTTP); what the bot sends to Slack is
recorded and validated by the fake. `in_process_bot` calls the app through
`httpx.ASGITransport`, in the test's event loop; `running_bot` serves it with uvicorn on a free
port, for what needs a real socket (a page or a process that calls the bot's URL).

Either way, when the block ends the bot's listener runs still going (Bolt runs them after the
ack) are waited for (`SETTLE_SECONDS` at most), so what a test started does not reach Slack or
the databases after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from billpay.core.clock import utcnow
from billpay.payables.client import PayablesClient, RetryPolicy
from billpay.runtime.web import create_web_app
from billpay.services import Services, build_services
from billpay.slack.app import listeners_settled
from billpay.slack.blocks.ids import Callback
from billpay.store.db import Database
from billpay.store.models import CaseState
from payables_sandbox.app import Sandbox
from slack_playground import Call, FakeSlack, SignedRequest, SlackRequests
from testkit.payables import (
    SANDBOX_KEY,
    SANDBOX_URL,
    CountingTransport,
    PayablesGate,
    SleepRecorder,
    client_for,
)
from testkit.world import CHANNEL, NOW, bot_settings

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
# The app's OAuth credentials, for a bot serving many workspaces (`oauth_bot`).
CLIENT_ID = "17653672481.19874698324"
CLIENT_SECRET = "3ad4c8a7e5f60b1c2d3e4f5a6b7c8d9e"
STATE_SECRET = "5e1f0c2b8a9d4e7f6a3b2c1d0e9f8a7b6c5d4e3f"


@dataclass
class Bot:
    url: str
    http: httpx.AsyncClient
    slack: FakeSlack
    requests: SlackRequests
    sandbox: Sandbox
    services: Services
    payables_transport: CountingTransport

    def hold_payables(
        self, where: Callable[[httpx.Request], bool] = lambda request: True
    ) -> PayablesGate:
        """From now on the payables API's answers to requests `where` accepts wait at a gate
        until the test releases them or takes the API down (`PayablesGate`)."""
        gate = PayablesGate(self.payables_transport.inner, where)
        self.payables_transport.inner = gate
        return gate

    async def send(self, request: SignedRequest) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/slack/events", content=request.body, headers=request.headers
        )

    async def command(self, command: str, text: str = "", *, user: str) -> httpx.Response:
        response = await self.send(self.requests.command(command, text, user_id=user))
        assert response.status_code == 200, response.text
        return response

    async def bills(self, text: str = "", *, user: str) -> dict[str, Any]:
        """Run `/bills` and return the message it posted (as the fake stores it)."""
        earlier = {id(c) for c in self.slack.calls_to("chat.postMessage")}
        await self.command("/bills", text, user=user)
        # A line in an earlier card's thread may be posted meanwhile: the listing is not a reply.
        (call, *_) = await self.slack.wait_for(
            "chat.postMessage",
            where=lambda c: id(c) not in earlier and not c.args.get("thread_ts"),
        )
        assert call.ok, call.response
        ts = call.response["ts"]
        # The bot records the message just after Slack answers; clicks need that record.
        for _ in range(500):
            if await self.services.messages.get(CHANNEL, ts) is not None:
                break
            await asyncio.sleep(0.01)
        return self.slack.message(CHANNEL, ts)

    def message(self, ts: str) -> dict[str, Any]:
        return self.slack.message(CHANNEL, ts)

    async def click(
        self, message: dict[str, Any], action_id: str, bill_id: str, *, user: str
    ) -> httpx.Response:
        request = self.requests.click(
            message, action_id, user_id=user, block_id_prefix=f"card_actions:{bill_id}"
        )
        response = await self.send(request)
        assert response.status_code == 200, response.text
        return response

    async def submit(
        self, view: dict[str, Any], inputs: dict[str, Any] | None = None, *, user: str
    ) -> dict[str, Any]:
        """Submit a modal; returns the bot's ack body (`response_action`...), or {}."""
        response = await self.send(self.requests.view_submission(view, inputs, user_id=user))
        assert response.status_code == 200, response.text
        return json.loads(response.text) if response.text.strip() else {}

    async def modal(self, before: int) -> dict[str, Any]:
        """The modal the bot opened after the first `before` calls to views.open, once it
        shows what the bot opened it for: a loading modal (opened at once, while the payables
        API is read) is waited out until `views.update` puts the modal, or the reason there is
        none, in its place. Returns a copy of the view as Slack then stores it."""
        (call, *_) = (await self.slack.wait_for("views.open", count=before + 1))[before:]
        assert call.ok, call.response
        view_id = call.response["view"]["id"]
        if call.args["view"].get("callback_id") == Callback.LOADING:
            await self.slack.wait_for(
                "views.update", where=lambda c: c.ok and c.args.get("view_id") == view_id
            )
        return copy.deepcopy(self.slack.views[view_id])

    async def wait_for_card(self, ts: str, bill_id: str, text: str) -> dict[str, Any]:
        """Wait until an update of message `ts` shows `text` on the card of `bill_id`; returns
        the message as Slack now stores it."""
        await self.slack.wait_for(
            "chat.update",
            where=lambda call: (
                call.ok and call.args.get("ts") == ts and text in card_text(call.args, bill_id)
            ),
        )
        return self.message(ts)

    async def case_state(self, bill_id: str) -> CaseState:
        link = await self.services.links.link_for("T0001", CHANNEL)
        (view,) = await self.services.cases.case_views(link.id, [bill_id])
        return view.state


def replica_of(bot: Bot, now: datetime) -> Services:
    """Another replica of the bot in this process, its clock at `now`: the same database,
    payables client, settings and Slack, but its own services, claimant (`Services.claimant`)
    and clock. A test lets it claim work and never do it, as a replica that died would."""
    services = bot.services
    return build_services(
        services.settings, db=services.db, payables=services.payables, clock=lambda: now
    )


def shows_result(call: Call) -> bool:
    """Is this `views.update` a modal's result (a payment recorded, why it failed), rather than
    a form put in the place of its loading modal?"""
    view = call.args.get("view")
    return isinstance(view, dict) and view.get("callback_id") == Callback.RESULT


def card_text(message: dict[str, Any], bill_id: str) -> str:
    """Everything the card of `bill_id` shows, as one string."""
    parts = []
    for block in message["blocks"]:
        if str(block.get("block_id", "")).endswith(f":{bill_id}"):
            parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


def card_actions(message: dict[str, Any], bill_id: str) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block.get("block_id") == f"card_actions:{bill_id}"
        for element in block["elements"]
    ]


def bill_ids(message: dict[str, Any]) -> list[str]:
    return [
        block["block_id"].split(":", 1)[1]
        for block in message["blocks"]
        if str(block.get("block_id", "")).startswith("card:")
    ]


# How long the end of a test waits for the listener runs it started; longer would be a listener
# stuck on something, which the closing event loop then cancels.
SETTLE_SECONDS = 10.0
# The bot's address when its app is called in process: no server answers there.
IN_PROCESS_URL = "http://bot.test"


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def settle_listeners() -> None:
    """Wait for the listener runs started so far, for `SETTLE_SECONDS` at most."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_SECONDS):
            await listeners_settled()


@contextlib.asynccontextmanager
async def _bot(
    sandbox: Sandbox,
    bot_db: Database,
    slack: FakeSlack,
    settings: dict[str, Any],
    *,
    socket: bool,
    wall_clock: bool = False,
    oauth: bool = False,
) -> AsyncIterator[Bot]:
    if oauth:
        # Many workspaces: each installs the app through OAuth; no bot token is configured.
        slack.oauth_app(CLIENT_ID, CLIENT_SECRET)
        slack_settings: dict[str, Any] = {
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": CLIENT_SECRET,
            "slack_state_secret": STATE_SECRET,
            "slack_redirect_uri": f"{IN_PROCESS_URL}/slack/oauth_redirect",
        }
    else:
        slack_settings = {"slack_bot_token": BOT_TOKEN}
    config = bot_settings(
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        **slack_settings,
        **settings,
    )
    transport = CountingTransport(sandbox.transport())
    if wall_clock:
        # Time passes as it does in production: retries wait, and so does a person.
        payables = PayablesClient(
            base_url=SANDBOX_URL, api_key=SANDBOX_KEY, transport=transport, retry=RetryPolicy()
        )
        services = build_services(config, db=bot_db, payables=payables, clock=utcnow)
    else:
        payables = client_for(transport, SleepRecorder())
        services = build_services(config, db=bot_db, payables=payables, clock=lambda: NOW)
    slack.bot_token = BOT_TOKEN
    web = create_web_app(services)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if socket:
                url = await stack.enter_async_context(serve(web))
                http = httpx.AsyncClient(timeout=30)
            else:
                # As uvicorn does, an exception escaping the app is answered 500, not raised.
                url = IN_PROCESS_URL
                app = httpx.ASGITransport(app=web, raise_app_exceptions=False)
                http = httpx.AsyncClient(transport=app, timeout=30)
            await stack.enter_async_context(http)
            stack.push_async_callback(settle_listeners)
            yield Bot(
                url=url,
                http=http,
                slack=slack,
                requests=SlackRequests(SIGNING_SECRET, slack),
                sandbox=sandbox,
                services=services,
                payables_transport=transport,
            )
    finally:
        # As the host's shutdown does: background syncs of the mirror (a fill started by the
        # link) are cancelled, not left running against closed clients.
        await services.mirror.aclose()
        await payables.aclose()


def in_process_bot(
    sandbox: Sandbox, bot_db: Database, slack: FakeSlack, **settings: Any
) -> contextlib.AbstractAsyncContextManager[Bot]:
    """The bot's web app called in process: `Bot.url` is `http://bot.test`, reached only
    through `Bot.http`."""
    return _bot(sandbox, bot_db, slack, settings, socket=False)


def oauth_bot(
    sandbox: Sandbox, bot_db: Database, slack: FakeSlack, **settings: Any
) -> contextlib.AbstractAsyncContextManager[Bot]:
    """`in_process_bot` serving many workspaces: none is installed until it goes through
    `/slack/install` (`testkit.installs.install`)."""
    return _bot(sandbox, bot_db, slack, settings, socket=False, oauth=True)


def running_bot(
    sandbox: Sandbox,
    bot_db: Database,
    slack: FakeSlack,
    *,
    wall_clock: bool = False,
    **settings: Any,
) -> contextlib.AbstractAsyncContextManager[Bot]:
    """The bot's web app served by uvicorn on a free port of 127.0.0.1: `Bot.url` is real.
    With `wall_clock`, the bot reads the wall clock and its payables retries really wait, as
    in production (benchmarks); otherwise its clock stands at `NOW` and waits are recorded."""
    return _bot(sandbox, bot_db, slack, settings, socket=True, wall_clock=wall_clock)
