"""The App Home's ids and the typed values its checkboxes, buttons and bulk-approval form carry.

A value names a bill by its channel and id, with the case version the Home showed: a decision is
taken only if the bill is still as shown (`billpay.approvals.decisions`), and who may take it is
decided again on the server."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from billpay.slack.blocks.metadata import (
    MAX_OPTION_VALUE,
    MAX_PRIVATE_METADATA,
    Payload,
    RecordId,
    SlackId,
)

# The most bills one bulk approval takes: what the Home offers to tick.
MAX_BULK = 20


class HomeAction(StrEnum):
    PICK = "home_pick"  # + "_<n>": one checkbox per bill waiting for approval
    APPROVE_SELECTED = "home_approve_selected"
    CANCEL_PAYMENT = "home_cancel_payment"


class HomeCallback(StrEnum):
    BULK_APPROVE = "home_bulk_approve"
    RESULT = "home_result"


class HomeBlock(StrEnum):
    WAITING = "home_waiting"  # + ":<n>"
    SCHEDULED = "home_scheduled"  # + ":<n>"
    APPROVE = "home_approve"


class HomeBill(Payload):
    """A bill on the Home: a checkbox's option, a Cancel button."""

    LIMIT: ClassVar[int] = MAX_OPTION_VALUE
    channel_id: SlackId = Field(alias="c")
    bill_id: RecordId = Field(alias="b")
    version: int | None = Field(alias="v", default=None, ge=0, le=10**9)


class BulkApproval(Payload):
    """The bulk-approval form: the bills the person ticked, as the Home showed them."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    bills: list[HomeBill] = Field(alias="l", min_length=1, max_length=MAX_BULK)


def pick_action(n: int) -> str:
    return f"{HomeAction.PICK}_{n}"
