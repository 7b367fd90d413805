"""The sandbox on a thread of its own: its event loop (`OwnLoop`) and an httpx transport that
hands each request to it (`ThreadedTransport`).

In-process, the sandbox would otherwise share the event loop of the program that calls it, so
its work (a page of 50,000 bills, a webhook delivery, a slow SQLite write) would hold up that
program's own work, such as a bot acknowledging Slack within three seconds. On its own loop it
answers as a server on another machine would: the caller awaits a future and keeps serving.
The sandbox's database engine is bound to the loop it first ran on, so everything that touches
it runs there (`OwnLoop.run`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

Result = TypeVar("Result")


class OwnLoop:
    """An event loop running on a daemon thread until `close()`."""

    def __init__(self, name: str = "payables-sandbox") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def here(self) -> bool:
        """True when called on this loop's thread."""
        return threading.current_thread() is self._thread

    async def run(self, work: Coroutine[Any, Any, Result]) -> Result:
        """Run `work` on this loop and wait for it without blocking the caller's loop. If the
        caller is cancelled, so is the work."""
        if self.here():
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    def run_blocking(self, work: Coroutine[Any, Any, Result]) -> Result:
        """Run `work` on this loop from code that is not async (a CLI, a fixture's teardown)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def close(self) -> None:
        """Stop the loop once its current callbacks ran, and wait for the thread."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


class ThreadedTransport(httpx.AsyncBaseTransport):
    """Serves `app` to an httpx client on `own`'s loop: the request (body read here) goes to the
    app there, and the whole answer comes back. App exceptions arrive as 500 answers, as they
    would over the network."""

    def __init__(self, app: ASGIApp, own: OwnLoop) -> None:
        self.own = own
        self.inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        status, headers, content = await self.own.run(self._answer(copy))
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def _answer(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        return response.status_code, response.headers.raw, content


def on_own_loop(
    method: Callable[..., Awaitable[Result]],
) -> Callable[..., Coroutine[Any, Any, Result]]:
    """Make an async method of an object with an `own_loop` (an `OwnLoop` or None) run on that
    loop when there is one, from whichever loop it is awaited on."""

    async def run(self: Any, *args: Any, **kwargs: Any) -> Result:
        own: OwnLoop | None = self.own_loop

        async def work() -> Result:
            return await method(self, *args, **kwargs)

        if own is None:
            return await work()
        return await own.run(work())

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run
