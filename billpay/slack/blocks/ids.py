"""Every action_id, block_id and callback_id the bot sends and listens for, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    APPROVE = "bill_approve"
    REJECT = "bill_reject"
    PAY = "bill_pay"
    CHECK_PAYMENT = "bill_check_payment"
    # Older cards' Retry payment: answered as Check now, which never sends a new key.
    RETRY_PAYMENT = "bill_retry_payment"
    CANCEL_PAYMENT = "bill_cancel_payment"
    PAYMENT_IS_IN_PLATFORM = "bill_payment_was_recorded"
    SEND_PAYMENT_AGAIN = "bill_send_payment_again"
    REOPEN = "bill_reopen"
    # A link button to where the company links its accounting platform again.
    RECONNECT = "connection_reconnect"
    AUTHORISE = "connect_authorise"  # the link button to a new connection's linkUrl
    DISCONNECT = "channel_disconnect"
    OPEN_POLICY = "channel_open_policy"  # `/billpay status`'s button to the policy form
    MORE = "bill_more"
    PAGE_PREVIOUS = "bills_page_previous"
    PAGE_NEXT = "bills_page_next"
    RESOLVE_QUESTION = "bill_resolve_question"
    REPLY_APPROVE = "bill_reply_approve"
    REPLY_DISMISS = "bill_reply_dismiss"


class MoreOption(StrEnum):
    """Values of the card's overflow menu, each followed by `:<bill id>`."""

    DETAILS = "details"
    REFRESH = "refresh"
    VIEW_INVOICE = "invoice"
    ATTACH_INVOICE = "attach"
    INVOICE = "files"  # the bot does not know yet whether the bill has files
    ASK = "ask"


class Callback(StrEnum):
    REJECT = "reject_bill"
    REOPEN = "reopen_bill"
    PAY = "pay_bill"
    RESULT = "pay_result"
    LOADING = "loading"  # a placeholder the bot fills in; nothing to submit
    DIGEST = "digest_settings"
    CONNECT = "connect_company"
    ATTACH = "attach_invoice"
    ASK = "ask_question"
    POLICY = "policy_settings"


class Input(StrEnum):
    """Input blocks of the modals; each block's element uses the same string as action_id."""

    REJECT_REASON = "reject_reason"
    REOPEN_REASON = "reopen_reason"
    PAY_ACCOUNT = "pay_account"
    PAY_AMOUNT = "pay_amount"
    PAY_DATE = "pay_date"
    PAY_REFERENCE = "pay_reference"
    PAY_RATE = "pay_rate"
    CONNECT_COMPANY = "connect_company_choice"
    CONNECT_NEW = "connect_new_company"
    CONNECT_PLATFORM = "connect_platform"
    DIGEST_TIME = "digest_time"
    DIGEST_ZONE = "digest_zone"
    DIGEST_WEEKDAYS = "digest_weekdays"
    DIGEST_LOOK_AHEAD = "digest_look_ahead"
    DIGEST_WHEN_EMPTY = "digest_when_empty"
    ATTACH_FILE = "attach_file"
    ASK_TEXT = "ask_text"
    ASK_WHO = "ask_who"
    PAY_CONFIRM = "pay_confirm"
    POLICY_APPROVERS = "policy_approvers"
    POLICY_GROUP = "policy_approver_group"
    POLICY_PAYERS = "policy_payers"
    POLICY_THRESHOLD = "policy_threshold"
    POLICY_MAY_PAY = "policy_approver_may_pay"
    POLICY_REMINDER = "policy_reminder_hours"


class Block(StrEnum):
    SUMMARY = "bills_summary"
    PAGE = "bills_page"
    NAVIGATION = "bills_navigation"
    EMPTY = "bills_empty"
    PAY_PREVIEW = "pay_preview"
    HIDDEN = "bills_hidden"
    OUT_OF_DATE = "bills_out_of_date"


def card_block(bill_id: str) -> str:
    return f"card:{bill_id}"


def card_status_block(bill_id: str) -> str:
    return f"card_status:{bill_id}"


def card_actions_block(bill_id: str) -> str:
    return f"card_actions:{bill_id}"


class DigestAction(StrEnum):
    """The daily digest's buttons: each opens the matching `/bills` list."""

    OPEN_OVERDUE = "digest_open_overdue"
    OPEN_DUE = "digest_open_due"


class DigestBlock(StrEnum):
    HEADER = "digest_header"
    CONTEXT = "digest_context"
    SUMMARY = "digest_summary"
    ACTIONS = "digest_actions"
    APPROVALS = "digest_approvals"
    SCHEDULED = "digest_scheduled"
    CASH = "digest_cash"
    BILLS = "digest_bills"
    MORE = "digest_more"
    EMPTY = "digest_empty"


def digest_cash_block(currency: str) -> str:
    return f"{DigestBlock.CASH}:{currency}"


def digest_bill_block(bill_id: str) -> str:
    return f"digest_bill:{bill_id}"


class SupplierAction(StrEnum):
    """Buttons of a `/supplier` answer, of the new bill modal and of a new bill's card."""

    SHOW_BILLS = "supplier_show_bills"
    NEW_BILL = "supplier_new_bill"
    CREATE = "supplier_create"
    EDIT = "supplier_edit"
    ADD_LINE = "new_bill_add_line"
    RETRY_UPLOAD = "new_bill_retry_upload"


class SupplierCallback(StrEnum):
    CREATE = "supplier_create_form"
    EDIT = "supplier_edit_form"
    NEW_BILL = "new_bill_form"
    NEW_ACCOUNT = "bank_account_form"
    RESULT = "supplier_result"
    # The message shortcut "Create bill from this invoice".
    BILL_FROM_FILE = "new_bill_from_file"


class SupplierInput(StrEnum):
    """Input blocks of the supplier, new bill and bank account modals (action_id = block_id;
    a bill line's inputs end with `:<line number>`)."""

    NAME = "supplier_name"
    CONTACT = "supplier_contact"
    EMAIL = "supplier_email"
    PHONE = "supplier_phone"
    ADDRESS = "supplier_address"
    CURRENCY = "supplier_currency"
    BILL_SUPPLIER = "bill_supplier"
    BILL_REFERENCE = "bill_reference"
    BILL_ISSUED = "bill_issue_date"
    BILL_DUE = "bill_due_date"
    BILL_CURRENCY = "bill_currency"
    BILL_REQUESTER = "bill_requester"
    BILL_FILE = "bill_file"
    LINE_DESCRIPTION = "line_description"
    LINE_AMOUNT = "line_amount"
    LINE_QUANTITY = "line_quantity"
    LINE_ACCOUNT = "line_account"
    LINE_TAX = "line_tax"
    BILL_NOT_DUPLICATE = "bill_not_duplicate"
    ACCOUNT_NAME = "account_name"
    ACCOUNT_CURRENCY = "account_currency"
    ACCOUNT_NUMBER = "account_number"
    ACCOUNT_SORT_CODE = "account_sort_code"
    ACCOUNT_NOMINAL = "account_nominal_code"


class SupplierBlock(StrEnum):
    TOTALS = "new_bill_totals"
    LINES = "new_bill_lines"
    FILE = "new_bill_file"
    DUPLICATE = "new_bill_duplicate"
    MORE = "suppliers_more"


def line_block(field: str, index: int) -> str:
    return f"{field}:{index}"
