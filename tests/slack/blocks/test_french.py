"""Every Slack surface in French: each one rendered for a `fr_FR` reader from the seeded sandbox
(the `billpay preview` surfaces) and from built cases (every card state, the digest, reminders,
`/billpay status`, payment outcomes), valid Block Kit within Slack's limits, and with no English
left in what a person reads once the accounting platform's own data is taken out."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Message

from billpay.bills.companies import PLATFORMS
from billpay.bills.listing import BillFilter
from billpay.core.catalogs import read
from billpay.core.domain import (
    CaseState,
    CaseView,
    Nudge,
    PaymentOutcome,
    PaymentView,
    PolicyCount,
)
from billpay.core.i18n import words
from billpay.digest.compute import compute_digest
from billpay.digest.schedule import Subscription
from billpay.payables.client import PayablesClient
from billpay.payments.words import NOT_RECORDED, failure_text
from billpay.runtime.preview import SURFACES, preview_surfaces
from billpay.slack.blocks.bills.card import card_blocks, details_blocks
from billpay.slack.blocks.bills.message import navigation
from billpay.slack.blocks.connect import (
    authorise_message,
    connect_modal,
    disconnect_confirm,
    disconnected_text,
)
from billpay.slack.blocks.digest import digest_empty_message, digest_message
from billpay.slack.blocks.home import home_view
from billpay.slack.blocks.metadata import ConnectMetadata, DigestMetadata
from billpay.slack.blocks.modals import (
    FETCHING_BILL,
    PAY_TITLE,
    digest_modal,
    loading_modal,
    message_modal,
    progress_view,
)
from billpay.slack.blocks.outcomes import payment_line, result_text
from billpay.slack.blocks.reminders import nudge_text
from billpay.slack.blocks.status import BILLPAY_HELP, policy_line, status_text
from billpay.slack.blocks.suppliers import supplier_blocks
from slack_playground.blockkit import validate_message_blocks, validate_view
from testkit.digests import TODAY, bill, case_of, scheduled
from testkit.world import bot_settings

FR = "fr_FR"
# The policy as `/billpay status` states it: the default, two approvals above an amount, an
# approver who may pay, small bills approved by policy.
POLICY_COUNTS = (
    PolicyCount(2, None, None, False, None),
    PolicyCount(2, 3, Decimal(1000), False, (Decimal(50), 48)),
    PolicyCount(1, 2, Decimal(1000), True, None),
    PolicyCount(1, None, None, True, (Decimal(50), 1)),
)
# English words that must never reach a French reader, whatever the catalog says.
NEVER_IN_FRENCH = (
    "Approve",
    "Reject",
    "due",
    "Due",
    "overdue",
    "Paid",
    "paid",
    "of",
    "bills",
    "Nothing",
    "Cancel",
    "Undo",
    "Details",
    "Refresh",
    "payment",
    "scheduled",
)
# Data of the accounting platform and of these tests, shown as it is written.
TEST_DATA = ("Business Current", "Larkspur Design Studio Ltd", "Europe/Paris", "Duplicate")
TEST_DATA += ("XR-42", *(f"Supplier {n}" for n in range(7)))
PRODUCT = "Bill Pay"  # the app's name, the same in every language


def _payment(case: CaseView, **changes: Any) -> PaymentView:
    view = PaymentView(
        id=7,
        status="recorded",
        amount=case.amount_due,
        currency=case.currency,
        account_name="Business Current",
        account_currency=case.currency,
        exchange_rate=None,
        payment_date=TODAY,
        reference=case.reference,
        requested_by="U0SAM",
        error=None,
    )
    return replace(view, **changes)


def _cases() -> list[CaseView]:
    """A card in every state a person can meet."""
    gbp = case_of(bill(1, due_in=-3, amount="3000.00"))
    euro = case_of(bill(2, due_in=4, amount="990.00", currency="EUR"))
    partly = replace(gbp, amount_due=Decimal("1000.00"))
    future = TODAY + timedelta(days=5)
    paid_rate = _payment(
        euro, exchange_rate=Decimal("0.8612"), base_currency="GBP", account_currency="GBP"
    )
    return [
        gbp,
        replace(gbp, approvals=("U0ANA",), approvals_required=2),
        replace(partly, bill_status="PartiallyPaid"),
        replace(gbp, state=CaseState.APPROVED, approvals=("U0ANA",)),
        replace(gbp, state=CaseState.APPROVED, approvals=("U0ANA", "U0BEN"), approvals_required=2),
        replace(gbp, state=CaseState.REJECTED, rejected_by="U0BEN", reject_reason="Duplicate"),
        replace(gbp, state=CaseState.REJECTED, rejected_by=None, reject_reason="Duplicate"),
        replace(gbp, state=CaseState.PAYING, last_payment=_payment(gbp, status="requested")),
        replace(
            gbp,
            state=CaseState.SCHEDULED,
            last_payment=_payment(gbp, status="requested", send_after=datetime(2026, 11, 23, 12)),
        ),
        scheduled(bill(3, due_in=9), future),
        replace(
            partly,
            state=CaseState.SCHEDULED,
            scheduled=_payment(partly, amount=Decimal(500), payment_date=future),
        ),
        replace(euro, state=CaseState.PAID, amount_due=Decimal(0), last_payment=paid_rate),
        replace(gbp, state=CaseState.FAILED, last_payment=_payment(gbp, status="refused")),
        replace(
            partly,
            state=CaseState.IN_DOUBT,
            last_payment=_payment(partly, status="in_doubt"),
            scheduled=_payment(partly, amount=Decimal(500), payment_date=future),
        ),
        replace(
            gbp,
            state=CaseState.IN_DOUBT,
            platform="Xero",
            last_payment=_payment(gbp, status="in_doubt", needs_person=True),
        ),
        replace(gbp, estimated=True, state=CaseState.APPROVED, approvals=("U0ANA",)),
        replace(gbp, state=CaseState.CLOSED, note="XR-42", bill_status="Void"),
    ]


def _messages(locale: str = FR) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every message and view built here, by name."""
    for n, case in enumerate(_cases()):
        yield f"card {n}", {"blocks": card_blocks(case, locale=locale, today=TODAY)}
        yield f"details {n}", {"blocks": details_blocks(case, locale=locale, today=TODAY)}
    yield "navigation", {"blocks": [navigation(1, 3, "overdue", locale=locale)]}

    bills = [
        bill(1, due_in=-3, amount="3000.00"),
        bill(2, due_in=0, amount="50.00", currency="EUR"),
        bill(3, due_in=1, amount="9.99"),
        bill(4, due_in=5, amount="120.00", currency="USD"),
        bill(5, due_in=6, amount="75.00", currency="CHF"),
        bill(6, due_in=2, amount="80.00", currency="JPY"),
    ]
    cases = {
        bills[1].id: case_of(bills[1], state=CaseState.APPROVED, approvals=("U0ANA",)),
        bills[2].id: scheduled(bills[2], TODAY + timedelta(days=1)),
        bills[3].id: case_of(bills[3], state=CaseState.FAILED),
        bills[4].id: case_of(bills[4], state=CaseState.PAYING),
    }
    for approvers in ([], ["U0ANA", "U0BEN"]):
        digest = compute_digest(bills, cases, approvers=approvers, base_currency="GBP", today=TODAY)
        yield (
            f"digest {len(approvers)}",
            digest_message(
                digest, company_name="Larkspur Design Studio Ltd", locale=locale, today=TODAY
            ),
        )
    yield (
        "empty digest",
        digest_empty_message(
            company_name="Larkspur Design Studio Ltd", locale=locale, today=TODAY, look_ahead_days=7
        ),
    )

    case = case_of(bills[0])
    for kind, who in (("remind", ("U0ANA",)), ("escalate", ()), ("approved_by_policy", ())):
        nudge = Nudge(kind, "T0", 1, case, who, timedelta(hours=25))  # type: ignore[arg-type]
        text = nudge_text(nudge, locale=locale, today=TODAY)
        yield f"nudge {kind}", {"text": text, "blocks": []}

    subscription = Subscription(
        id=1,
        link_id=1,
        team_id="T0",
        channel_id="C0FIN",
        company_id="c",
        connection_id="x",
        company_name="Larkspur Design Studio Ltd",
        base_currency="GBP",
        local_time=time(9, 0),
        time_zone="Europe/Paris",
    )
    for n, sub in enumerate(
        (
            None,
            subscription,
            replace(subscription, post_when_empty=True, look_ahead_days=1),
            replace(subscription, paused=True, paused_reason=None),
        )
    ):
        policy = policy_line(POLICY_COUNTS[n % len(POLICY_COUNTS)], "GBP", locale=locale)
        text = status_text("Larkspur Design Studio Ltd", "GBP", "", "", policy, sub, locale=locale)
        yield f"status {n}", {"text": text, "blocks": []}
    metadata = DigestMetadata(channel_id="C0FIN", subscription_id=1)
    yield "digest modal", digest_modal(subscription, metadata, locale=locale)

    gbp = case_of(bills[0])
    euro = case_of(bills[1])
    rated = _payment(euro, exchange_rate=Decimal("0.8612"), base_currency="GBP")
    for status in ("recorded", "scheduled", "failed", "cancelled", "not_sent"):
        for paid_case, payment in ((gbp, _payment(gbp)), (replace(euro, amount_due=0), rated)):
            outcome = PaymentOutcome(paid_case, status, "", payment)
            line = payment_line(outcome, locale)
            assert line is not None
            yield f"thread {status} {paid_case.currency}", {"text": line, "blocks": []}
    unknown = _payment(gbp, status="in_doubt")
    line = payment_line(PaymentOutcome(gbp, "in_doubt", "", unknown), locale)
    yield "thread in doubt", {"text": line or "", "blocks": []}
    for status in ("recorded", "scheduled", "held"):
        for paid_case in (gbp, replace(gbp, amount_due=Decimal(0))):
            emoji, text = result_text(PaymentOutcome(paid_case, status, "", _payment(gbp)), locale)
            yield f"result {status}", message_modal(PAY_TITLE, text, emoji=emoji, locale=locale)
    yield "loading", loading_modal(PAY_TITLE, locale=locale, text=FETCHING_BILL)
    yield "loading, any", loading_modal(PAY_TITLE, locale=locale)
    yield "progress", progress_view("…", locale=locale)
    yield "home, no link", home_view([], locale=locale)
    yield "no supplier", supplier_blocks("zzz", [], locale=locale)
    yield "help", {"text": words(locale)(BILLPAY_HELP), "blocks": []}
    metadata = ConnectMetadata(channel_id="C0FIN", idempotency_key=str(uuid.UUID(int=1)))
    for n, companies in enumerate(([], [("c1", "Larkspur Design Studio Ltd")])):
        yield f"connect form {n}", connect_modal(companies, PLATFORMS, metadata, locale=locale)
    yield (
        "authorise",
        authorise_message(
            "Larkspur Design Studio Ltd", "Xero", "https://link.example/x", 60, locale=locale
        ),
    )
    cancelled = [("Acme Ltd", Decimal("120.00"), "GBP", TODAY)] * 12
    yield (
        "disconnect",
        disconnect_confirm(3, "Larkspur Design Studio Ltd", cancelled, locale=locale),
    )
    yield (
        "disconnected",
        {
            "text": disconnected_text(
                "U0ANA", "Larkspur Design Studio Ltd", cancelled, locale=locale
            ),
            "blocks": [],
        },
    )


