"""What the bot says while a company's connection to its accounting platform is not Linked, and
when it is again: the line on each card, the Reconnect button (a link to where the company
links it again), the refusal of Pay, and the announcements in the channel and to whoever
linked it. Pure functions of plain values (`ConnectionPause`)."""

from __future__ import annotations

from typing import Any

from billpay.core.domain import ConnectionPause
from billpay.core.i18n import words
from billpay.payments.words import platform_text
from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.text import escape, moment, plain

# Slack refuses a button URL longer than this.
MAX_URL = 3000


def pause_text(pause: ConnectionPause, *, locale: str, time_zone: str) -> str:
    """`Xero no longer lets Bill Pay record payments for Acme Ltd. Reconnect to pay bills;
    figures shown are from 6 Dec 2026, 09:12.` (mrkdwn)"""
    _ = words(locale)
    platform = platform_text(pause.platform, locale)
    return _(
        "{platform} no longer lets Bill Pay record payments for {company}. Reconnect to pay "
        "bills; figures shown are from {moment}.",
        platform=platform[:1].upper() + platform[1:],
        company=escape(pause.company_name),
        moment=moment(pause.since, time_zone, locale),
    )


def reconnect_button(pause: ConnectionPause, *, locale: str) -> dict[str, Any] | None:
    """A link button to the company's linkUrl; None when the bot does not know it."""
    url = pause.link_url
    if not url or len(url) > MAX_URL or not url.startswith(("https://", "http://")):
        return None
    _ = words(locale)
    return {
        "type": "button",
        "action_id": Action.RECONNECT,
        "text": {"type": "plain_text", "text": plain(_("Reconnect"), 75)},
        "url": url,
        "style": "primary",
    }


def pause_message(pause: ConnectionPause, *, locale: str, time_zone: str) -> dict[str, Any]:
    """The words and the Reconnect button: Pay refused, and the channel told."""
    text = pause_text(pause, locale=locale, time_zone=time_zone)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {text}"}}
    ]
    button = reconnect_button(pause, locale=locale)
    if button is not None:
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": text, "blocks": blocks}


def paused_announcement(pause: ConnectionPause, *, locale: str, time_zone: str) -> dict[str, Any]:
    """Said once in each linked channel (and to whoever linked it) when the connection stops
    being Linked: why, what waits, and the Reconnect button."""
    _ = words(locale)
    message = pause_message(pause, locale=locale, time_zone=time_zone)
    waits = _(
        "Scheduled payments, reminders and digests wait until it is reconnected; scheduled "
        "payments still due then go out on their own."
    )
    message["blocks"].insert(
        1, {"type": "context", "elements": [{"type": "mrkdwn", "text": waits}]}
    )
    message["text"] = f"{message['text']} {waits}"
    return message


def resumed_announcement(company_name: str, platform: str | None, *, locale: str) -> dict[str, Any]:
    """Said once when the connection is Linked again."""
    _ = words(locale)
    text = _(
        "The connection to {platform} is back for {company}: bills can be paid again, and "
        "scheduled payments, reminders and digests resume.",
        platform=platform_text(platform, locale),
        company=escape(company_name),
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":white_check_mark: {text}"}}
        ],
    }
