"""The modals: reject or reopen with a reason, pay a bill, the digest settings, and the views a
modal turns into (work under way, a result, an error), each built here once for every surface
that shows it. Pure functions; each returns a `view` dict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from billpay.core.domain import CaseView, PaymentOutcome
from billpay.core.i18n import N_, SOURCE_LANGUAGE, words
from billpay.core.money import minor_units, quantize
from billpay.digest.schedule import Subscription
from billpay.payments.form import AccountChoice, FormContext, PayPreview, preview_payment
from billpay.slack.blocks import fields
from billpay.slack.blocks.card_extras import pay_confirmations
from billpay.slack.blocks.fields import MAX_OPTIONS
from billpay.slack.blocks.frame import TITLE_LIMIT, bill_summary, modal
from billpay.slack.blocks.ids import Block, Callback, Input
from billpay.slack.blocks.metadata import (
    MAX_PRIVATE_METADATA,
    DigestMetadata,
    OfferedAccount,
    PayMetadata,
    RejectMetadata,
    ReopenMetadata,
)
from billpay.slack.blocks.outcomes import result_text
from billpay.slack.blocks.text import day, money, plain, weekday

# Room kept in the Pay modal's metadata for everything but the accounts it offers.
PAY_METADATA_RESERVE = 400


def reject_modal(
    case: CaseView, metadata: RejectMetadata, *, locale: str, today: date
) -> dict[str, Any]:
    _ = words(locale)
    return modal(
        _("Reject bill"),
        [
            bill_summary(case, locale=locale, today=today),
            *already_paid_warning(case, locale),
            fields.text_input(
                Input.REJECT_REASON,
                _("Why is it rejected?"),
                placeholder=_("e.g. Duplicate of INV-1001; not our order"),
                hint=_("The reason is shown on the card to everyone in the channel."),
                multiline=True,
                max_length=500,
            ),
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _("A rejected bill can't be paid from Slack.")}
                ],
            },
        ],
        callback_id=Callback.REJECT,
        submit=_("Reject"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def already_paid_warning(case: CaseView, locale: str) -> list[dict[str, Any]]:
    """Said before a partly paid bill is rejected: what has gone out already stays paid."""
    if case.paid_amount <= 0:
        return []
    _ = words(locale)
    text = _(
        ":warning: *{paid} has already been paid* on this bill. Rejecting it does not get "
        "that money back; only the {due} still due will not be paid from Slack.",
        paid=money(case.paid_amount, case.currency, locale),
        due=money(case.amount_due, case.currency, locale),
    )
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def reopen_modal(
    case: CaseView, metadata: ReopenMetadata, *, locale: str, today: date
) -> dict[str, Any]:
    """Asks why a rejected bill is reopened; it then waits for approval again."""
    _ = words(locale)
    return modal(
        _("Reopen bill"),
        [
            bill_summary(case, locale=locale, today=today),
            fields.text_input(
                Input.REOPEN_REASON,
                _("Why is it reopened?"),
                placeholder=_("e.g. The supplier sent a corrected invoice"),
                hint=_(
                    "It goes back to waiting for approval; earlier approvals no longer count. "
                    "The reason is kept in the audit trail and posted under the card."
                ),
                multiline=True,
                max_length=500,
            ),
        ],
        callback_id=Callback.REOPEN,
        submit=_("Reopen"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
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


@dataclass(frozen=True)
class PayEntry:
    """What the payer has entered in the Pay modal so far: kept when the modal is redrawn."""

    account_id: str | None = None
    amount: str | None = None
    rate: str | None = None
    payment_date: str | None = None
    reference: str | None = None

    def chosen_date(self, default: date) -> date:
        try:
            return date.fromisoformat(self.payment_date or "")
        except ValueError:
            return default


def pay_modal(
    case: CaseView,
    metadata: PayMetadata,
    *,
    locale: str,
    today: date,
    entry: PayEntry | None = None,
) -> dict[str, Any]:
    """The Pay modal, as it opens or (`entry`) as the payer has filled it so far. The account,
    amount, rate and date tell the bot when they change, so that the preview under them (the
    rate, what the payment comes to in the company's currency, the date it is scheduled for,
    or what is wrong with what was typed) is redrawn before anything is submitted."""
    _ = words(locale)
    due = money(metadata.amount_due, case.currency, locale)
    offered_ids = [account.id for account in metadata.accounts]
    account_id = entry.account_id if entry and entry.account_id in offered_ids else None
    account_id = account_id or (offered_ids[0] if offered_ids else None)
    amount = entry.amount if entry else amount_text(metadata.amount_due, case.currency, locale)
    preview = preview_payment(
        form_context(metadata, today),
        account_id=account_id,
        amount=amount,
        rate=entry.rate if entry else None,
    )
    blocks = [
        bill_summary(case, locale=locale, today=today),
        fields.select_input(
            Input.PAY_ACCOUNT,
            _("Pay from"),
            [(account.id, account_label(offered_choice(account))) for account in metadata.accounts],
            initial=account_id,
            hint=_("Accounts in {currency} are listed first.", currency=case.currency),
            dispatch=True,
        ),
        fields.text_input(
            Input.PAY_AMOUNT,
            _("Amount ({currency})", currency=case.currency),
            initial=amount,
            hint=_("Up to {amount}. Pay less for a partial payment.", amount=due),
            max_length=32,
            dispatch=True,
        ),
    ]
    base = metadata.base_currency
    if case.currency != base:
        blocks.append(
            fields.text_input(
                Input.PAY_RATE,
                _(
                    "Exchange rate ({base_currency} per 1 {currency})",
                    base_currency=base,
                    currency=case.currency,
                ),
                initial=entry.rate if entry else None,
                placeholder=_(
                    "{base_currency} per 1 {currency}", base_currency=base, currency=case.currency
                ),
                hint=_(
                    "Your books are in {base_currency}: how many {base_currency} one {currency} "
                    "is worth, whichever account pays.",
                    base_currency=base,
                    currency=case.currency,
                ),
                max_length=32,
                dispatch=True,
            )
        )
    chosen = entry.chosen_date(today) if entry else today
    later = chosen if chosen > today else None
    blocks += [
        {
            "type": "context",
            "block_id": Block.PAY_PREVIEW,
            "elements": [
                {
                    "type": "plain_text",
                    "text": plain(preview_text(preview, locale, later=later), 2000),
                }
            ],
        },
        fields.date_input(
            Input.PAY_DATE,
            _("Payment date"),
            initial=chosen,
            hint=_("Today records the payment now; a later date schedules it."),
            dispatch=True,
        ),
        fields.text_input(
            Input.PAY_REFERENCE,
            _("Reference"),
            initial=entry.reference if entry else case.reference,
            max_length=100,
            optional=True,
        ),
    ]
    # A possible duplicate or an open question: boxes the payer must tick (see card_extras).
    blocks += pay_confirmations(case, locale=locale, today=today)
    return modal(
        _("Pay bill"),
        blocks,
        callback_id=Callback.PAY,
        submit=_("Pay"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def form_context(metadata: PayMetadata, today: date) -> FormContext:
    """What a Pay modal's entries are read against: only what its metadata carries."""
    return FormContext(
        bill_currency=metadata.currency,
        base_currency=metadata.base_currency,
        amount_due=metadata.amount_due,
        accounts={a.id: offered_choice(a) for a in metadata.accounts},
        locale=metadata.locale,
        idempotency_key=metadata.idempotency_key,
        today=today,
    )