def _visible(node: Any) -> Iterator[str]:
    """Every string a person reads in a message or view: texts, titles, labels, placeholders,
    options and initial values; ids, button values and metadata left out."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if key in ("text", "title", "initial_value"):
                    yield value
            else:
                yield from _visible(value)
    elif isinstance(node, list):
        for item in node:
            yield from _visible(item)


def _readable(text: str, data: list[str]) -> str:
    """`text` without what is not words of ours: the platform's data, mentions, emoji, and
    commands (`/bills due 7d` is typed as it is, in every language)."""
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, " ")
    text = re.sub(r"<[@#!][^>]*>", " ", text)  # mentions and channel links
    text = re.sub(r":[a-z_]+:", " ", text)  # emoji
    text = re.sub(r"`[^`]*`", " ", text)  # commands
    return text


def _fragments(text: str) -> list[str]:
    """The literal parts of a catalog text between its placeholders, each holding a word."""
    parts = (part.strip(" .,;:·*()…→←\n") for part in re.split(r"\{\w*\}", text))
    return [part for part in parts if re.search(r"[A-Za-z]{3}", part)]


def _english_left(catalog: list[Message]) -> list[tuple[str, str]]:
    """(English fragment, its French) for each catalog text the French says differently."""
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        french = " ".join(strings)
        for english in ids:
            for fragment in _fragments(english):
                if not re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", french):
                    pairs.append((fragment, french))
    return pairs


def _problems(surface: dict[str, Any]) -> list[str]:
    if surface.get("type") in ("modal", "home"):
        return validate_view(surface)
    return validate_message_blocks(surface["blocks"]) if surface["blocks"] else []


def _english_in(surfaces: dict[str, dict[str, Any]], data: list[str]) -> dict[str, list[str]]:
    # Each pattern compiled once: there are more than `re` keeps compiled, so searching by
    # pattern text compiled every one again for every surface.
    never = [(w, re.compile(rf"(?<!\w){w}(?!\w)")) for w in NEVER_IN_FRENCH]
    english = [
        (fragment, re.compile(rf"(?<!\w){re.escape(fragment)}(?!\w)"))
        for fragment, _ in _english_left(list(read("fr")))
    ]
    found: dict[str, list[str]] = {}
    for name, surface in surfaces.items():
        text = _readable("\n".join(_visible(surface)), data)
        words = {w for w, pattern in never if pattern.search(text)}
        words |= {
            fragment for fragment, pattern in english if fragment in text and pattern.search(text)
        }
        if words:
            found[name] = sorted(words)
    return found


async def _platform_data(payables: PayablesClient) -> list[str]:
    """Names and references as the accounting platform writes them, and the words of the
    listing's headline, which the listing translates."""
    data = [*TEST_DATA, PRODUCT]
    async for company in payables.iter_companies():
        data.append(company.name)
        for connection in company.data_connections:
            if connection.status != "Linked" or connection.source_type != "Accounting":
                continue
            info = await payables.get_company_information(company.id, connection.id)
            data.append(info.company_name or "")
            async for listed in payables.iter_bills(company.id, connection.id):
                data += [listed.reference or "", listed.supplier_ref.supplier_name or ""]
            async for supplier in payables.iter_suppliers(company.id, connection.id):
                data += [supplier.supplier_name or "", supplier.contact_name or ""]
                data += [supplier.email_address or "", supplier.phone or "", supplier.status or ""]
            options = await payables.get_payment_mapping_options(company.id, connection.id)
            data += [account.name or "" for account in options.bank_accounts]
            # The new bill form offers the platform's expense accounts and tax rates by name.
            mapping = await payables.get_bill_mapping_options(company.id, connection.id)
            data += [account.name or "" for account in mapping.accounts]
            data += [rate.name or "" for rate in mapping.tax_rates]
    return [item for item in data if item]


