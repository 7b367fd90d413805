"""The digest message as Slack would receive it: valid Block Kit within 50 blocks however many
bills are due, the rest summed up rightly, approvers mentioned once, untrusted names literal,
money and dates in the reader's locale, buttons carrying the `/bills` filter they open."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from billpay.bills.listing import parse_filter
from billpay.core.domain import CaseState
from billpay.digest.compute import Digest, add_totals, compute_digest
from billpay.slack.blocks.digest import digest_empty_message, digest_message
from billpay.slack.blocks.ids import DigestAction, DigestBlock
from billpay.slack.blocks.metadata import DigestListAction
from slack_playground.blockkit import validate_message_blocks
from testkit.digests import TODAY, bill, case_of, many_bills, scheduled

EVIL = "<!channel> & <https://evil.example|click>"
ANA, BEN = "U0ANA", "U0BEN"


def _digest(bills: list[Any], cases: dict[str, Any] | None = None, **kw: Any) -> Digest:
    kw.setdefault("approvers", [])
    return compute_digest(bills, cases or {}, base_currency="GBP", today=TODAY, **kw)


def _render(digest: Digest, locale: str = "en_GB") -> dict[str, Any]:
    return digest_message(
        digest, company_name="Larkspur Design Studio Ltd", locale=locale, today=TODAY
    )


def _all_text(message: dict[str, Any]) -> str:
    return "\n".join([message["text"], *(str(b) for b in message["blocks"])])


def test_a_small_digest_is_valid_with_header_summary_and_buttons() -> None:
    bills = [
        bill(1, due_in=-3, amount="1200.00"),
        bill(2, due_in=0, amount="50.00", currency="EUR"),
        bill(3, due_in=4, amount="9.99"),
    ]
    message = _render(_digest(bills))

    assert validate_message_blocks(message["blocks"]) == []
    header = message["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"] == "Bills due · Mon 23 Nov"
    summary = next(b for b in message["blocks"] if b.get("block_id") == DigestBlock.SUMMARY)
    assert "*Overdue*: 1 bill · £1,200.00" in summary["text"]["text"]
    assert "*Due today*: 1 bill · €50.00" in summary["text"]["text"]
    assert "*Due within 7 days*: 1 bill · £9.99" in summary["text"]["text"]
    assert message["text"].startswith(
        "Bills due at Larkspur Design Studio Ltd: 1 overdue (£1,200.00)"
    )


def test_the_buttons_open_the_matching_bills_lists() -> None:
    message = _render(_digest([bill(1, due_in=-3)], look_ahead_days=10))
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    by_action = {e["action_id"]: e for e in actions["elements"]}
    assert set(by_action) == {DigestAction.OPEN_OVERDUE, DigestAction.OPEN_DUE}
    overdue = DigestListAction.load(by_action[DigestAction.OPEN_OVERDUE]["value"])
    due = DigestListAction.load(by_action[DigestAction.OPEN_DUE]["value"])
    assert overdue is not None and parse_filter(overdue.filter_text).kind == "overdue"
    assert due is not None and parse_filter(due.filter_text).days == 10
    assert DigestListAction.load('{"f": "x\\u0000"}') is None  # tampered: refused


def test_three_hundred_bills_fit_in_fifty_blocks_and_the_rest_is_summed_up() -> None:
    bills = [
        bill(n, due_in=(n % 8) - 4, amount=Decimal(n + 1), currency=("GBP", "EUR")[n % 2])
        for n in range(300)
    ]
    digest = _digest(bills)
    message = _render(digest)
    blocks = message["blocks"]

    assert len(blocks) <= 50
    assert validate_message_blocks(blocks) == []
    listed_ids = [
        b["block_id"].split(":", 1)[1]
        for b in blocks
        if b.get("block_id", "").startswith("digest_bill:")
    ]
    assert listed_ids == [b.bill_id for b in digest.bills[: len(listed_ids)]]
    rest = digest.bills[len(listed_ids) :]
    (more,) = [b for b in blocks if b.get("block_id") == DigestBlock.MORE]
    totals = add_totals(({b.currency: b.amount_due} for b in rest), "GBP")
    assert list(totals) == ["GBP", "EUR"]
    expected = f"and {len(rest)} more (£{totals['GBP']:,.2f} · €{totals['EUR']:,.2f})"
    assert more["elements"][0]["text"] == expected
    assert len(listed_ids) + len(rest) == 300 - sum(
        1 for b in bills if b.due_on > TODAY + timedelta(days=7)
    )


def test_the_first_bills_listed_are_the_most_overdue_and_biggest() -> None:
    bills = [
        *many_bills(60),
        bill(999, due_in=-30, amount="5.00"),
        bill(998, due_in=-30, amount="7000"),
    ]
    blocks = _render(_digest(bills))["blocks"]
    listed = [b for b in blocks if b.get("block_id", "").startswith("digest_bill:")]
    assert listed[0]["block_id"] == "digest_bill:bill-00998"
    assert listed[1]["block_id"] == "digest_bill:bill-00999"
    assert "overdue by 30 days" in listed[0]["text"]["text"]


def test_each_approver_is_mentioned_once_however_many_bills_wait() -> None:
    bills = [bill(n, due_in=-1 - n % 3) for n in range(40)]
    cases = {b.id: case_of(b, approvals=(ANA,) if n % 2 else ()) for n, b in enumerate(bills)}
    message = _render(_digest(bills, cases, approvers=[ANA, BEN]))
    text = _all_text(message)

    assert validate_message_blocks(message["blocks"]) == []
    assert text.count(f"<@{ANA}>") == 1 and text.count(f"<@{BEN}>") == 1
    assert f"Waiting on <@{ANA}> (20), <@{BEN}> (40)" in text


def test_anyone_may_approve_when_the_channel_names_no_approvers() -> None:
    text = _all_text(_render(_digest([bill(1, due_in=-1)])))
    assert "Anyone in the channel may approve them." in text
    assert "<@" not in text


def test_an_untrusted_supplier_name_is_shown_literally_and_pings_nobody() -> None:
    evil = bill(1, due_in=-1, supplier=EVIL)
    cases = {evil.id: scheduled(evil, TODAY + timedelta(days=1))}
    message = _render(_digest([evil], cases))
    text = _all_text(message)

    assert validate_message_blocks(message["blocks"]) == []
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    company = digest_message(_digest([evil]), company_name=EVIL, locale="en_GB", today=TODAY)
    assert "<!channel>" not in _all_text(company)


def test_scheduled_payments_show_date_amount_supplier_and_account() -> None:
    b = bill(1, due_in=5, amount="300.00", supplier="Pinecrest Facilities")
    message = _render(_digest([b], {b.id: scheduled(b, TODAY + timedelta(days=2))}))
    (section,) = [x for x in message["blocks"] if x.get("block_id") == DigestBlock.SCHEDULED]
    assert (
        "• Wed 25 Nov · *£300.00* · Pinecrest Facilities · INV-00001 · from Business Current"
        in section["text"]["text"]
    )
    listed = [x for x in message["blocks"] if x.get("block_id") == "digest_bill:bill-00001"]
    assert "payment scheduled for Wed 25 Nov" in listed[0]["text"]["text"]


def test_the_cash_going_out_is_drawn_as_bars_per_day_then_per_week() -> None:
    bills = [bill(1, due_in=-2, amount="1200.00"), bill(2, due_in=1, amount="600.00")]
    message = _render(_digest(bills))
    (cash,) = [b for b in message["blocks"] if b.get("block_id") == f"{DigestBlock.CASH}:GBP"]
    text = cash["text"]["text"]
    assert "```" in text
    lines = text.split("```")[1].splitlines()
    assert lines[0] == "Mon 23         ██████████  £1,200.00"
    assert lines[1] == "Tue 24         █████░░░░░  £600.00"
    assert lines[2] == "Wed 25         ░░░░░░░░░░  -"
    assert "23 Nov-29 Nov  ██████████  £1,800.00" in lines


def test_many_currencies_keep_the_cash_to_three_charts() -> None:
    bills = [
        bill(n, due_in=1, currency=c) for n, c in enumerate(["GBP", "AUD", "CAD", "EUR", "USD"])
    ]
    message = _render(_digest(bills))
    charts = [
        b for b in message["blocks"] if b.get("block_id", "").startswith(f"{DigestBlock.CASH}:")
    ]
    assert [c["block_id"] for c in charts] == [
        "digest_cash:GBP",
        "digest_cash:AUD",
        "digest_cash:CAD",
        "digest_cash:others",
    ]
    assert "EUR, USD" in charts[-1]["elements"][0]["text"]


def test_money_and_dates_follow_the_locale() -> None:
    message = _render(
        _digest([bill(1, due_in=-1, amount="1250.5", currency="EUR")]), locale="fr_FR"
    )
    text = _all_text(message)
    assert "1\u202f250,50\xa0€" in text or "1 250,50 €" in text.replace("\u202f", " ").replace(
        "\xa0", " "
    )
    assert re.search(r"Factures à payer · lun\. 23 nov\.", message["blocks"][0]["text"]["text"])


def test_the_empty_digest_says_nothing_needs_attention() -> None:
    message = digest_empty_message(
        company_name=EVIL, locale="en_GB", today=TODAY, look_ahead_days=7
    )
    assert validate_message_blocks(message["blocks"]) == []
    assert "Nothing needs attention" in _all_text(message)
    assert "<!channel>" not in _all_text(message)
    assert _digest([bill(1, due_in=9)]).is_empty


def test_pending_approved_and_failed_bills_say_where_they_stand() -> None:
    bills = [bill(n, due_in=0) for n in range(3)]
    cases = {
        bills[1].id: case_of(bills[1], state=CaseState.APPROVED),
        bills[2].id: case_of(bills[2], state=CaseState.FAILED),
    }
    text = _all_text(_render(_digest(bills, cases)))
    assert "awaiting approval" in text and "approved, to pay" in text and "payment failed" in text


def test_a_one_day_look_ahead_reads_well() -> None:
    message = _render(_digest([bill(1, due_in=1)], look_ahead_days=1))
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Due within 1 day"]
    assert "*Due within 1 day*: 1 bill · £100.00" in _all_text(message)
