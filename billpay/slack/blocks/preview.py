"""Links that open a payload in Slack's Block Kit Builder, to see a surface without a workspace."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

BUILDER = "https://app.slack.com/block-kit-builder/#"


def builder_link(payload: dict[str, Any]) -> str:
    """Messages open as `{"blocks": [...]}`; modals and Home tabs as the whole view."""
    shown = payload if payload.get("type") in ("modal", "home") else {"blocks": payload["blocks"]}
    return BUILDER + quote(json.dumps(shown, separators=(",", ":"), ensure_ascii=False), safe="")
