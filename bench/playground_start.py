"""How long a newcomer waits: from `billpay run` (what `make run` runs) without Slack settings to
the playground's page answering.

Run with `python -m bench.playground_start [ROUNDS]` (also part of `make bench`). Each round
starts the command as its own process, reads the page's address (with its token) from the line
it prints, as a person does, and asks for the page every 10 ms until it answers 200; the clock
runs from the process being spawned to that answer. "first run" starts on empty
databases (migrations and the demo company's seed included), "next runs" on the databases the
first left behind. Ctrl-C (SIGINT) ends each run; its exit status must be 0.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROUNDS = 3
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 120.0
ADDRESS = re.compile(r"Open (http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]+) ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BILLPAY_", "CODAT_"))
    }
    return env | {"BILLPAY_PLAYGROUND_DIR": str(data), "COLUMNS": "200"}


def read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def one_start(data: Path) -> float:
    """Seconds from spawning `billpay run` to the page answering."""
    port = free_port()
    billpay = Path(sys.executable).with_name("billpay")
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [str(billpay), "run", "--port", str(port)],
        env=environment(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
    url: str | None = None
    try:
        with httpx.Client(timeout=5) as http:
            while time.perf_counter() - started < TIMEOUT_SECONDS:
                if process.poll() is not None:
                    raise RuntimeError(f"billpay run exited with {process.returncode}")
                while url is None and not lines.empty():
                    found = ADDRESS.search(lines.get())
                    url = found.group(1) if found else None
                if url is None:
                    time.sleep(POLL_SECONDS)
                    continue
                try:
                    if http.get(url).status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(POLL_SECONDS)
        raise RuntimeError("the page never answered")
    finally:
        process.send_signal(signal.SIGINT)
        if process.wait(timeout=30) != 0:
            raise RuntimeError(f"Ctrl-C ended billpay run with status {process.returncode}")


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else ROUNDS
    first: list[float] = []
    warm: list[float] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            first.append(one_start(Path(tmp)))
            warm.append(one_start(Path(tmp)))
    table = Table(title=f"billpay run → playground page answering ({rounds} rounds, seconds)")
    for column in ("start", "median", "min", "max"):
        table.add_column(column, justify="right" if column != "start" else "left")
    for label, times in (("first run (empty databases)", first), ("next runs", warm)):
        table.add_row(
            label,
            f"{statistics.median(times):.2f}",
            f"{min(times):.2f}",
            f"{max(times):.2f}",
        )
    Console().print(table)
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
