"""What a card adds for invoices, duplicates and questions, in English and French, and the
duplicate check itself (pure)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from billpay.bills.duplicates import find_duplicates
from billpay.bills.listing import Summary
from billpay.core.domain import Duplicate, OpenQuestion
from billpay.payables.models import Attachment, Bill, BillLineItem, SupplierRef
from billpay.slack.blocks.bills.card import card_blocks
from billpay.slack.blocks.bills.message import bills_message
from billpay.slack.blocks.card_extras import pay_confirmations
from billpay.slack.blocks.invoices import details_extra, file_size
from slack_playground.blockkit import validate_message_blocks
from tests.slack.blocks.test_bills_blocks import TODAY, _case

DUPLICATE = Duplicate(bill_id="b9", reference="INV-1042", status="Paid", paid_on=date(2026, 11, 19))
QUESTION = OpenQuestion(id=1, asked_by="U0SAM", asked_of="U0BEN", text="Goods received?")


def _text(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_flags_and_overflow_in_english_and_french() -> None:
    case = replace(_case(), duplicate=DUPLICATE, question=QUESTION, attachments=1)
    today = date(2026, 11, 22)
    english = _text(card_blocks(case, locale="en_GB", today=today))
    assert "Possible duplicate of INV-1042, paid 3 days ago" in english
    assert "Question open: <@U0SAM> asked <@U0BEN>" in english
    assert "View invoice" in english and "Ask a question" not in english
    french = _text(card_blocks(case, locale="fr_FR", today=today))
    assert "Doublon possible de INV-1042, réglée il y a 3 jours" in french
    assert "Voir le justificatif" in french
    bare = _text(card_blocks(replace(_case(), attachments=0), locale="fr_FR", today=today))
    assert "Joindre le justificatif" in bare and "Poser une question" in bare


def test_a_page_of_flagged_cards_is_still_valid_block_kit() -> None:
    cases = [
        replace(_case(n), duplicate=DUPLICATE, question=QUESTION, attachments=n % 2)
        for n in range(10)
    ]
    message = bills_message(
        company_name="Acme",
        headline="10 bills",
        summary=Summary(count=10, overdue=0, totals={"GBP": Decimal(10)}),
        cases=cases,
        page=0,
        pages=2,
        locale="fr_FR",
        today=TODAY,
        as_of=datetime.combine(TODAY, time(9, 0), tzinfo=UTC),
        time_zone="Europe/Paris",
    )
    assert validate_message_blocks(message["blocks"]) == []
    assert len(message["blocks"]) <= 50


def test_pay_confirmations_are_required_and_unticked() -> None:
    (block,) = pay_confirmations(
        replace(_case(), duplicate=DUPLICATE, question=QUESTION), locale="en_GB", today=TODAY
    )
    assert block["optional"] is False and "initial_options" not in block["element"]
    assert [o["value"] for o in block["element"]["options"]] == ["duplicate", "question"]
    assert pay_confirmations(_case(), locale="en_GB", today=TODAY) == []


def test_details_list_files_and_lines_in_french() -> None:
    files = [Attachment(id="a1", name="facture.pdf", file_size=10_240)]
    lines = [BillLineItem(unit_amount=Decimal(100), quantity=Decimal(2), tax_amount=Decimal(40))]
    text = _text(details_extra(_case(), files, lines, locale="fr_FR"))
    assert "facture.pdf · 10 Ko" in text
    assert "de TVA" in text
    assert file_size(3 * 1024 * 1024 // 2, "en_GB") == "1.5 MB"


def _bill(bill_id: str, **changes: object) -> Bill:
    values: dict[str, object] = {
        "id": bill_id,
        "reference": "INV-1",
        "supplier_ref": SupplierRef(id="s1"),
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "currency": "GBP",
        "status": "Open",
        "total_amount": Decimal("120.00"),
    }
    values.update(changes)
    return Bill.model_validate(values)


def test_duplicates_need_same_supplier_and_amount_and_reference_or_near_dates() -> None:
    since = date(2026, 8, 24)
    bill = _bill("b1")
    paid = _bill("b2", status="Paid", source_modified_date="2026-11-19T10:00:00Z")
    assert find_duplicates([bill], [paid], paid_since=since) == {
        "b1": Duplicate("b2", "INV-1", "Paid", date(2026, 11, 19))
    }
    near = _bill("b3", reference="other", issue_date="2026-11-05")
    far = _bill("b4", reference="other", issue_date="2026-11-20")
    assert find_duplicates([bill], [near], paid_since=since)["b1"].bill_id == "b3"
    assert find_duplicates([bill], [far], paid_since=since) == {}
    for other in (
        _bill("b5", total_amount=Decimal("120.01")),
        _bill("b6", supplier_ref=SupplierRef(id="s2")),
        _bill("b7", currency="EUR"),
        _bill("b8", status="Paid", source_modified_date="2026-08-01T00:00:00Z"),
        _bill("b9", status="Void"),
    ):
        assert find_duplicates([bill], [other], paid_since=since) == {}, other.id
    # Same reference is preferred to a near date; the amount written 120.0 is the same amount.
    same_ref = _bill("c1", issue_date="2026-06-01", total_amount=Decimal("120.0"))
    assert find_duplicates([bill], [near, same_ref], paid_since=since)["b1"].bill_id == "c1"
