"""`/supplier <name>`: the matching suppliers, with contact details, balance and what is owed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from blocks.text import escape, money
from bot.domain import SupplierMatch


def supplier_blocks(query: str, matches: list[SupplierMatch], *, locale: str) -> dict[str, Any]:
    if not matches:
        text = f"No supplier's name contains “{escape(query)}”."
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
            lines.append(f"Balance: {money(supplier.balance, supplier.default_currency, locale)}")
        count = len(match.outstanding)
        if count:
            totals = ", ".join(money(a, c, locale) for c, a in sorted(owed.items()))
            lines.append(f"{count} outstanding bill{'s' if count != 1 else ''}: {totals}")
        else:
            lines.append("No outstanding bills")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    noun = "supplier" if len(matches) == 1 else "suppliers"
    return {"text": f"{len(matches)} {noun} matching “{escape(query)}”", "blocks": blocks}
