"""The playground as a person starts it (`billpay run --playground` in its own process, on its
own databases) and a real browser (Debian's Chromium, driven by Playwright) to use it. The
page's address, token included, is read from the line the command prints, as a person reads it.

The browser tests are skipped, with the reason, only where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path(os.environ.get("BILLPAY_CHROMIUM", "/usr/bin/chromium"))
READY = "to try Bill Pay"
START_TIMEOUT_SECONDS = 60.0
PAGE_ADDRESS = re.compile(r"Open (http://127\.0\.0\.1:\d+/\?token=([A-Za-z0-9_-]+)) ")


@dataclass
class Running:
    url: str  # the address printed: the page, with its token
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without the token."""
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def playground_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh clone: no Slack settings; the playground's databases in
    `data_dir`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BILLPAY_", "CODAT_"))
    }
    env |= {"BILLPAY_PLAYGROUND_DIR": str(data_dir), "COLUMNS": "200", **extra}
    return env


@contextmanager
def running_playground(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Running]:
    """`billpay run ARGS` until it prints the line with the page's address (and its token);
    stopped with Ctrl-C (SIGINT) at the end."""
    port = free_port()
    command = [sys.executable, "-m", "billpay.runtime.cli", "run", *args, "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        env=env or playground_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    seen: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            seen.put(line)
        seen.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            line = seen.get(timeout=START_TIMEOUT_SECONDS)
            if line is None:
                raise AssertionError("billpay run stopped before serving:\n" + "".join(lines))
            if READY in line:
                break
        address = PAGE_ADDRESS.search(line)
        assert address is not None, f"no address with a token in: {line!r}"
        assert address.group(1).startswith(f"http://127.0.0.1:{port}/")
        yield Running(url=address.group(1), process=process, lines=lines)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None
