"""What a card and a payment's answers say of the payments on a bill, in the reader's words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from billpay.core.domain import CaseState, CaseView, PaymentOutcome, PaymentView
from billpay.slack.blocks.bills.card import card_blocks, details_blocks
from billpay.slack.blocks.outcomes import step_answer
from slack_playground.blockkit import validate_message_blocks

TODAY = date(2026, 11, 22)


def _payment(n: int, amount: str, by: str) -> PaymentView:
    return PaymentView(
        id=n,
        status="recorded",
        amount=Decimal(amount),
        currency="GBP",
        account_name="Business Current",
        account_currency="GBP",
        exchange_rate=None,
        payment_date=TODAY,
        reference=None,
        requested_by=by,
        error=None,
    )


CASE = CaseView(
    bill_id="bill-0001",
    state=CaseState.APPROVED,
    supplier_name="Pinecrest Facilities",
    reference="PF-2291",
    currency="GBP",
    total_amount=Decimal("3000.00"),
    amount_due=Decimal("2874.50"),
    issue_date=TODAY,
    due_date=TODAY,
    bill_status="PartiallyPaid",
    approvals=("U0ANA",),
    approvals_required=1,
    payments=(_payment(1, "100", "U0SAM"), _payment(2, "25.50", "U0BEN")),
)


def _status(case: CaseView, locale: str) -> str:
    blocks = card_blocks(case, locale=locale, today=TODAY)
    assert validate_message_blocks(blocks) == []
    return " | ".join(e["text"] for e in blocks[1]["elements"])


def test_each_payment_and_who_made_it_in_the_readers_language() -> None:
    assert "From Slack: £100.00 by <@U0SAM> on 22 Nov 2026 · £25.50 by <@U0BEN>" in (
        _status(CASE, "en_GB")
    )
    french = _status(CASE, "fr_FR")
    assert "Depuis Slack\u00a0: 100,00\u00a0GBP par <@U0SAM> le 22 nov. 2026" in french
    # The overflow's Details, shown to one person, in their own language.
    details = details_blocks(CASE, locale="fr_FR", today=TODAY)
    assert validate_message_blocks(details) == []
    assert "Depuis Slack" in str(details[-1])


def test_what_the_platform_shows_paid_besides_slack_is_added_so_the_lines_add_up() -> None:
    earlier = replace(CASE, amount_due=Decimal("2074.50"))  # £800.00 paid before, outside Slack
    shown = _status(earlier, "en_GB")
    assert "£925.50 paid, £2,074.50 still due" in shown
    assert "· £800.00 paid directly in the accounting platform" in shown
    assert "800,00\u00a0GBP réglés directement dans la plateforme comptable" in _status(
        earlier, "fr_FR"
    )


def test_beyond_three_payments_the_total_and_the_count() -> None:
    many = tuple(_payment(n, "10", "U0SAM" if n % 2 else "U0BEN") for n in range(1, 6))
    shown = _status(replace(CASE, payments=many), "en_GB")
    assert "From Slack: £50.00 in 5 payments by <@U0SAM>, <@U0BEN>" in shown
    assert "on 22 Nov" not in shown


def test_one_payment_in_full_is_said_once() -> None:
    paid = replace(
        CASE, state=CaseState.PAID, amount_due=Decimal(0), payments=(_payment(1, "3000", "U0SAM"),)
    )
    paid = replace(paid, last_payment=paid.payments[0])
    assert "payment" not in _status(paid, "en_GB").replace("Paid £3,000.00", "")


def test_already_cancelled_is_said_with_who_and_when_in_the_readers_zone() -> None:
    outcome = PaymentOutcome(
        CASE,
        "already_cancelled",
        "This payment was already cancelled.",
        cancelled_by="U0SAM",
        cancelled_at=datetime(2026, 11, 22, 14, 2, tzinfo=UTC),
    )
    now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    assert step_answer(outcome, "en_GB", "Europe/London", now) == (
        "Already cancelled by <@U0SAM> at 14:02. Nothing was changed."
    )
    assert step_answer(outcome, "fr_FR", "Europe/Paris", now) == (
        "Déjà annulé par <@U0SAM> à 15:02. Rien n’a été modifié."
    )
    later = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert "on 22 Nov 2026 at 14:02" in step_answer(outcome, "en_GB", "Europe/London", later)
