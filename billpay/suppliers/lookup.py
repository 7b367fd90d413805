"""What `/supplier <name>` finds: each matching supplier with its outstanding bills. Plain values
the blocks render."""

from __future__ import annotations

from dataclasses import dataclass

from billpay.payables.models import Bill, Supplier


@dataclass(frozen=True)
class SupplierMatch:
    supplier: Supplier
    outstanding: list[Bill]


@dataclass(frozen=True)
class Lookup:
    matches: list[SupplierMatch]
    total: int  # how many suppliers matched, of which `matches` shows the first ten
