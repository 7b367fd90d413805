"""The playground's token: every request must carry it (the page's address, then its cookie;
the bot's Web API calls carry the run's bot token instead), or it is refused with 403 before it
reaches anything. Driven over real HTTP against the real bot and payables sandbox, and through
a TCP forward to the playground's port (as `ssh -L`, socat or a published container port make),
whose client says `Host: 127.0.0.1`: the Host check alone let such a client approve and pay."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from billpay.slack.blocks.ids import Action, Input, card_actions_block
from billpay.store.db import Database
from billpay.store.models import CaseState
from payables_sandbox.app import Sandbox
from slack_playground.page import APPROVERS, CHANNEL, PAYERS, Playground
from testkit.bot import BOT_TOKEN, SIGNING_SECRET, Bot, running_bot
from testkit.profiles import examples
from testkit.world import sandbox_payments

ANA, SAM = "U0ANA", "U0SAM"
REFUSED = "This playground answers only requests that carry its token."


@contextlib.asynccontextmanager
async def forward_to(port: int) -> AsyncIterator[int]:
    """A TCP forward to 127.0.0.1:`port` on a port of its own: bytes in, bytes out, nothing
    read or changed, as `ssh -L` or socat would do."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(connect, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


@dataclass
class Forwarded:
    playground: Playground
    bot: Bot
    forward_url: str  # the forwarded port: what a client behind the forward reaches

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A client behind the forward, which says it is at 127.0.0.1 (the Host check's
        answer)."""
        return httpx.AsyncClient(
            base_url=self.forward_url, headers={"Host": "127.0.0.1"}, timeout=30, **kwargs
        )


@pytest.fixture
async def forwarded(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Forwarded]:
    playground = Playground(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await playground.start()
    try:
        async with (
            running_bot(sandbox, bot_db, playground, approvers=APPROVERS, payers=PAYERS) as bot,
            forward_to(playground.port) as port,
        ):
            playground.request_url = f"{bot.url}/slack/events"
            yield Forwarded(playground, bot, f"http://127.0.0.1:{port}")
    finally:
        await playground.stop()


async def post(http: httpx.AsyncClient, path: str, **body: Any) -> httpx.Response:
    return await http.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


async def bills_card(side: Forwarded, http: httpx.AsyncClient, reference: str) -> tuple[str, str]:
    """Run `/bills` from the page; the message's ts and the id of the bill `reference`."""
    before = len(side.playground.calls_to("chat.postMessage"))
    assert (await post(http, "/ui/command", user=ANA, text="/bills")).status_code == 200
    (call, *_) = (await side.playground.wait_for("chat.postMessage", count=before + 1))[before:]
    ts = str(call.response["ts"])
    for _ in range(500):  # clicks need the bot's record of the message
        if await side.bot.services.messages.get(CHANNEL, ts) is not None:
            break
        await asyncio.sleep(0.01)
    message = side.playground.message(CHANNEL, ts)
    bill_id = next(
        str(block["block_id"]).split(":", 1)[1]
        for block in message["blocks"]
        if reference in str(block.get("text", ""))
    )
    return ts, bill_id


async def test_through_a_forwarded_port_nothing_is_approved_or_paid_without_the_token(
    forwarded: Forwarded,
) -> None:
    playground, bot = forwarded.playground, forwarded.bot
    # The person, with the address the command printed.
    async with forwarded.client() as person:
        opened = await person.get(playground.page_url.removeprefix(playground.base_url))
        assert opened.status_code == 200
        assert person.cookies.get(playground.cookie_name) == playground.token
        await playground.wait_for_responses()  # the channel gets linked on first open
        ts, bill_id = await bills_card(forwarded, person, "BW-88213")

    # Someone else who reached the port, saying Host: 127.0.0.1, without the token or with
    # another one: refused, whatever they ask for.
    for stranger_kwargs in ({}, {"cookies": {playground.cookie_name: "guessed"}}):
        async with forwarded.client(**stranger_kwargs) as stranger:
            card = {"ts": ts, "block_id": card_actions_block(bill_id)}
            attempts = [
                await stranger.get("/"),
                await stranger.get("/?token=guessed"),
                await stranger.get("/ui/state", params={"user": ANA}),
                await stranger.get("/ui/events"),
                await post(stranger, "/ui/action", user=ANA, action_id=Action.APPROVE, **card),
                await post(stranger, "/ui/action", user=SAM, action_id=Action.PAY, **card),
                await post(stranger, "/ui/command", user=SAM, text="/bills"),
                await stranger.post("/api/chat.postMessage", data={"channel": CHANNEL}),
            ]
        assert [r.status_code for r in attempts] == [403] * len(attempts)
        assert all(REFUSED in r.text for r in attempts)
    # The bot heard of none of it: nothing approved, no payment form, nothing paid.
    assert await bot.case_state(bill_id) == CaseState.PENDING
    assert playground.calls_to("views.open") == []
    assert await sandbox_payments(bot.sandbox, bill_id) == 0

    # With the token (its cookie), through the same forward: Ana approves, Sam pays.
    async with forwarded.client(cookies={playground.cookie_name: playground.token}) as person:
        card = {"ts": ts, "block_id": card_actions_block(bill_id)}
        approved = await post(person, "/ui/action", user=ANA, action_id=Action.APPROVE, **card)
        assert approved.status_code == 200
        await bot.wait_for_card(ts, bill_id, "Approved")
        assert (
            await post(person, "/ui/action", user=SAM, action_id=Action.PAY, **card)
        ).status_code == 200
        await bot.modal(0)  # loading, then the form in its place
        (view_id,) = playground.stacks[SAM]
        paid = await post(
            person, "/ui/submit", user=SAM, view_id=view_id, values={Input.PAY_AMOUNT: "432.98"}
        )
        assert paid.json() == {"ok": True}
    await bot.wait_for_card(ts, bill_id, "paid in full")
    assert await sandbox_payments(bot.sandbox, bill_id) == 1