async def test_every_surface_reads_french_for_a_french_reader(payables: PayablesClient) -> None:
    surfaces = await preview_surfaces(payables, bot_settings(), TODAY, locale=FR)
    assert set(surfaces) == set(SURFACES)
    surfaces.update(_messages())
    data = await _platform_data(payables)
    # The listing's headline ("3 outstanding bills") is worded by `billpay.bills.listing`.
    data += [BillFilter().headline(n) for n in range(1, 60)]

    assert {name: _problems(surface) for name, surface in surfaces.items()} == {
        name: [] for name in surfaces
    }
    assert _english_in(surfaces, data) == {}
    shown = json.dumps(surfaces, ensure_ascii=False)
    assert "3\u202f000,00\xa0GBP" in shown  # a £3,000.00 bill as Babel writes it in French
    assert "0,8612" in shown and "≈" in shown  # the rate with a French decimal comma


async def test_the_check_catches_english(payables: PayablesClient) -> None:
    """The same check finds English words when the surfaces are rendered in English."""
    surfaces = await preview_surfaces(payables, bot_settings(), TODAY, locale="en_GB")
    data = await _platform_data(payables)
    found = _english_in(surfaces, data)
    assert {"Approve", "Reject", "Details"} <= set(found["bills"])
    assert "Pay from" in found["pay-modal"]


