"""`billpay run` without Slack settings: the playground, one line to open it (its token
included), Ctrl-C ends it with status 0."""

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
        assert "no real money can move" in page.text
        # Only the loopback interface, and only with the token printed.
        assert running.url.startswith("http://127.0.0.1:")
        refused = httpx.get(f"{running.base_url}/", timeout=10)
        assert refused.status_code == 403
        assert "token" in refused.text
    assert running.process.returncode == 0, "".join(running.lines)
    ready = [line for line in running.lines if "to try Bill Pay" in line]
    assert ready == [
        f"Open {running.url} to try Bill Pay (no Slack workspace needed). Set SLACK_BOT_TOKEN "
        "and SLACK_SIGNING_SECRET to connect to Slack instead.\n"
    ]
    assert (
        "The playground is a demo: the embedded payables sandbox and a bot database of its own "
        f"(in {tmp_path}); no real money can move.\n"
    ) in running.lines
    assert not any("Set but not used" in line for line in running.lines)
    assert (tmp_path / "billpay.db").exists() and (tmp_path / "sandbox.db").exists()
