"""Serve an ASGI application over real HTTP for the duration of a test.

``serve_asgi(app)`` runs uvicorn on an ephemeral 127.0.0.1 port in a background thread,
waits until the server (and the application's lifespan startup) is up, yields the base
URL, and shuts the server down cleanly afterwards. Clients that need a real socket, such
as generated SDKs with their own HTTP stack, can then talk to an in-process app.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
"""Any ASGI 3 application (a FastAPI or Starlette app, for instance)."""

_POLL_INTERVAL_S = 0.01


@contextmanager
def serve_asgi(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    startup_timeout: float = 15.0,
    shutdown_timeout: float = 15.0,
) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free port of ``host`` and yield its base URL.

    The listening socket is bound before the server starts, so the port is known up front
    and cannot be taken by anyone else in between. The lifespan protocol is required
    ("on"): if the application's startup fails, the server never reports itself started
    and this raises ``RuntimeError`` instead of yielding.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]

    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=max(1, int(shutdown_timeout) - 1),
    )
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the waiting thread below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(
                    f"ASGI server on {host}:{port} exited during startup"
                    " (see the log above for the lifespan error)"
                ) from (errors[0] if errors else None)
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"ASGI server on {host}:{port} did not start within {startup_timeout}s"
                )
            time.sleep(_POLL_INTERVAL_S)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=shutdown_timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"ASGI server on {host}:{port} did not shut down")
