"""The playground's page driven over HTTP as its script drives it, for tests that hold only the
address `billpay run` printed (the playground in a process of its own, or inside the command's
own function): open it with its token, type commands, press a card's buttons, submit a modal,
and read what the page shows (`/ui/state`, HTML as the page draws it).

    async with PageClient.opened(url) as page:
        ts, bill_id = await page.card("BW-88213")
        await page.press(ts, bill_id, "bill_approve", user="U0ANA")
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

WAIT_SECONDS = 30.0  # how long a step may take before the test gives up on it
_MESSAGE = re.compile(r'<article class="message[^"]*" data-ts="([^"]+)"')
_CARD = re.compile(r'data-block="card:([^"]+)"')


@dataclass
class PageClient:
    http: httpx.AsyncClient

    @classmethod
    @contextlib.asynccontextmanager
    async def opened(cls, url: str) -> AsyncIterator[PageClient]:
        """The page opened at `url` (its token included), as a browser opens it: the answer
        sets the cookie the page's own requests then carry. Waits until the channel is linked
        (the page links it on first open)."""
        base = url.split("/?", 1)[0]
        async with httpx.AsyncClient(base_url=base, timeout=WAIT_SECONDS) as http:
            page = cls(http)
            for _ in range(int(WAIT_SECONDS / 0.05)):
                opened = await http.get(url)
                if opened.status_code != 503:  # 503: the bot is still starting
                    break
                await asyncio.sleep(0.05)
            assert opened.status_code == 200, opened.text
            await page.wait_for(lambda state: "linked this channel" in state["channel"])
            yield page

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.http.post(path, json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def state(self, user: str = "U0ANA") -> dict[str, Any]:
        response = await self.http.get("/ui/state", params={"user": user})
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    async def wait_for(
        self, shows: Callable[[dict[str, Any]], bool], user: str = "U0ANA"
    ) -> dict[str, Any]:
        """The page's state for `user` once `shows(state)` holds."""
        state: dict[str, Any] = {}
        for _ in range(int(WAIT_SECONDS / 0.05)):
            state = await self.state(user)
            if shows(state):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"the page never showed it: {state}")

    async def card(self, reference: str, user: str = "U0ANA") -> tuple[str, str]:
        """Run `/bills` and return the new message's ts and the id of the bill `reference`."""
        before = len(_MESSAGE.findall((await self.state(user))["channel"]))
        assert await self.post("/ui/command", user=user, text="/bills") == {"ok": True}
        state = await self.wait_for(
            lambda s: len(_MESSAGE.findall(s["channel"])) > before and reference in s["channel"],
            user,
        )
        newest = state["channel"].rsplit("<article ", 1)[1]
        ts = _MESSAGE.search("<article " + newest)
        assert ts is not None
        cards = _CARD.split(newest)  # text, id, its card's markup, id, ...
        bill_id = next(cards[i] for i in range(1, len(cards), 2) if reference in cards[i + 1])
        return ts.group(1), bill_id

    async def press(self, ts: str, bill_id: str, action_id: str, *, user: str) -> None:
        answer = await self.post(
            "/ui/action",
            user=user,
            ts=ts,
            action_id=action_id,
            block_id=f"card_actions:{bill_id}",
        )
        assert answer == {"ok": True}, answer

    async def submit_modal(self, values: dict[str, Any], *, user: str) -> dict[str, Any]:
        """Submit the modal open for `user` (waiting for it to open with its submit button,
        past any loading view) with `values`."""
        state = await self.wait_for(
            lambda s: bool(s["modal_key"]) and 'type="submit"' in s["modal"], user
        )
        view_id = state["modal_key"].split(":", 1)[0]
        return await self.post("/ui/submit", user=user, view_id=view_id, values=values)