@pytest.mark.parametrize("locale", ["fr_FR", "en_GB"])
def test_plain_text_limits_hold_in_each_language(locale: str) -> None:
    """Buttons (75), modal titles and their buttons (24) fit in either language."""
    for name, surface in _messages(locale):
        assert _problems(surface) == [], name


def test_marked_strings_are_written_where_the_catalogs_find_them() -> None:
    """`words(locale)("text")` is translated at run time but never extracted into the catalogs:
    the text must be marked as `_("text")` (or `N_`) for `make messages` to see it."""
    root = Path(__file__).resolve().parents[2]
    unmarked = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("blocks", "handlers", "bot")
        for path in (root / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"words\([^()]*\)\(\s*(f?[\"']|$)", line)
    ]
    assert unmarked == []


def test_a_stored_cause_is_translated_before_it_is_cut() -> None:
    """A payment's cause that is a catalog sentence reads in French; any other (the accounting
    platform's own words) is shown as written, escaped and cut to the card's room."""
    assert failure_text(None, locale=FR) == (
        "Le règlement n’a pas été enregistré. Rien n’a été payé."
    )
    assert failure_text(NOT_RECORDED, locale=FR).startswith("Le règlement n’a")
    platform = "Insufficient funds <@U0EVE> " + "x" * 400
    text = failure_text(platform, locale=FR, limit=300)
    assert text.startswith("Insufficient funds &lt;@U0EVE&gt; ") and "<@" not in text
    assert "…" in text and text.endswith("Rien n’a été payé.")
    assert failure_text(platform, locale="en_GB").endswith("Nothing was paid.")
