"""The App Home's blocks and its bulk-approval modals: valid Block Kit within Slack's limits
(validated as Slack would), at most 100 blocks however long the queue, in French for a French
reader, and whatever the accounting platform calls its suppliers (never a mention or a link)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billpay.core.queue import Activity, CompanyOverdue, Queue, QueuedBill, ScheduledLine
from billpay.slack.blocks.home import home_view
from billpay.slack.blocks.home.bulk import BulkOutcome, bulk_modal, bulk_result
from billpay.slack.blocks.home.values import BulkApproval, HomeBill
from slack_playground.blockkit import validate_view

TODAY = date(2026, 11, 22)
LINKS = [("C0FIN", "Larkspur Design Studio Ltd", "GBP"), ("C0OPS", "Larkspur Ops", "EUR")]


def _bill(
    n: int, supplier: str = "Northridge Office Supplies", reference: str = "NR-1"
) -> QueuedBill:
    return QueuedBill(
        channel_id="C0FIN" if n % 2 else "C0OPS",
        company_name="Larkspur",
        bill_id=f"bill-{n:04}-{'x' * 30}",
        supplier_name=supplier,
        reference=reference,
        currency="GBP" if n % 3 else "EUR",
        amount_due=Decimal("1234.56") * (n + 1),
        due_date=TODAY - timedelta(days=30 - n),
        version=n,
        approvals=n % 2,
        approvals_required=2,
        card=("C0FIN", f"1763800000.{n:06}"),
    )


def _queue(supplier: str = "Northridge Office Supplies", reference: str = "NR-1") -> Queue:
    """A queue as long as a Home shows (its sections full, hundreds more counted)."""
    bills = [_bill(n, supplier, reference) for n in range(20)]
    return Queue(
        channels=LINKS,
        waiting=bills,
        waiting_count=320,
        ready=bills[:10],
        ready_count=45,
        scheduled=[
            ScheduledLine(b, Decimal("99.99"), "GBP", TODAY + timedelta(days=3)) for b in bills[:8]
        ],
        scheduled_count=12,
        overdue=[
            CompanyOverdue(
                f"{supplier} {n}", "C0FIN", 7, {"GBP": Decimal("12.5"), "EUR": Decimal(3)}
            )
            for n in range(20)
        ],
        activity=[
            Activity(
                datetime(2026, 11, 22, 9, n, tzinfo=UTC),
                "U0BEN",
                action,
                "C0FIN",
                supplier,
                reference,
            )
            for n, action in enumerate(
                [
                    "bill_approved",
                    "payment_recorded",
                    "payment_scheduled",
                    "case_closed",
                    "bill_rejected",
                    "payment_undone",
                ]
            )
        ],
    )


def _home(locale: str, queue: Queue) -> dict:
    permalinks = {
        b.card: f"https://larkspur.slack.com/archives/C0FIN/p{n}"
        for n, b in enumerate(queue.waiting)
        if b.card
    }
    return home_view(
        LINKS,
        locale=locale,
        queue=queue,
        today=TODAY,
        time_zone="Europe/Paris",
        permalinks=permalinks,
    )


def test_a_full_home_is_valid_and_within_100_blocks() -> None:
    view = _home("en_GB", _queue())
    assert validate_view(view) == []
    assert len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    assert "Waiting for your approval (320)" in text and "…and 300 more: use `/bills`" in text
    assert "<https://larkspur.slack.com/archives/C0FIN/p0|*Northridge Office Supplies*>" in text


def test_the_home_in_french() -> None:
    view = _home("fr_FR", _queue())
    assert validate_view(view) == []
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[1:6] == [
        "En attente de votre validation (320)",
        "Bon à payer pour vous (45)",
        "Règlements programmés (12)",
        "En retard, par société",
        "Activité récente",
    ]
    text = json.dumps(view, ensure_ascii=False)
    assert "…et 300 de plus\u00a0: utilisez `/bills`" in text
    assert "Valider la sélection…" in text and "Annuler le règlement" in text
    assert "<@U0BEN> a validé Northridge Office Supplies (NR-1)" in text
    for english in ("Waiting", "Ready", "overdue bill", "approved", "Select", "due 2"):
        assert english not in text


def test_the_bulk_forms_are_valid_in_both_languages() -> None:
    bills = [_bill(n) for n in range(20)]
    metadata = BulkApproval(
        bills=[
            HomeBill(channel_id=b.channel_id, bill_id=b.bill_id, version=b.version) for b in bills
        ]
    )
    for locale in ("en_GB", "fr_FR"):
        form = bulk_modal(bills, metadata, locale=locale, today=TODAY)
        assert validate_view(form) == []
        outcomes = [
            BulkOutcome(b, n % 2 == 0, "Why not, at length. " * 10) for n, b in enumerate(bills)
        ]
        assert validate_view(bulk_result(outcomes, locale=locale)) == []
    assert "*Total*: €" in str(bulk_modal(bills, metadata, locale="en_GB", today=TODAY))


@given(
    supplier=st.text(min_size=1, max_size=300),
    reference=st.text(max_size=300),
)
def test_whatever_a_supplier_is_called_the_home_stays_valid_and_says_it_literally(
    supplier: str, reference: str
) -> None:
    view = _home("en_GB", _queue(supplier, reference))
    assert validate_view(view) == []
    assert len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    for escaped in ("<!channel>", "<!here>", "<@U0EVE>"):
        if escaped in supplier or escaped in reference:
            assert escaped not in text
