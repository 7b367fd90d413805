"""Escaping untrusted text for Slack's mrkdwn, for the core and the blocks alike."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def flatten(text: str | None) -> str:
    """`text` on one line: control characters and line breaks become spaces."""
    return _CONTROL.sub(" ", text or "")


def escape(text: str | None) -> str:
    """Untrusted text (supplier and company names, references, reasons, the payables API's
    messages) made inert in mrkdwn: `&`, `<`, `>` escaped so it can never become a mention, a
    link or a channel ping, and line breaks flattened so it cannot fake lines of a card."""
    return flatten(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
