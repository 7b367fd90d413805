"""The modals: reject with a reason, pay a bill, and the progress and result views shown while a
payment is being recorded. Pure functions; each returns a `view` dict."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from blocks import fields
from blocks.bills import bill_text
from blocks.ids import Callback, Input
from blocks.metadata import PayMetadata, RejectMetadata
from blocks.text import money, plain
from bot.domain import CaseView
from bot.money import minor_units, quantize
from bot.payment_form import AccountChoice

TITLE_LIMIT = 24


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


def account_value(account: AccountChoice) -> str:
    """The option's value carries the currency, so a submission can be checked at once."""
    return f"{account.currency}:{account.id}"


def accounts_in(view: dict[str, Any]) -> dict[str, AccountChoice]:
    """The accounts a Pay modal offered, by option value (read back from a submitted view)."""
    accounts: dict[str, AccountChoice] = {}
    for block in view.get("blocks", []):
        if block.get("block_id") != Input.PAY_ACCOUNT:
            continue
        for option in block["element"].get("options", []):
            currency, _, account_id = option["value"].partition(":")
            name = option["text"]["text"].partition(" · ")[2] or account_id
            accounts[option["value"]] = AccountChoice(account_id, name, currency)
    return accounts


def pay_modal(
    case: CaseView,
    accounts: list[AccountChoice],
    metadata: PayMetadata,
    *,
    locale: str,
    today: date,
) -> dict[str, Any]:
    due = money(case.amount_due, case.currency, locale)
    blocks = [
        bill_summary(case, locale=locale, today=today),
        fields.select_input(
            Input.PAY_ACCOUNT,
            "Pay from",
            [(account_value(account), account_label(account)) for account in accounts],
            initial=account_value(accounts[0]) if accounts else None,
            hint=f"Accounts in {case.currency} are listed first.",
        ),
        fields.text_input(
            Input.PAY_AMOUNT,
            f"Amount ({case.currency})",
            initial=amount_text(case.amount_due, case.currency, locale),
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
    foreign = sorted({a.currency for a in accounts if a.currency != case.currency})
    if foreign:
        blocks.append(
            fields.text_input(
                Input.PAY_RATE,
                "Exchange rate",
                placeholder=f"{metadata.base_currency} per 1 "
                f"{foreign[0] if case.currency == metadata.base_currency else case.currency}",
                hint=f"Only when the account's currency is not {case.currency}: how many "
                f"{metadata.base_currency} one unit of the other currency is worth.",
                max_length=32,
                optional=True,
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
