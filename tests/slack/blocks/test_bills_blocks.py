"""The `/bills` message and the modals as Slack would receive them: valid Block Kit within
Slack's limits, untrusted text shown literally, money in the reader's locale."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billpay.bills.cases import CaseView, PaymentView
from billpay.bills.listing import BillFilter, Summary
from billpay.core.money import parse_amount
from billpay.payments.form import AccountChoice
from billpay.slack.blocks.bills.card import card_blocks
from billpay.slack.blocks.bills.message import bills_message, out_of_date_message
from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.metadata import PayMetadata, RejectMetadata, ReopenMetadata
from billpay.slack.blocks.modals import amount_text, offered, pay_modal, reject_modal, reopen_modal
from billpay.slack.blocks.text import due_phrase, escape
from billpay.store.models import CaseState
from slack_playground.blockkit import validate_message_blocks, validate_view

TODAY = date(2026, 11, 22)
EVIL = "<!channel> & <https://evil.example|click>"


def _case(n: int = 0, **changes: object) -> CaseView:
    case = CaseView(
        bill_id=f"bill-{n:04d}",
        state=CaseState.PENDING,
        supplier_name="Northridge Office Supplies",
        reference=f"INV-{1000 + n}",
        currency="GBP",
        total_amount=Decimal("1500.00"),
        amount_due=Decimal("1250.00"),
        issue_date=TODAY - timedelta(days=30),
        due_date=TODAY - timedelta(days=3),
        bill_status="PartiallyPaid",
        approvals=(),
        approvals_required=1,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def _message(cases: list[CaseView], locale: str = "en_GB", rejected_hidden: int = 0) -> dict:
    return bills_message(
        company_name="Larkspur Design Studio Ltd",
        headline=BillFilter().headline(25),
        summary=Summary(
            count=25,
            overdue=7,
            totals={"GBP": Decimal("1250"), "EUR": Decimal("8875.5")},
            rejected_hidden=rejected_hidden,
        ),
        cases=cases,
        page=0,
        pages=3,
        locale=locale,
        today=TODAY,
        as_of=datetime(TODAY.year, TODAY.month, TODAY.day, 16, 5, tzinfo=UTC),
        time_zone="Europe/Paris",
    )


def test_a_full_page_of_cards_is_valid_and_within_fifty_blocks() -> None:
    cases = [_case(n) for n in range(10)]
    cases[1] = replace(cases[1], state=CaseState.APPROVED, approvals=("U0ANA",))
    cases[2] = replace(cases[2], state=CaseState.REJECTED, rejected_by="U0BEN", reject_reason="No")
    message = _message(cases)
    assert len(message["blocks"]) <= 50
    assert validate_message_blocks(message["blocks"]) == []
    assert "25 outstanding bills · 7 overdue · £1,250.00 due · €8,875.50 due" in message["text"]
    assert f"as of {TODAY.day} Nov {TODAY.year}, 17:05" in str(message["blocks"][1])


def test_rejected_bills_left_out_are_counted_with_the_command_that_lists_them() -> None:
    message = _message([_case()], rejected_hidden=2)
    assert message["text"].endswith("· 2 rejected bills not shown: `/bills rejected`")
    french = _message([_case()], locale="fr_FR", rejected_hidden=1)
    assert "1 facture rejetée non affichée\u00a0: `/bills rejected`" in french["text"]


def test_untrusted_text_is_shown_literally_and_pings_nobody() -> None:
    case = _case(supplier_name=EVIL, reference="<@U0ALL>", reject_reason=EVIL)
    rejected = replace(case, bill_id="bill-0001", state=CaseState.REJECTED, rejected_by="U0BEN")
    blocks = _message([case, rejected])["blocks"]
    texts = [str(block) for block in blocks]
    assert validate_message_blocks(blocks) == []
    joined = "\n".join(texts)
    assert "<!channel>" not in joined and "<https://evil" not in joined and "<@U0ALL>" not in joined
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in joined
    assert escape("a\nb<c") == "a b&lt;c"


def test_money_and_dates_follow_the_readers_locale() -> None:
    card = card_blocks(_case(), locale="fr_FR", today=TODAY)
    text = card[0]["text"]["text"]
    assert "1\u202f250,00\xa0GBP" in text and "19 nov. 2026" in text
    assert "£1,250.00" in card_blocks(_case(), locale="en_GB", today=TODAY)[0]["text"]["text"]


def test_due_phrases() -> None:
    assert due_phrase(TODAY - timedelta(days=3), TODAY, "en_GB") == "overdue by 3 days"
    assert due_phrase(TODAY - timedelta(days=1), TODAY, "en_GB") == "overdue by 1 day"
    assert due_phrase(TODAY, TODAY, "en_GB") == "due today"
    assert due_phrase(TODAY + timedelta(days=1), TODAY, "en_GB") == "due tomorrow"
    assert due_phrase(TODAY + timedelta(days=9), TODAY, "en_GB") == "due in 9 days"


def _actions(case: CaseView) -> list[str]:
    blocks = card_blocks(case, locale="en_GB", today=TODAY)
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_payment_in_doubt_is_checked_then_left_to_a_person_and_offers_nothing_else() -> None:
    payment = PaymentView(
        id=1,
        status="in_doubt",
        amount=Decimal("10.00"),
        currency="GBP",
        account_name="Business Current",
        account_currency="GBP",
        exchange_rate=None,
        payment_date=TODAY,
        reference=None,
        requested_by="U0SAM",
        error="The accounting platform had a problem on its side.",
    )
    case = _case(state=CaseState.IN_DOUBT, last_payment=payment, platform="Xero")
    assert _actions(case) == [Action.CHECK_PAYMENT, Action.MORE]
    shown = str(card_blocks(case, locale="en_GB", today=TODAY))
    assert "We don't know yet whether £10.00 reached Xero" in shown
    assert "Nothing was paid" not in shown
    waiting = replace(case, last_payment=replace(payment, needs_person=True))
    assert _actions(waiting) == [
        Action.PAYMENT_IS_IN_PLATFORM,
        Action.SEND_PAYMENT_AGAIN,
        Action.MORE,
    ]
    buttons = str(card_blocks(waiting, locale="en_GB", today=TODAY))
    assert "It's in Xero" in buttons and "the supplier is paid twice" in buttons
    refused = replace(payment, status="refused", error="The bank account is closed.")
    assert _actions(replace(case, state=CaseState.FAILED, last_payment=refused)) == [
        Action.PAY,
        Action.MORE,
    ]


def test_each_state_offers_only_what_can_be_done() -> None:
    assert _actions(_case()) == [Action.APPROVE, Action.REJECT, Action.MORE]
    assert _actions(_case(state=CaseState.APPROVED, approvals=("U0ANA",))) == [
        Action.PAY,
        Action.REJECT,
        Action.MORE,
    ]
    for closed in (CaseState.PAID, CaseState.CLOSED):
        assert _actions(_case(state=closed)) == []
    assert _actions(_case(state=CaseState.REJECTED)) == [Action.REOPEN]
    assert _actions(_case(state=CaseState.SCHEDULED)) == [Action.CANCEL_PAYMENT, Action.MORE]
    assert _actions(_case(state=CaseState.PAYING)) == [Action.MORE]


def test_reject_is_red_and_asks_nothing_before_the_bot_answers() -> None:
    (actions,) = [
        b for b in card_blocks(_case(), locale="en_GB", today=TODAY) if b["type"] == "actions"
    ]
    reject = next(e for e in actions["elements"] if e["action_id"] == Action.REJECT)
    assert reject["style"] == "danger" and "confirm" not in reject


def test_the_pay_modal_is_valid_and_defaults_to_the_amount_due() -> None:
    accounts = [
        AccountChoice("a1", "Business Current", "GBP"),
        AccountChoice("a2", "Euro Account", "EUR"),
    ]
    metadata = PayMetadata(
        channel_id="C0FIN",
        message_ts="1700000000.000200",
        bill_id="bill-0000",
        idempotency_key="0b6a4a9e-2d7c-4f38-9a51-3c1f1e7f2a10",
        currency="GBP",
        base_currency="GBP",
        amount_due=Decimal("1250.00"),
        locale="fr_FR",
        accounts=offered(accounts),
    )
    view = pay_modal(_case(), metadata, locale="fr_FR", today=TODAY)
    assert validate_view(view) == []
    amount = next(b for b in view["blocks"] if b.get("block_id") == "pay_amount")
    initial = amount["element"]["initial_value"]
    assert parse_amount(initial, "fr_FR") == Decimal("1250.00")
    assert amount_text(Decimal("1250"), "JPY", "en_GB") == "1,250"
    # A bill in the company's own currency needs no rate, whichever account is offered.
    assert not any(b.get("block_id") == "pay_rate" for b in view["blocks"])
    assert PayMetadata.load(view["private_metadata"]) == metadata
    euro = pay_modal(
        _case(currency="EUR"),
        metadata.model_copy(update={"currency": "EUR"}),
        locale="fr_FR",
        today=TODAY,
    )
    (rate,) = [b for b in euro["blocks"] if b.get("block_id") == "pay_rate"]
    assert rate["label"]["text"] == "Taux de change (GBP pour 1 EUR)" and not rate["optional"]
    assert PayMetadata.load(view["private_metadata"]) == metadata


def test_the_reject_modal_of_a_partly_paid_bill_says_what_has_gone_out_in_french() -> None:
    metadata = RejectMetadata(channel_id="C0FIN", bill_id="bill-0000", version=3)
    view = reject_modal(_case(), metadata, locale="fr_FR", today=TODAY)
    assert validate_view(view) == []
    assert "*250,00\u00a0GBP ont déjà été payés*" in json.dumps(view, ensure_ascii=False)
    unpaid = _case(amount_due=Decimal("1500.00"))
    assert "payés" not in str(reject_modal(unpaid, metadata, locale="fr_FR", today=TODAY))


def test_the_reopen_modal_and_a_retired_message_in_french() -> None:
    metadata = ReopenMetadata(channel_id="C0FIN", bill_id="bill-0000", version=3)
    view = reopen_modal(_case(state=CaseState.REJECTED), metadata, locale="fr_FR", today=TODAY)
    assert validate_view(view) == []
    assert view["title"]["text"] == "Rouvrir la facture" and view["submit"]["text"] == "Rouvrir"
    assert ReopenMetadata.load(view["private_metadata"]) == metadata
    retired = out_of_date_message(company_name="Larkspur & Co", locale="fr_FR")
    assert validate_message_blocks(retired["blocks"]) == []
    assert "Plus à jour\u00a0: lancez `/bills`." in retired["text"]
    assert not [b for b in retired["blocks"] if b["type"] == "actions"]
