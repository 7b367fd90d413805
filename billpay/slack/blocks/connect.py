"""`/billpay connect` and `/billpay disconnect`: the connect form (a company the workspace may
link, or a new one, and the accounting platform to connect), the private link to authorise a
new connection, the channel's "waiting" line and how the wait ended, and the disconnect
confirmation and announcement. Pure functions of plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from billpay.core.i18n import N_, words
from billpay.slack.blocks.frame import modal
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import ConnectMetadata, DisconnectAction
from billpay.slack.blocks.new_bill import option
from billpay.slack.blocks.text import day, escape, money, plain

CONNECT_TITLE = N_("Connect a company")
CONNECTING = N_("Reading the companies this workspace can link…")
# Slack refuses a button URL longer than this.
MAX_URL = 3000
MAX_LISTED_PAYMENTS = 10


def company_options(companies: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options for the company type-ahead (`block_suggestion`), at most 100."""
    return [option(company_id, name) for company_id, name in companies[:100]]


def connect_modal(
    companies: list[tuple[str, str]],
    platforms: dict[str, str],
    metadata: ConnectMetadata,
    *,
    locale: str,
) -> dict[str, Any]:
    """The connect form: `companies` (id, name) are those the workspace may link (none: the
    form asks for a new one; the type-ahead searches them), `platforms` key → name."""
    _ = words(locale)
    intro = (
        _(
            "Choose a company this workspace can link, or name a new one. Choose its accounting "
            "platform when it has none linked yet: you'll get a link to authorise it."
        )
        if companies
        else _(
            "No company is linked to this workspace yet. Name yours and choose its accounting "
            "platform: you'll get a link to authorise it."
        )
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    if companies:
        element: dict[str, Any] = {
            "type": "external_select",
            "action_id": Input.CONNECT_COMPANY,
            "min_query_length": 0,
            "placeholder": {"type": "plain_text", "text": plain(_("Type a company’s name"), 150)},
        }
        blocks.append(
            {
                "type": "input",
                "block_id": Input.CONNECT_COMPANY,
                "optional": True,
                "label": {"type": "plain_text", "text": plain(_("Company"), 2000)},
                "element": element,
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": Input.CONNECT_NEW,
            "optional": bool(companies),
            "label": {"type": "plain_text", "text": plain(_("New company"), 2000)},
            "hint": {
                "type": "plain_text",
                "text": plain(_("Its name, as it should show in Bill Pay."), 2000),
            },
            "element": {
                "type": "plain_text_input",
                "action_id": Input.CONNECT_NEW,
                "max_length": 100,
            },
        }
    )
    blocks.append(
        {
            "type": "input",
            "block_id": Input.CONNECT_PLATFORM,
            "optional": bool(companies),
            "label": {"type": "plain_text", "text": plain(_("Accounting platform"), 2000)},
            "hint": {
                "type": "plain_text",
                "text": plain(
                    _("Leave it empty to link a company whose platform is already linked."),
                    2000,
                ),
            },
            "element": {
                "type": "static_select",
                "action_id": Input.CONNECT_PLATFORM,
                "placeholder": {"type": "plain_text", "text": plain(_("Choose a platform"), 150)},
                "options": [option(key, name) for key, name in platforms.items()],
            },
        }
    )
    return modal(
        _(CONNECT_TITLE),
        blocks,
        callback_id=Callback.CONNECT,
        submit=_("Connect"),
        metadata=metadata.dump(),
        locale=locale,
    )


def waiting_text(user_id: str, company_name: str, platform: str, *, locale: str) -> str:
    """The channel's line while the connection waits to be authorised."""
    _ = words(locale)
    return ":hourglass_flowing_sand: " + _(
        "<@{user}> is connecting *{company}* to this channel. Waiting for {platform} to be "
        "authorised…",
        user=user_id,
        company=escape(company_name),
        platform=escape(platform),
    )


def authorise_message(
    company_name: str, platform: str, link_url: str, minutes: int, *, locale: str
) -> dict[str, Any]:
    """Only for the person who asked: the link where the company authorises the connection."""
    _ = words(locale)
    text = _(
        "Open this link to authorise {platform} for *{company}*; sign in as someone allowed to "
        "share its accounting data. The channel is linked as soon as it is authorised (I wait "
        "{minutes} minutes). Keep the link to yourself: whoever opens it can connect the "
        "company.",
        platform=escape(platform),
        company=escape(company_name),
        minutes=minutes,
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if len(link_url) <= MAX_URL and link_url.startswith(("https://", "http://")):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": Action.AUTHORISE,
                        "text": {
                            "type": "plain_text",
                            "text": plain(_("Authorise {platform}", platform=platform), 75),
                        },
                        "url": link_url,
                        "style": "primary",
                    }
                ],
            }
        )
    return {"text": text, "blocks": blocks}


