"""The Socket Mode side of the fake Slack: the websocket an app connects to.

`SocketModeFake` owns `/socket` on `FakeSlack`'s server. `apps.connections.open` hands out
single-use `ws://127.0.0.1:PORT/socket?ticket=...` URLs; on connect the fake sends Slack's
`hello`, then the caller pushes envelopes (`slash_commands`, `interactive`, `events_api`) with
`send()` and gets the app's acknowledgement back. Pings are answered by aiohttp. Payloads in
acks (a slash command's reply, a view_submission's `response_action`) are checked with
`slack_playground.blockkit.validate_ack` and land in `FakeSlack.problems` when Slack would reject
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from slack_playground.blockkit import validate_ack
from slack_playground.webapi.state import SlackState

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


class SocketModeFake:
    """Socket Mode for one app. Get it from `FakeSlack.enable_socket_mode()`."""

    def __init__(self, slack: SlackState) -> None:
        self.slack = slack
        self.sent: list[dict[str, Any]] = []  # envelopes sent to the app
        self.received: list[dict[str, Any]] = []  # every message the app sent
        self.connection_count = 0  # websockets accepted so far
        self._tickets: set[str] = set()
        self._open: list[web.WebSocketResponse] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._envelopes: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._seq = 0
        self._closing = False

    # -- connection ------------------------------------------------------------------------

    def new_url(self) -> str:
        """A fresh websocket URL, as `apps.connections.open` returns it."""
        ticket = self._next_uuid()
        self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.slack.port}/socket?ticket={ticket}&app_id={self.slack.app_id}"

    @property
    def is_connected(self) -> bool:
        return any(not ws.closed for ws in self._open)

    async def connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the app holds an open connection (and has been sent `hello`)."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.is_connected)
        except TimeoutError:
            opened = len(self.slack.calls_to("apps.connections.open"))
            raise AssertionError(
                f"no Socket Mode connection within {timeout}s "
                f"(apps.connections.open called {opened} time(s))"
            ) from None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self._closing:  # an app reconnecting while the fake shuts down
            return web.Response(status=503, text="shutting down")
        if ticket not in self._tickets:
            self.slack.problems.append(f"socket: connection with unknown or used ticket {ticket!r}")
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        self._open.append(ws)
        self.connection_count += 1
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._open),
                    "debug_info": {
                        "host": "applink-fake-1",
                        "build_number": 118,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.slack.app_id},
                }
            )
            await self._notify()
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(message.data)
        finally:
            self._open.remove(ws)
            await self._notify()
        return ws

    async def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.slack.problems.append(f"socket: message is not JSON: {data[:200]!r}")
            return
        if not isinstance(message, dict):
            self.slack.problems.append(f"socket: message is not an object: {data[:200]!r}")
            return
        self.received.append(message)
        envelope_id = message.get("envelope_id")
        future = self._pending.pop(str(envelope_id), None)
        envelope = self._envelopes.pop(str(envelope_id), None)
        if future is None or envelope is None:
            self.slack.problems.append(f"socket: ack for unknown envelope {envelope_id!r}")
        else:
            problems = validate_ack(envelope["payload"], message.get("payload"))
            self.slack.problems += [f"socket ack: {p}" for p in problems]
            if not future.done():
                future.set_result(message)
        await self._notify()

    # -- sending ---------------------------------------------------------------------------

    async def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Push an envelope to the app and return its ack (`{"envelope_id", "payload"?}`).

        `accepts_response_payload` defaults to what Slack sends: true for slash commands and
        interactions, false for events.
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        await self.connected(timeout)
        ws = next(ws for ws in reversed(self._open) if not ws.closed)
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope: dict[str, Any] = {
            "envelope_id": self._next_uuid(),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope["envelope_id"]] = future
        self._envelopes[envelope["envelope_id"]] = envelope
        self.sent.append(envelope)
        await ws.send_json(envelope)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            self._pending.pop(envelope["envelope_id"], None)
            self._envelopes.pop(envelope["envelope_id"], None)
            raise AssertionError(
                f"the app did not ack the {envelope_type} envelope within {timeout}s"
            ) from None

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does before recycling a connection."""
        for ws in list(self._open):
            if not ws.closed:
                await ws.send_json(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "applink-fake-1"},
                    }
                )

    async def close(self) -> None:
        """Close every open connection and stop accepting new ones."""
        self._closing = True
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        for ws in list(self._open):
            with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

    # -- internals -------------------------------------------------------------------------

    def _next_uuid(self) -> str:
        self._seq += 1
        return str(uuid.UUID(int=self._seq, version=4))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