def rate_text(currency: str, rate: Decimal, base: str, locale: str) -> str:
    """`1 EUR = 0.8612 GBP` (`0,8612` in French): which way the rate goes can't be misread."""
    return f"1 {currency} = {format_decimal(rate, format='0.#########', locale=locale)} {base}"


def preview_text(preview: PayPreview, locale: str, *, later: date | None = None) -> str:
    """The line under the amount and rate: what will be paid, as the modal reads it now, and
    (`later`) the later date it is scheduled for rather than paid now."""
    _ = words(locale)
    if preview.amount_problem:
        return f"⚠️ {_(preview.amount_problem)}"
    text = _preview_amount(preview, locale, later=later)
    shows_rate = preview.rate_needed and not preview.rate_problem and preview.base_amount
    if later is not None and shows_rate:
        text += " " + _("Scheduled for {day}, not paid now.", day=day(later, locale))
    return text


def _preview_amount(preview: PayPreview, locale: str, *, later: date | None) -> str:
    _ = words(locale)
    amount = money(preview.amount, preview.bill_currency, locale) if preview.amount else ""
    account = preview.account
    if not preview.rate_needed:
        name = plain(account.name, 75) if account else ""
        if later is not None:
            when = day(later, locale)
            if account is None:
                return _("Schedules {amount} for {day}.", amount=amount, day=when)
            return _(
                "Schedules {amount} from {account} for {day}.",
                amount=amount,
                account=name,
                day=when,
            )
        if account is None:
            return _("Pays {amount}.", amount=amount)
        return _("Pays {amount} from {account}.", amount=amount, account=name)
    base, currency = preview.base_currency, preview.bill_currency
    if preview.rate_missing:
        return _(
            "Enter the exchange rate (how many {base} one {currency} is worth) to see what "
            "{amount} comes to in {base}.",
            base=base,
            currency=currency,
            amount=amount,
        )
    if preview.rate_problem or preview.rate is None or preview.base_amount is None:
        return f"⚠️ {_(preview.rate_problem) if preview.rate_problem else ''}".strip()
    values = {
        "rate": rate_text(currency, preview.rate, base, locale),
        "amount": amount,
        "converted": "≈ " + money(preview.base_amount, base, locale),
        "account": plain(account.name, 75) if account else "",
    }
    if account is not None and account.currency == base:
        return _("{rate}: {converted} leaves {account} to pay {amount}.", **values)
    if account is not None:
        return _("{rate}: {amount} leaves {account}, {converted} in your books.", **values)
    return _("{rate}: {amount} is {converted}.", **values)


