"""Invoice files on a card: the Details' files and line items, the Attach invoice modal, and
the thread lines for a file shared or attached. Pure functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from billpay.core.bounds import INVOICE_TYPES, MB, invoice_max_bytes
from billpay.core.domain import CaseView
from billpay.core.i18n import words
from billpay.payables.models import Attachment, BillLineItem
from billpay.slack.blocks.frame import bill_summary, modal
from billpay.slack.blocks.ids import Callback, Input
from billpay.slack.blocks.metadata import AttachMetadata
from billpay.slack.blocks.text import escape, mention, money, plain

MAX_LISTED_LINES = 20
MAX_LISTED_FILES = 10


def file_size(size: int | None, locale: str) -> str:
    """`12.3 KB`, `1.5 MB` (French: `12,3 Ko`)."""
    _ = words(locale)
    if size is None:
        return _("size unknown")
    if size < 1024 * 1024:
        return _("{size} KB", size=format_decimal(Decimal(size) / 1024, "#,##0.#", locale=locale))
    return _("{size} MB", size=format_decimal(Decimal(size) / 1024**2, "#,##0.#", locale=locale))


def details_extra(
    case: CaseView,
    files: list[Attachment],
    lines: list[BillLineItem],
    *,
    locale: str,
) -> list[dict[str, Any]]:
    """Blocks added to Details: the bill's files (name, size) and its line items."""
    _ = words(locale)
    listed = [
        f"• {escape(plain(file.name or _('(no name)'), 100))} · {file_size(file.file_size, locale)}"
        for file in files[:MAX_LISTED_FILES]
    ]
    files_text = (
        f"*{_('Invoice files')}*\n" + "\n".join(listed)
        if listed
        else f"*{_('Invoice files')}*\n{_('None attached.')}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": files_text}}
    ]
    if lines:
        rows = []
        for number, line in enumerate(lines[:MAX_LISTED_LINES], start=1):
            total = line.total_amount
            if total is None:
                total = line.unit_amount * line.quantity + line.tax_amount
            what = f" · {escape(plain(line.description, 100))}" if line.description else ""
            tax = (
                _(" + {amount} tax", amount=money(line.tax_amount, case.currency, locale))
                if line.tax_amount
                else ""
            )
            rows.append(
                _(
                    "{number}. {quantity} × {unit}{tax}{what} = {total}",  # noqa: RUF001
                    number=number,
                    quantity=format_decimal(line.quantity, locale=locale),
                    unit=money(line.unit_amount, case.currency, locale),
                    what=what,
                    tax=tax,
                    total=money(total, case.currency, locale),
                )
            )
        more = len(lines) - MAX_LISTED_LINES
        if more > 0:
            rows.append(_.ngettext("and {n} more line", "and {n} more lines", more))
        text = f"*{_('Line items')}*\n" + "\n".join(rows)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    return blocks


def invoice_file_input(
    block_id: str, platform: str, locale: str, *, optional: bool = False
) -> dict[str, Any]:
    """A form's field for one invoice file, its hint stating the platform's size limit."""
    _ = words(locale)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": _("Invoice file")},
        "element": {
            "type": "file_input",
            "action_id": block_id,
            "filetypes": list(INVOICE_TYPES),
            "max_files": 1,
        },
        "hint": {
            "type": "plain_text",
            "text": _(
                "A PDF or an image, up to {limit} MB. It is attached to the bill in the "
                "accounting platform.",
                limit=invoice_max_bytes(platform) // MB,
            ),
        },
    }
    if optional:
        block["optional"] = True
    return block


def attach_modal(
    case: CaseView, metadata: AttachMetadata, *, locale: str, today: date
) -> dict[str, Any]:
    _ = words(locale)
    return modal(
        _("Attach invoice"),
        [
            bill_summary(case, locale=locale, today=today),
            invoice_file_input(Input.ATTACH_FILE, metadata.platform, locale),
        ],
        callback_id=Callback.ATTACH,
        submit=_("Attach"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def attached_line(user_id: str, name: str, size: int, locale: str) -> str:
    _ = words(locale)
    return ":paperclip: " + _(
        "{who} attached the invoice {name} ({size}).",
        who=mention(user_id),
        name=escape(plain(name, 100)),
        size=file_size(size, locale),
    )


def shared_comment(case: CaseView, user_id: str, locale: str) -> str:
    _ = words(locale)
    reference = f" · {escape(case.reference)}" if case.reference else ""
    return ":page_facing_up: " + _(
        "Invoice of {supplier}{reference}, shared for {who}.",
        supplier=escape(case.supplier_name),
        reference=reference,
        who=mention(user_id),
    )


def already_shared(permalink: str, locale: str) -> str:
    _ = words(locale)
    if not permalink:
        return _("The invoice is already in this card's thread.")
    return _("The invoice is already in this card's thread: <{link}|open it>.", link=permalink)
