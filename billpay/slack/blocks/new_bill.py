"""The new bill modal (supplier by type-ahead, dates, currency, up to ten lines with their
expense account and tax rate, totals), the bank account modal, and what a new bill's card
thread says about its invoice. Pure functions; each returns a view or message dict."""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.core.domain import Duplicate
from billpay.core.i18n import words
from billpay.slack.blocks import fields
from billpay.slack.blocks.card_extras import duplicate_text, retry_upload_element
from billpay.slack.blocks.frame import modal
from billpay.slack.blocks.ids import (
    SupplierAction,
    SupplierBlock,
    SupplierCallback,
    SupplierInput,
    line_block,
)
from billpay.slack.blocks.invoices import invoice_file_input
from billpay.slack.blocks.metadata import BankAccountMetadata, NewBillMetadata, RetryUploadButton
from billpay.slack.blocks.suppliers import currency_options
from billpay.slack.blocks.text import escape, money, plain
from billpay.suppliers.rules import MAX_LINES, BillOptions, Choice, Totals

MAX_OPTIONS = 100
# The value of the box that says a flagged bill is not a duplicate.
NOT_A_DUPLICATE = "yes"


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": plain(text, 75)}, "value": value[:150]}


def supplier_options(suppliers: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options for the supplier type-ahead (`block_suggestion`), at most 100."""
    return [option(supplier_id, name) for supplier_id, name in suppliers[:MAX_OPTIONS]]


def _select(
    block_id: str,
    label: str,
    choices: list[Choice],
    *,
    initial: str | None,
    optional: bool,
    placeholder: str,
    dispatch: bool = False,
) -> dict[str, Any]:
    rendered = [option(c.id, c.name) for c in choices[:MAX_OPTIONS]]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": block_id,
        "placeholder": {"type": "plain_text", "text": plain(placeholder, 150)},
    }
    if rendered:
        element["options"] = rendered
    else:
        element["options"] = [option("-", "—")]
    chosen = next((o for o in rendered if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": plain(label, 2000)},
        "element": element,
        "optional": optional,
    }
    if dispatch:
        block["dispatch_action"] = True
    return block


def _dispatching(block: dict[str, Any]) -> dict[str, Any]:
    """An input whose changes reach the bot (Enter in a text field), to recompute totals."""
    block["dispatch_action"] = True
    block["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    return block


def totals_text(totals: Totals, currency: str, locale: str) -> str:
    _ = words(locale)
    return _(
        "Net {net} · Tax {tax} · *Total {total}*",
        net=money(totals.net, currency, locale),
        tax=money(totals.tax, currency, locale),
        total=money(totals.total, currency, locale),
    )


def new_bill_modal(
    metadata: NewBillMetadata,
    options: BillOptions,
    *,
    today: date,
    supplier: tuple[str, str] | None,
    currency: str,
    totals: Totals,
    values: dict[str, str] | None = None,
    duplicate: Duplicate | None = None,
) -> dict[str, Any]:
    """`supplier` is (id, name) when known; `values` are what the form held (block id to
    value), kept when the view is rebuilt for Add line or a new total. With `duplicate`, the
    bill it may duplicate is named above the totals and creating it needs a tick."""
    _ = words(metadata.locale)
    values = values or {}
    supplier_element: dict[str, Any] = {
        "type": "external_select",
        "action_id": SupplierInput.BILL_SUPPLIER,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": plain(_("Type a supplier’s name"), 150)},
    }
    if supplier is not None:
        supplier_element["initial_option"] = option(*supplier)
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": SupplierInput.BILL_SUPPLIER,
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": _("Supplier")},
            "element": supplier_element,
        },
    ]
    if metadata.file_name:
        blocks.append(
            {
                "type": "context",
                "block_id": SupplierBlock.FILE,
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            ":paperclip: {name} will be attached as the invoice.",
                            name=escape(metadata.file_name),
                        ),
                    }
                ],
            }
        )
    else:  # no file came with the form: one can be picked here
        blocks.append(
            invoice_file_input(
                SupplierInput.BILL_FILE, options.platform, metadata.locale, optional=True
            )
        )
    blocks += [
        fields.text_input(
            SupplierInput.BILL_REFERENCE,
            _("Reference"),
            initial=values.get(SupplierInput.BILL_REFERENCE),
            hint=_.ngettext(
                "The invoice number; the accounting platform takes up to {n} character.",
                "The invoice number; the accounting platform takes up to {n} characters.",
                options.reference_max,
            ),
            max_length=options.reference_max,
            optional=True,
        ),
        fields.date_input(
            SupplierInput.BILL_ISSUED,
            _("Issue date"),
            initial=_date(values.get(SupplierInput.BILL_ISSUED), today),
        ),
        fields.date_input(
            SupplierInput.BILL_DUE,
            _("Due date"),
            initial=_date(values.get(SupplierInput.BILL_DUE), today),
            hint=_("On or after the issue date."),
        ),
        fields.user_input(
            SupplierInput.BILL_REQUESTER,
            _("Requested by"),
            initial=values.get(SupplierInput.BILL_REQUESTER),
            hint=_("Who asked for this purchase, if not you. Neither of you can approve the bill."),
        ),
        fields.select_input(
            SupplierInput.BILL_CURRENCY,
            _("Currency"),
            currency_options(metadata.locale, first=currency),
            initial=currency,
        ),
    ]
    blocks[-1]["dispatch_action"] = True
    for index in range(metadata.lines):
        number = index + 1
        blocks += [
            {"type": "divider"} if index else {"type": "divider", "block_id": SupplierBlock.LINES},
            fields.text_input(
                line_block(SupplierInput.LINE_DESCRIPTION, index),
                _("Line {number}: description", number=number),
                initial=values.get(line_block(SupplierInput.LINE_DESCRIPTION, index)),
                max_length=500,
                optional=True,
                hint=_("A line left blank is left out.") if index else None,
            ),
            _dispatching(
                fields.text_input(
                    line_block(SupplierInput.LINE_AMOUNT, index),
                    _("Unit amount, before tax ({currency})", currency=currency),
                    initial=values.get(line_block(SupplierInput.LINE_AMOUNT, index)),
                    placeholder=money_example(currency, metadata.locale),
                    max_length=32,
                    optional=index > 0,
                )
            ),
            _dispatching(
                fields.text_input(
                    line_block(SupplierInput.LINE_QUANTITY, index),
                    _("Quantity"),
                    initial=values.get(line_block(SupplierInput.LINE_QUANTITY, index)) or "1",
                    max_length=16,
                    optional=True,
                )
            ),
            _select(
                line_block(SupplierInput.LINE_ACCOUNT, index),
                _("Expense account"),
                options.accounts,
                initial=values.get(line_block(SupplierInput.LINE_ACCOUNT, index)),
                optional=index > 0,
                placeholder=_("Choose an account"),
            ),
            _select(
                line_block(SupplierInput.LINE_TAX, index),
                _("Tax rate"),
                options.tax_rates,
                initial=values.get(line_block(SupplierInput.LINE_TAX, index)),
                optional=True,
                placeholder=_("No tax"),
                dispatch=True,
            ),
        ]
    if duplicate is not None:
        blocks += [
            {
                "type": "section",
                "block_id": SupplierBlock.DUPLICATE,
                "text": {
                    "type": "mrkdwn",
                    "text": ":warning: " + duplicate_text(duplicate, today, metadata.locale),
                },
            },
            fields.checkboxes_input(
                SupplierInput.BILL_NOT_DUPLICATE,
                _("Is it another bill?"),
                [(NOT_A_DUPLICATE, _("Yes: create it anyway"))],
                initial=[],
                hint=_("Same supplier and amount, and the same reference or a close issue date."),
            ),
        ]
    blocks.append(
        {
            "type": "section",
            "block_id": SupplierBlock.TOTALS,
            "text": {"type": "mrkdwn", "text": totals_text(totals, currency, metadata.locale)},
        }
    )
    if metadata.lines < MAX_LINES:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SupplierAction.ADD_LINE,
                        "text": {"type": "plain_text", "text": _("Add line")},
                        "value": str(metadata.lines),
                    }
                ],
            }
        )
    return modal(
        _("New bill"),
        blocks,
        callback_id=SupplierCallback.NEW_BILL,
        submit=_("Create bill"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=metadata.locale,
    )


def money_example(currency: str, locale: str) -> str:
    from decimal import Decimal

    return plain(money(Decimal("1250"), currency, locale), 150)


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def upload_failed_message(
    bill_id: str, file_id: str, file_name: str, *, locale: str
) -> dict[str, Any]:
    """In a new bill's card thread when its invoice did not reach the accounting platform."""
    _ = words(locale)
    text = _(
        ":warning: The bill was created, but its invoice “{name}” could not be attached in the "
        "accounting platform. Nobody has the invoice there yet.",
        name=escape(file_name),
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "elements": [
                    retry_upload_element(
                        RetryUploadButton(bill_id=bill_id, file_id=file_id), locale, style="primary"
                    )
                ],
            },
        ],
    }


