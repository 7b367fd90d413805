"""The modals: reject with a reason, pay a bill, and the progress and result views shown while a
payment is being recorded. Pure functions; each returns a `view` dict."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from blocks import fields
from blocks.bills import bill_text
from blocks.fields import MAX_OPTIONS
from blocks.ids import Callback, Input
from blocks.metadata import (
    MAX_PRIVATE_METADATA,
    DigestMetadata,
    OfferedAccount,
    PayMetadata,
    RejectMetadata,
)
from blocks.text import money, plain
from bot.digest.schedule import Subscription
from bot.domain import CaseView
from bot.money import minor_units, quantize
from bot.payment_form import AccountChoice

TITLE_LIMIT = 24
# Room kept in the Pay modal's metadata for everything but the accounts it offers.
PAY_METADATA_RESERVE = 400


def _modal(
    title: str,
    blocks: list[dict[str, Any]],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    metadata: str | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": plain(title, TITLE_LIMIT)},
        "close": {"type": "plain_text", "text": close},
        "blocks": blocks,
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = {"type": "plain_text", "text": submit}
    if metadata:
        view["private_metadata"] = metadata
    return view


def bill_summary(case: CaseView, *, locale: str, today: date) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": bill_text(case, locale=locale, today=today)},
    }


def reject_modal(
    case: CaseView, metadata: RejectMetadata, *, locale: str, today: date
) -> dict[str, Any]:
    return _modal(
        "Reject bill",
        [
            bill_summary(case, locale=locale, today=today),
            fields.text_input(
                Input.REJECT_REASON,
                "Why is it rejected?",
                placeholder="e.g. Duplicate of INV-1001; not our order",
                hint="The reason is shown on the card to everyone in the channel.",
                multiline=True,
                max_length=500,
            ),
        ],
        callback_id=Callback.REJECT,
        submit="Reject",
        close="Cancel",
        metadata=metadata.dump(),
    )


def amount_text(amount: Decimal, currency: str, locale: str) -> str:
    """An amount as the reader writes numbers, without the currency: `1,250.00`, `1 250,00`."""
    digits = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(quantize(amount, currency), format=pattern, locale=locale)


def account_label(account: AccountChoice) -> str:
    """Currency first, so that a long name cut at Slack's 75 characters keeps it."""
    return f"{account.currency} · {account.name}"


def offered(accounts: list[AccountChoice]) -> tuple[OfferedAccount, ...]:
    """The accounts a Pay modal offers, as its metadata records them: as many as fit in
    `private_metadata`, the bill's currency first (the order they come in)."""
    chosen: list[OfferedAccount] = []
    budget = MAX_PRIVATE_METADATA - PAY_METADATA_RESERVE
    for account in accounts[:MAX_OPTIONS]:
        entry = OfferedAccount(
            id=account.id, currency=account.currency, name=plain(account.name, 75)
        )
        budget -= len(entry.model_dump_json(by_alias=True)) + 1
        if budget < 0:
            break
        chosen.append(entry)
    return tuple(chosen)


def offered_choice(account: OfferedAccount) -> AccountChoice:
    return AccountChoice(id=account.id, name=account.name, currency=account.currency)


def pay_modal(
    case: CaseView,
    metadata: PayMetadata,
    *,
    locale: str,
    today: date,
) -> dict[str, Any]:
    due = money(case.payable_amount, case.currency, locale)
    blocks = [
        bill_summary(case, locale=locale, today=today),
        fields.select_input(
            Input.PAY_ACCOUNT,
            "Pay from",
            [(account.id, account_label(offered_choice(account))) for account in metadata.accounts],
            initial=metadata.accounts[0].id if metadata.accounts else None,
            hint=f"Accounts in {case.currency} are listed first.",
        ),
        fields.text_input(
            Input.PAY_AMOUNT,
            f"Amount ({case.currency})",
            initial=amount_text(case.payable_amount, case.currency, locale),
            hint=f"Up to {due}. Pay less for a partial payment.",
            max_length=32,
        ),
        fields.date_input(
            Input.PAY_DATE,
            "Payment date",
            initial=today,
            hint="Today records the payment now; a later date schedules it.",
        ),
        fields.text_input(
            Input.PAY_REFERENCE,
            "Reference",
            initial=case.reference,
            max_length=100,
            optional=True,
        ),
    ]
    base = metadata.base_currency
    if case.currency != base:
        blocks.append(
            fields.text_input(
                Input.PAY_RATE,
                f"Exchange rate ({base} per 1 {case.currency})",
                placeholder=f"{base} per 1 {case.currency}",
                hint=f"Your books are in {base}: how many {base} one {case.currency} is worth, "
                "whichever account pays.",
                max_length=32,
            )
        )
    return _modal(
        "Pay bill",
        blocks,
        callback_id=Callback.PAY,
        submit="Pay",
        close="Cancel",
        metadata=metadata.dump(),
    )


def loading_modal(
    title: str, text: str = "Fetching the bill and your bank accounts…"
) -> dict[str, Any]:
    return _modal(
        title,
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f":hourglass_flowing_sand: {text}"},
            }
        ],
    )


def progress_view(text: str) -> dict[str, Any]:
    return _modal(
        "Pay bill",
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f":hourglass_flowing_sand: {text}"},
            }
        ],
        callback_id=Callback.RESULT,
    )


def message_modal(title: str, text: str, *, emoji: str = ":information_source:") -> dict[str, Any]:
    """A modal that only tells something, e.g. the result of a payment or why it can't start."""
    return _modal(
        title,
        [{"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} {text}"}}],
        callback_id=Callback.RESULT,
    )


WEEKDAYS = [("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri")]
WEEKDAYS += [("6", "Sat"), ("7", "Sun")]
WHEN_EMPTY = "post_when_empty"


def digest_modal(subscription: Subscription, metadata: DigestMetadata) -> dict[str, Any]:
    """`/billpay digest`: when the channel's daily digest goes out and what it covers."""
    return _modal(
        "Daily digest",
        [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"The digest of *{plain(subscription.company_name, 100)}*: what is "
                    "overdue, due today and due soon, bills awaiting approval and scheduled "
                    "payments.",
                },
            },
            fields.text_input(
                Input.DIGEST_TIME,
                "Time",
                initial=subscription.local_time.strftime("%H:%M"),
                hint="Local time, 24-hour clock, e.g. 09:00.",
                max_length=5,
            ),
            fields.text_input(
                Input.DIGEST_ZONE,
                "Time zone",
                initial=subscription.time_zone,
                hint="An IANA time zone, e.g. Europe/London or America/New_York.",
                max_length=64,
            ),
            fields.checkboxes_input(
                Input.DIGEST_WEEKDAYS,
                "Days",
                WEEKDAYS,
                initial=[str(day) for day in subscription.weekdays],
            ),
            fields.text_input(
                Input.DIGEST_LOOK_AHEAD,
                "Look ahead (days)",
                initial=str(subscription.look_ahead_days),
                hint="Bills due within this many days count as due soon.",
                max_length=2,
            ),
            fields.checkboxes_input(
                Input.DIGEST_WHEN_EMPTY,
                "When nothing is due",
                [(WHEN_EMPTY, "Post anyway")],
                initial=[WHEN_EMPTY] if subscription.post_when_empty else [],
                optional=True,
            ),
        ],
        callback_id=Callback.DIGEST,
        submit="Save",
        close="Cancel",
        metadata=metadata.dump(),
    )
