"""`billpay run` without Slack settings: the playground, one line to open it, Ctrl-C ends it
with status 0."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from testkit.browser import running_playground


@pytest.mark.slow  # a process of its own
def test_without_slack_settings_run_serves_the_playground_until_ctrl_c(tmp_path: Path) -> None:
    with running_playground(tmp_path) as running:
        page = httpx.get(running.url, timeout=10)
        assert page.status_code == 200
        assert "# finance" in page.text
        # Only the loopback interface: the page drives a bot that can record payments.
        assert running.url.startswith("http://127.0.0.1:")
    assert running.process.returncode == 0, "".join(running.lines)
    ready = [line for line in running.lines if "to try Bill Pay" in line]
    assert ready == [
        f"Open {running.url} to try Bill Pay (no Slack workspace needed). Set SLACK_BOT_TOKEN "
        "and SLACK_SIGNING_SECRET to connect to Slack instead.\n"
    ]
