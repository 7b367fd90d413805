"""The App Home tab: what the bot does, which channels are linked, and how to start."""

from __future__ import annotations

from typing import Any

from billpay.core.i18n import words
from billpay.slack.blocks.text import escape, plain

# 30 lines of at most ~100 characters stay well inside a section's 3000.
MAX_LINKS = 30


def home_view(links: list[tuple[str, str, str]], *, locale: str) -> dict[str, Any]:
    """`links`: (channel id, company name, base currency) of this workspace's linked channels."""
    _ = words(locale)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Bill Pay"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _(
                    "See your outstanding supplier bills in a channel, approve or reject "
                    "them, and pay them from the right bank account; each payment is recorded "
                    "in your accounting platform."
                ),
            },
        },
        {"type": "divider"},
    ]
    if links:
        lines = [
            f"• <#{channel}>: {escape(plain(company, 60))} ({escape(currency)})"
            for channel, company, currency in links[:MAX_LINKS]
        ]
        if len(links) > MAX_LINKS:
            lines.append(_("…and {count} more", count=len(links) - MAX_LINKS))
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _("*Linked channels*") + "\n" + "\n".join(lines),
                },
            }
        )
    else:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _(
                        "*No channel is linked yet.* In your finance channel, run "
                        "`/invite @billpay`, then `/billpay connect`."
                    ),
                },
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _(
                        "`/bills` lists what's due · `/bills overdue` · `/bills due 7d` · "
                        "`/supplier <name>` · `/billpay help`"
                    ),
                }
            ],
        }
    )
    return {"type": "home", "blocks": blocks}
