"""One process host: starts and stops everything the bot runs, in order.

Start: the services (payables backend, database), the Bolt app, the scheduler, the HTTP server
(Slack's request URL in HTTP mode; `/healthz` and Codat's webhooks, `/webhooks/codat`, in
both modes) and, in Socket
Mode, the connection to Slack. Stop (Ctrl-C, SIGTERM): no new requests or jobs are taken, running
listeners, jobs and payments are waited for, then everything is closed in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Literal

import uvicorn

from billpay.config import Settings
from billpay.runtime import collector
from billpay.runtime.scheduler import Scheduler
from billpay.runtime.web import create_web_app
from billpay.services import Services
from billpay.slack.app import create_app, listeners_settled
from billpay.slack.returning import come_back

log = logging.getLogger(__name__)

Mode = Literal["socket", "http", "playground"]
SHUTDOWN_GRACE_SECONDS = 30.0


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the host stops it, after the rest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Host:
    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        mode: Mode,
        announce: Callable[[str], None],
        on_listening: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """`on_listening(base_url)` runs once the HTTP server listens (the playground learns
        the bot's request URL from it)."""
        self.settings = settings
        self.on_listening = on_listening
        self.services = services
        self.mode = mode
        self.announce = announce
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        app = create_app(self.services)
        scheduler = Scheduler(self.services)
        web = create_web_app(self.services, app, slack_requests=self.mode != "socket")
        server = _QuietServer(
            uvicorn.Config(
                web,
                host=self.settings.host,
                port=self.settings.port,
                # In the playground this server is internal: the page is the address to open.
                log_level="warning"
                if self.mode == "playground"
                else self.settings.log_level.lower(),
                proxy_headers=True,
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        serving = asyncio.create_task(server.serve(), name="http")
        socket_handler = None
        try:
            back = await come_back(self.services)
            if back:
                self.announce(back)
            await scheduler.start()
            listening = await _listening(server, serving)
            collector.started()
            backend = self.services.backend
            if backend is not None and backend.listening is not None:
                backend.listening(listening)  # the embedded sandbox's webhooks come here
            if self.on_listening is not None:
                await self.on_listening(listening)
            if self.mode == "socket":
                from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

                assert self.settings.slack_app_token is not None
                socket_handler = AsyncSocketModeHandler(
                    app, self.settings.slack_app_token.get_secret_value()
                )
                await socket_handler.connect_async()
                self.announce(
                    "Connected to Slack in Socket Mode "
                    f"(health at http://{self.settings.host}:{self.settings.port}/healthz). "
                    "Ctrl+C stops the bot."
                )
            elif self.mode == "http":
                self.announce(
                    f"Serving Slack's requests at http://{self.settings.host}:"
                    f"{self.settings.port}/slack/events (point the app's request URLs there "
                    "through your HTTPS proxy). Ctrl+C stops the bot."
                )
            if self.settings.oauth and self.mode != "playground":
                self.announce(
                    "Many workspaces: each installs the app at https://<your host>/slack/install "
                    "(Slack sends people back to /slack/oauth_redirect)."
                )
            stop = asyncio.create_task(self.stopping.wait())
            await asyncio.wait({stop, serving}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
        finally:
            log.info("stopping: waiting for running work to finish")
            if socket_handler is not None:
                await socket_handler.close_async()
            await scheduler.shutdown()
            try:
                async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                    await listeners_settled()
                    if self.services.webhooks is not None:
                        await self.services.webhooks.settled()
            except TimeoutError:
                log.warning("stopped with listeners still running")
            server.should_exit = True
            await serving
            await self.services.aclose()


async def _listening(server: uvicorn.Server, serving: asyncio.Task[None]) -> str:
    """The server's base URL, once it listens (its port may have been chosen by the system)."""
    while not server.started:
        if serving.done():
            serving.result()  # it failed to start: raise why
            raise RuntimeError("the HTTP server stopped before it listened")
        await asyncio.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"