def attached_text(file_name: str, *, locale: str) -> str:
    _ = words(locale)
    return _(":paperclip: Invoice “{name}” attached.", name=escape(file_name))


def bank_account_modal(metadata: BankAccountMetadata, *, base_currency: str) -> dict[str, Any]:
    _ = words(metadata.locale)
    blocks = [
        fields.text_input(SupplierInput.ACCOUNT_NAME, _("Account name"), max_length=100),
        fields.select_input(
            SupplierInput.ACCOUNT_CURRENCY,
            _("Currency"),
            currency_options(metadata.locale, first=base_currency),
            initial=base_currency,
        ),
        fields.text_input(
            SupplierInput.ACCOUNT_NUMBER,
            _("Account number or IBAN"),
            max_length=40,
            placeholder="31926819",
        ),
        fields.text_input(
            SupplierInput.ACCOUNT_SORT_CODE,
            _("Sort code"),
            max_length=8,
            placeholder="60-16-13",
            hint=_("UK accounts in GBP only; leave empty with an IBAN."),
            optional=True,
        ),
        fields.text_input(
            SupplierInput.ACCOUNT_NOMINAL,
            _("Nominal code"),
            max_length=20,
            optional=True,
        ),
    ]
    return modal(
        _("New bank account"),
        blocks,
        callback_id=SupplierCallback.NEW_ACCOUNT,
        submit=_("Create"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=metadata.locale,
    )
