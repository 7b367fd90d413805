"""The supplier answer and the new bill, supplier and bank account modals are valid Block Kit
at their largest, and untrusted text stays text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billpay.payables.models import Supplier
from billpay.slack.blocks.metadata import BankAccountMetadata, NewBillMetadata, SupplierMetadata
from billpay.slack.blocks.new_bill import bank_account_modal, new_bill_modal, upload_failed_message
from billpay.slack.blocks.suppliers import supplier_blocks, supplier_modal
from billpay.suppliers.lookup import SupplierMatch
from billpay.suppliers.rules import BillOptions, Choice, Totals
from slack_playground.blockkit import validate_message_blocks, validate_view

KEY = "0b5e7a4e-4a0e-4b8e-9d6e-0a2b8c1d3e4f"


def supplier(n: int, status: str = "Active") -> Supplier:
    return Supplier(
        id=f"sup-{n}",
        supplier_name=f"<!channel> Supplier {n} & Co *bold*",
        status=status,
        default_currency="GBP",
        balance=Decimal("12.50"),
        email_address="a@b.example",
    )


def test_more_than_ten_matches_say_how_many_and_how_to_narrow() -> None:
    matches = [SupplierMatch(supplier(n), []) for n in range(10)]
    message = supplier_blocks("supp", matches, locale="en_GB", total=37)
    assert validate_message_blocks(message["blocks"]) == []
    text = str(message["blocks"])
    assert "37 suppliers match; these are the first 10" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert message["text"] == "37 suppliers matching “supp”"


def test_an_archived_supplier_is_marked_and_offers_no_new_bill() -> None:
    message = supplier_blocks("old", [SupplierMatch(supplier(1, "Archived"), [])], locale="fr_FR")
    assert "(archivé\u00a0: plus de nouvelles factures)" in message["blocks"][0]["text"]["text"]
    text = str(message["blocks"])
    assert "supplier_new_bill" not in text and "Voir les factures" in text


def test_the_new_bill_modal_with_ten_lines_is_valid() -> None:
    options = BillOptions(
        [Choice(f"acc-{n}", f"{6000 + n} · Account {n}") for n in range(150)],
        [Choice("vat", "VAT 20%", Decimal(20))],
        21,
        "QuickBooks Online",
    )
    metadata = NewBillMetadata(
        channel_id="C0FIN", idempotency_key=KEY, locale="en_GB", lines=10, file_id="F0ABC",
        file_name="<b>invoice</b>.pdf",
    )  # fmt: skip
    view = new_bill_modal(
        metadata,
        options,
        today=date(2026, 11, 22),
        supplier=("sup-1", "Northridge"),
        currency="GBP",
        totals=Totals(Decimal("100"), Decimal("20")),
    )
    assert validate_view(view) == []
    assert len(view["blocks"]) <= 100
    assert "Add line" not in str(view["blocks"])  # ten is the most
    assert "Total £120.00" in str(view["blocks"])
    reference = next(b for b in view["blocks"] if b.get("block_id") == "bill_reference")
    assert reference["element"]["max_length"] == 21


def test_the_other_modals_and_the_upload_notice_are_valid() -> None:
    metadata = SupplierMetadata(channel_id="C0FIN", idempotency_key=KEY, locale="fr_FR")
    assert (
        validate_view(supplier_modal(metadata, supplier=supplier(2), address="1 Rue\nParis")) == []
    )
    account = BankAccountMetadata(channel_id="C0FIN", idempotency_key=KEY, locale="en_GB")
    assert validate_view(bank_account_modal(account, base_currency="GBP")) == []
    notice = upload_failed_message("bill-1", "F0ABC", "scan.png", locale="en_GB")
    assert validate_message_blocks(notice["blocks"]) == []


def test_no_edit_button_where_the_platform_cannot_update_suppliers() -> None:
    match = [SupplierMatch(supplier(1), [])]
    assert "supplier_edit" in str(supplier_blocks("s", match, locale="en_GB"))
    assert "supplier_edit" not in str(supplier_blocks("s", match, locale="en_GB", can_edit=False))
