"""`/supplier <name>`: the matching suppliers, with contact details, balance and what is owed,
each with **Show bills** and **New bill**; and the create and edit supplier modals."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_name

from billpay.core.i18n import words
from billpay.payables.models import Supplier
from billpay.slack.blocks import fields
from billpay.slack.blocks.frame import modal
from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput
from billpay.slack.blocks.metadata import CreateSupplierButton, SupplierButton, SupplierMetadata
from billpay.slack.blocks.text import escape, money, plain
from billpay.suppliers.lookup import SupplierMatch

MAX_SHOWN = 10
# The currencies offered first in the pickers; any ISO 4217 code can still be typed in.
COMMON_CURRENCIES = (
    "GBP", "EUR", "USD", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "JPY", "CNY", "HKD", "SGD", "INR", "ZAR", "AED", "MXN", "BRL",
)  # fmt: skip


def supplier_blocks(
    query: str,
    matches: list[SupplierMatch],
    *,
    locale: str,
    total: int | None = None,
    can_edit: bool = True,
) -> dict[str, Any]:
    """The answer to `/supplier <query>`: up to ten suppliers; more, and how to narrow.
    `can_edit`: whether the platform lets suppliers be updated (no Edit button otherwise)."""
    _ = words(locale)
    total = len(matches) if total is None else total
    if not matches:
        text = _("No supplier’s name contains “{query}”.", query=escape(query))
        return {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {
                    "type": "actions",
                    "elements": [
                        _button(
                            _("Create supplier"),
                            SupplierAction.CREATE,
                            CreateSupplierButton(name=plain(query, 100)).dump(),
                            primary=True,
                        )
                    ],
                },
            ],
        }
    blocks: list[dict[str, Any]] = []
    for match in matches[:MAX_SHOWN]:
        blocks.extend(_supplier_section(match, locale, can_edit=can_edit))
    if total > MAX_SHOWN:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            "{total} suppliers match; these are the first {shown}. Type more of "
                            "the name to narrow it, like `/supplier {query} ltd`.",
                            total=total,
                            shown=MAX_SHOWN,
                            query=escape(query),
                        ),
                    }
                ],
            }
        )
    text = _.ngettext(
        "{n} supplier matching “{query}”", "{n} suppliers matching “{query}”", total,
        query=escape(query),
    )  # fmt: skip
    return {"text": text, "blocks": blocks}


def _supplier_section(match: SupplierMatch, locale: str, *, can_edit: bool) -> list[dict[str, Any]]:
    _ = words(locale)
    supplier = match.supplier
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for bill in match.outstanding:
        owed[bill.currency] += bill.outstanding_amount
    contact = " · ".join(
        escape(part)
        for part in (supplier.contact_name, supplier.email_address, supplier.phone)
        if part
    )
    archived = supplier.status == "Archived"
    status = _(" (archived: no new bills)") if archived else ""
    lines = [f"*{escape(supplier.supplier_name)}*{status}"]
    if contact:
        lines.append(contact)
    details = []
    if supplier.default_currency:
        details.append(_("Currency: {currency}", currency=supplier.default_currency))
    if supplier.balance is not None and supplier.default_currency:
        details.append(
            _(
                "Balance: {amount}",
                amount=money(supplier.balance, supplier.default_currency, locale),
            )
        )
    if details:
        lines.append(" · ".join(details))
    count = len(match.outstanding)
    if count:
        totals = ", ".join(money(a, c, locale) for c, a in sorted(owed.items()))
        lines.append(
            _.ngettext("{n} outstanding bill: {totals}", "{n} outstanding bills: {totals}", count,
                       totals=totals)
        )  # fmt: skip
    else:
        lines.append(_("No outstanding bills"))
    value = SupplierButton(supplier_id=supplier.id).dump()
    buttons = [_button(_("Show bills"), SupplierAction.SHOW_BILLS, value)]
    if not archived:
        buttons.append(_button(_("New bill"), SupplierAction.NEW_BILL, value))
    if can_edit:
        buttons.append(_button(_("Edit supplier"), SupplierAction.EDIT, value))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
        {"type": "actions", "elements": buttons},
    ]


def _button(text: str, action_id: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(text, 75)},
        "action_id": action_id,
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def currency_label(code: str, locale: str) -> str:
    """`EUR · Euro`, the name in the reader's language."""
    try:
        return f"{code} · {get_currency_name(code, locale=locale)}"
    except (ValueError, LookupError):
        return code


def currency_options(locale: str, *, first: str | None = None) -> list[tuple[str, str]]:
    codes = list(COMMON_CURRENCIES)
    if first and first not in codes:
        codes.insert(0, first)
    return [(code, currency_label(code, locale)) for code in codes]


def supplier_modal(
    metadata: SupplierMetadata, *, supplier: Supplier | None = None, name: str = "",
    address: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Create supplier (no `supplier`) or Edit supplier (every field filled in as it is, since
    saving replaces the whole record)."""
    _ = words(metadata.locale)
    editing = supplier is not None
    currency = supplier.default_currency if supplier else None
    blocks = [
        fields.text_input(
            SupplierInput.NAME, _("Name"), initial=supplier.supplier_name if supplier else name,
            max_length=100,
        ),
        fields.text_input(
            SupplierInput.CONTACT, _("Contact name"),
            initial=supplier.contact_name if supplier else None, max_length=255, optional=True,
        ),
        _email_input(_("Email"), supplier.email_address if supplier else None),
        fields.text_input(
            SupplierInput.PHONE, _("Phone"), initial=supplier.phone if supplier else None,
            max_length=40, optional=True,
        ),
        fields.text_input(
            SupplierInput.ADDRESS, _("Address"), initial=address, multiline=True,
            max_length=500, optional=True,
        ),
        fields.select_input(
            SupplierInput.CURRENCY,
            _("Default currency"),
            currency_options(metadata.locale, first=currency),
            initial=currency,
            hint=_("New bills from this supplier start in this currency."),
        ),
    ]  # fmt: skip
    blocks[-1]["optional"] = True
    if editing:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            "Saving replaces the supplier’s record in the accounting platform: "
                            "a field left empty is cleared there."
                        ),
                    }
                ],
            }
        )
    return modal(
        _("Edit supplier") if editing else _("New supplier"),
        blocks,
        callback_id=SupplierCallback.EDIT if editing else SupplierCallback.CREATE,
        submit=_("Save") if editing else _("Create"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=metadata.locale,
    )


def _email_input(label: str, initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "email_text_input", "action_id": SupplierInput.EMAIL}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": SupplierInput.EMAIL,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": True,
    }


def supplier_saved_text(supplier: Supplier, *, created: bool, user_id: str, locale: str) -> str:
    _ = words(locale)
    name = escape(supplier.supplier_name)
    if created:
        return _("<@{user}> added the supplier *{name}*.", user=user_id, name=name)
    return _("<@{user}> updated the supplier *{name}*.", user=user_id, name=name)
