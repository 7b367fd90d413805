"""`/supplier <name>`: the matching suppliers, with contact details, balance and what is owed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from blocks.text import escape, money
from bot.domain import SupplierMatch
from bot.i18n import words


def supplier_blocks(query: str, matches: list[SupplierMatch], *, locale: str) -> dict[str, Any]:
    _ = words(locale)
    if not matches:
        text = _("No supplier’s name contains “{query}”.", query=escape(query))
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    blocks: list[dict[str, Any]] = []
    for match in matches:
        supplier = match.supplier
        owed: dict[str, Decimal] = defaultdict(Decimal)
        for bill in match.outstanding:
            owed[bill.currency] += bill.outstanding_amount
        contact = " · ".join(
            escape(part)
            for part in (supplier.contact_name, supplier.email_address, supplier.phone)
            if part
        )
        status = (
            "" if (supplier.status or "Active") == "Active" else f" ({escape(supplier.status)})"
        )
        lines = [f"*{escape(supplier.supplier_name)}*{status}"]
        if contact:
            lines.append(contact)
        if supplier.balance is not None and supplier.default_currency:
            lines.append(
                _(
                    "Balance: {amount}",
                    amount=money(supplier.balance, supplier.default_currency, locale),
                )
            )
        count = len(match.outstanding)
        if count:
            totals = ", ".join(money(a, c, locale) for c, a in sorted(owed.items()))
            lines.append(
                _.ngettext(
                    "{n} outstanding bill: {totals}",
                    "{n} outstanding bills: {totals}",
                    count,
                    totals=totals,
                )
            )
        else:
            lines.append(_("No outstanding bills"))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    text = _.ngettext(
        "{n} supplier matching “{query}”",
        "{n} suppliers matching “{query}”",
        len(matches),
        query=escape(query),
    )
    return {"text": text, "blocks": blocks}