def cancelled_lines(cancelled: list[tuple[str, Decimal, str, date]], *, locale: str) -> list[str]:
    """One line per payment cancelled: supplier, amount, date (at most ten, then a count)."""
    _ = words(locale)
    lines = [
        "• "
        + _(
            "{supplier}: {amount} on {date}",
            supplier=escape(supplier),
            amount=money(amount, currency, locale),
            date=day(when, locale),
        )
        for supplier, amount, currency, when in cancelled[:MAX_LISTED_PAYMENTS]
    ]
    if len(cancelled) > MAX_LISTED_PAYMENTS:
        lines.append(
            "• " + _.ngettext("and {n} more", "and {n} more", len(cancelled) - MAX_LISTED_PAYMENTS)
        )
    return lines


def disconnect_confirm(
    link_id: int,
    company_name: str,
    cancelled: list[tuple[str, Decimal, str, date]],
    *,
    locale: str,
) -> dict[str, Any]:
    """Only for the person who asked: what disconnecting does, and the button (with Slack's
    confirm dialog) that does it."""
    _ = words(locale)
    company = escape(company_name)
    text = _(
        "Disconnect *{company}* from this channel? Its bills stop showing here and no digest "
        "comes. The history stays (decisions, payments, audit trail), and the company's "
        "accounting platform stays connected.",
        company=company,
    )
    if cancelled:
        text += "\n" + _.ngettext(
            "{n} scheduled payment will be cancelled and not paid:",
            "{n} scheduled payments will be cancelled and not paid:",
            len(cancelled),
        )
        text += "\n" + "\n".join(cancelled_lines(cancelled, locale=locale))
    confirm_text = (
        _.ngettext(
            "{n} scheduled payment will be cancelled.",
            "{n} scheduled payments will be cancelled.",
            len(cancelled),
        )
        if cancelled
        else _("Nothing scheduled will be paid from this channel.")
    )
    button = {
        "type": "button",
        "action_id": Action.DISCONNECT,
        "text": {"type": "plain_text", "text": plain(_("Disconnect"), 75)},
        "style": "danger",
        "value": DisconnectAction(link_id=link_id).dump(),
        "confirm": {
            "title": {"type": "plain_text", "text": plain(_("Disconnect?"), 100)},
            "text": {
                "type": "plain_text",
                "text": plain(
                    _("Disconnect {company} from this channel?", company=company_name)
                    + " "
                    + confirm_text,
                    300,
                ),
            },
            "confirm": {"type": "plain_text", "text": plain(_("Disconnect"), 30)},
            "deny": {"type": "plain_text", "text": plain(_("Keep it"), 30)},
            "style": "danger",
        },
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": plain(text, 3000)}},
        {"type": "actions", "elements": [button]},
    ]
    return {"text": text, "blocks": blocks}


def disconnected_text(
    user_id: str,
    company_name: str,
    cancelled: list[tuple[str, Decimal, str, date]],
    *,
    locale: str,
) -> str:
    """What the channel reads once disconnected, the payments it cancelled named."""
    _ = words(locale)
    text = _(
        "<@{user}> disconnected *{company}* from this channel. Its bills no longer show here; "
        "the history stays. `/billpay connect` links a company again.",
        user=user_id,
        company=escape(company_name),
    )
    if cancelled:
        text += "\n" + _.ngettext(
            "{n} scheduled payment was cancelled and will not be paid; schedule it again "
            "once the channel is linked if it is still due:",
            "{n} scheduled payments were cancelled and will not be paid; schedule them again "
            "once the channel is linked if they are still due:",
            len(cancelled),
        )
        text += "\n" + "\n".join(cancelled_lines(cancelled, locale=locale))
    return text