PAY_TITLE = N_("Pay bill")


LOADING = N_("Loading…")
FETCHING_BILL = N_("Fetching the bill and your bank accounts…")


def loading_modal(title: str, *, locale: str, text: str = LOADING) -> dict[str, Any]:
    """What a modal shows while what it is for is read (the Pay form's bill and accounts,
    say); `title` and `text` are catalog texts. The bot puts the modal in its place."""
    _ = words(locale)
    return modal(
        _(title),
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": ":hourglass_flowing_sand: " + _(text)},
            }
        ],
        callback_id=Callback.LOADING,
        locale=locale,
    )


def progress_view(text: str, *, locale: str) -> dict[str, Any]:
    """The Pay modal while the payment is being recorded."""
    return waiting_modal(PAY_TITLE, text, locale=locale)


def payment_result_modal(outcome: PaymentOutcome, *, locale: str) -> dict[str, Any]:
    """The Pay modal once the payment is recorded, scheduled, held or refused: what the payer
    sees whether the payment went out at once or later from the scheduler."""
    emoji, text = result_text(outcome, locale)
    return message_modal(PAY_TITLE, text, emoji=emoji, locale=locale)


def message_modal(
    title: str,
    text: str,
    *,
    emoji: str = ":information_source:",
    locale: str = SOURCE_LANGUAGE,
) -> dict[str, Any]:
    """A modal that only tells something, e.g. the result of a payment or why it can't start.
    A `title` that is a catalog text (`PAY_TITLE`) is shown in the reader's language."""
    return modal(
        words(locale)(title) if title else title,
        [{"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} {text}"}}],
        callback_id=Callback.RESULT,
        locale=locale,
    )


def waiting_modal(title: str, text: str, *, locale: str) -> dict[str, Any]:
    """What a modal shows while its work is under way."""
    return message_modal(title, text, emoji=":hourglass_flowing_sand:", locale=locale)


def done_modal(title: str, text: str, *, locale: str) -> dict[str, Any]:
    """What a modal shows once its work is done."""
    return message_modal(title, text, emoji=":white_check_mark:", locale=locale)


def error_modal(title: str, text: str, *, locale: str) -> dict[str, Any]:
    """What a modal shows when its work failed or can't start: the modal keeps its title (as
    Slack sent it, already in the reader's language) and says why; its Close button is in the
    reader's language too."""
    return message_modal(plain(title, TITLE_LIMIT), text, emoji=":x:", locale=locale)


WHEN_EMPTY = "post_when_empty"


def digest_modal(
    subscription: Subscription, metadata: DigestMetadata, *, locale: str
) -> dict[str, Any]:
    """`/billpay digest`: when the channel's daily digest goes out and what it covers."""
    _ = words(locale)
    return modal(
        _("Daily digest"),
        [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _(
                        "The digest of *{company}*: what is overdue, due today and due soon, "
                        "bills awaiting approval and scheduled payments.",
                        company=plain(subscription.company_name, 100),
                    ),
                },
            },
            *digest_inputs(subscription, locale=locale),
        ],
        callback_id=Callback.DIGEST,
        submit=_("Save"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def digest_inputs(subscription: Subscription, *, locale: str) -> list[dict[str, Any]]:
    """The digest's settings as inputs: in its own form and in the channel's policy form."""
    _ = words(locale)
    return [
        fields.text_input(
            Input.DIGEST_TIME,
            _("Time"),
            initial=subscription.local_time.strftime("%H:%M"),
            hint=_("Local time, 24-hour clock, e.g. 09:00."),
            max_length=5,
        ),
        fields.text_input(
            Input.DIGEST_ZONE,
            _("Time zone"),
            initial=subscription.time_zone,
            hint=_("An IANA time zone, e.g. Europe/London or America/New_York."),
            max_length=64,
        ),
        fields.checkboxes_input(
            Input.DIGEST_WEEKDAYS,
            _("Days"),
            [(str(number), weekday(number, locale)) for number in range(1, 8)],
            initial=[str(day) for day in subscription.weekdays],
        ),
        fields.text_input(
            Input.DIGEST_LOOK_AHEAD,
            _("Look ahead (days)"),
            initial=str(subscription.look_ahead_days),
            hint=_("Bills due within this many days count as due soon."),
            max_length=2,
        ),
        fields.checkboxes_input(
            Input.DIGEST_WHEN_EMPTY,
            _("When nothing is due"),
            [(WHEN_EMPTY, _("Post anyway"))],
            initial=[WHEN_EMPTY] if subscription.post_when_empty else [],
            optional=True,
        ),
    ]
