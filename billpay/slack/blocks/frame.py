"""The frame every modal shares: its title, Close (or Cancel) and submit buttons, callback id and
`private_metadata`, within Slack's limits; and the summary of the bill a form is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.core.domain import CaseView
from billpay.core.i18n import words
from billpay.slack.blocks.bills.card import bill_text
from billpay.slack.blocks.text import plain

TITLE_LIMIT = 24
BUTTON_LIMIT = 24


def modal(
    title: str,
    blocks: list[dict[str, Any]],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str | None = None,
    metadata: str | None = None,
    locale: str,
) -> dict[str, Any]:
    """`title`, `submit` and `close` are already in the reader's language; `close` defaults to
    their word for Close."""
    _ = words(locale)
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": plain(title, TITLE_LIMIT)},
        "close": {"type": "plain_text", "text": plain(close or _("Close"), BUTTON_LIMIT)},
        "blocks": blocks,
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = {"type": "plain_text", "text": plain(submit, BUTTON_LIMIT)}
    if metadata:
        view["private_metadata"] = metadata
    return view


def bill_summary(case: CaseView, *, locale: str, today: date) -> dict[str, Any]:
    """The bill a form is about, as its card words it."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": bill_text(case, locale=locale, today=today)},
    }