async def test_the_web_api_answers_the_bot_token_and_issued_urls_carry_the_token(
    forwarded: Forwarded,
) -> None:
    playground = forwarded.playground
    async with forwarded.client() as stranger:
        assert (await stranger.post("/api/auth.test")).status_code == 403
        bearer = {"Authorization": "Bearer xoxb-guessed"}
        assert (await stranger.post("/api/auth.test", headers=bearer)).status_code == 403
        # The bot token opens the Web API and files, not the page.
        bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
        assert (await stranger.get("/ui/state", headers=bot)).status_code == 403
        assert (await stranger.post("/api/auth.test", headers=bot)).json()["ok"] is True
    client = AsyncWebClient(token=BOT_TOKEN, base_url=playground.api_url)
    assert (await client.auth_test())["ok"] is True  # slack_sdk, as the bot calls it

    url = playground.new_response_url(channel_id=CHANNEL, user_id=ANA)
    assert url.endswith(f"?token={playground.token}")
    async with httpx.AsyncClient() as http:
        bare = url.split("?", 1)[0]
        assert (await http.post(bare, json={"text": "hi"})).status_code == 403
        assert (await http.post(url, json={"text": "hi"})).status_code == 200


@pytest.fixture
async def alone() -> AsyncIterator[Playground]:
    """The playground without a bot: its own answers are all there is to see."""
    playground = Playground(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await playground.start()
    try:
        yield playground
    finally:
        await playground.stop()


async def test_the_page_address_sets_a_cookie_only_the_page_can_use(alone: Playground) -> None:
    async with httpx.AsyncClient(base_url=alone.base_url) as http:
        opened = await http.get(alone.page_url.removeprefix(alone.base_url))
        assert opened.status_code == 503  # no bot yet: the page says it is starting
        cookie = opened.headers["Set-Cookie"]
        assert cookie.startswith(f"{alone.cookie_name}={alone.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert opened.headers["Referrer-Policy"] == "no-referrer"
        # The cookie alone is enough from then on (the page's own requests, a reload).
        assert (await http.get("/ui/state", params={"user": ANA})).status_code == 200
        # A wrong token in the address is refused even with the right cookie.
        assert (await http.get("/ui/state", params={"token": "old"})).status_code == 403


async def test_each_start_makes_a_new_token() -> None:
    tokens = set()
    for _ in range(2):
        playground = Playground(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
        tokens.add(playground.token)
        assert len(playground.token) >= 40  # 32 random bytes, URL-safe
    assert len(tokens) == 2


def near_misses(token: str) -> list[str]:
    return ["", token[:-1], token + "x", token.swapcase(), f" {token}", token[::-1]]


async def refused_everywhere(playground: Playground, guess: str, *, query: bool) -> None:
    """`guess` as the token in the address (when `query`), in the cookie and as a bearer of
    a Web API call: each refused with the plain answer, never an error of ours."""
    async with httpx.AsyncClient(base_url=playground.base_url) as http:
        answers = []
        if query:
            answers.append(await http.get("/ui/state", params={"user": ANA, "token": guess}))
        # What a header can carry (HTTP clients refuse the rest before sending).
        header = guess.isascii() and guess.isprintable() and guess == guess.strip()
        if header and guess and not set(guess) & set(';,"\\'):
            cookie = {"Cookie": f"{playground.cookie_name}={guess}"}
            answers.append(await http.get("/ui/state", headers=cookie))
            bearer = {"Authorization": f"Bearer {guess}"}
            answers.append(await http.post("/api/auth.test", headers=bearer))
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert REFUSED in answer.text


async def test_a_token_nearly_right_is_refused(alone: Playground) -> None:
    for guess in near_misses(alone.token) + near_misses(BOT_TOKEN)[1:]:
        await refused_everywhere(alone, guess, query=True)


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(guess=st.text(st.characters(exclude_categories=("Cs",)), max_size=80))
async def test_any_other_token_is_refused_plainly(alone: Playground, guess: str) -> None:
    """Whatever someone sends as the token (any text, any length): 403 with the plain
    answer."""
    await refused_everywhere(alone, guess, query=True)
