"""Typed button values and `private_metadata`: what the bot writes into a message or modal and
reads back when a person clicks or submits.

Everything that comes back from Slack is untrusted (a tampered, stale or malformed value must
change nothing), so each value is a small pydantic model with bounds: lengths, characters and
ids that look like ids. Builders in `blocks/` write them with `dump()`; the handlers' middleware
parses them once with `load()`, and a value that doesn't parse is "out of date". Only
identifiers and the figures a form was checked against travel here; authorisation is always
decided again on the server from the policy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from billpay.slack.blocks.ids import MoreOption

MAX_PRIVATE_METADATA = 3000
MAX_BUTTON_VALUE = 2000
MAX_OPTION_VALUE = 150

# A record id of the accounting platform: GUIDs, numbers, or platform ids; printable ASCII.
RecordId = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,100}$")]
SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,24}$")]
MessageTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{9,12}\.[0-9]{1,8}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8})*$")]
Guid = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    ),
]
# Text a person typed, e.g. a `/bills` filter carried by paging buttons: no control characters.
FilterText = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{0,100}$")]


class Payload(BaseModel):
    """A value carried through Slack: compact JSON with short keys, parsed strictly."""

    # Each payload's validator is built when first used, not when the bot starts.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)
    LIMIT: ClassVar[int] = MAX_BUTTON_VALUE

    def dump(self) -> str:
        text = self.model_dump_json(by_alias=True, exclude_none=True)
        if len(text) > self.LIMIT:
            raise ValueError(f"{type(self).__name__} is longer than Slack allows ({len(text)})")
        return text

    @classmethod
    def load(cls, text: object) -> Self | None:
        """The value, or None when it is missing, not text, too long, malformed or out of
        bounds (it comes from a request, whatever a caller took it for)."""
        if not isinstance(text, str) or not text or len(text) > cls.LIMIT:
            return None
        try:
            return cls.model_validate_json(text)
        except (ValidationError, ValueError):
            return None


class BillAction(Payload):
    """A card's buttons: Approve, Reject, Pay…, Reopen, Retry payment, Cancel payment. The
    case version the card was drawn from travels along, so a click on a card showing older
    figures is refused (the server compares it with the case as it is)."""

    bill_id: RecordId = Field(alias="b")
    version: int | None = Field(alias="v", default=None, ge=0, le=10**9)


class MoreAction(Payload):
    """An option of a card's overflow menu."""

    LIMIT: ClassVar[int] = MAX_OPTION_VALUE
    choice: MoreOption = Field(alias="c")
    bill_id: RecordId = Field(alias="b")


class PageAction(Payload):
    """Paging a `/bills` message; the filter travels along, so paging needs no stored state."""

    page: int = Field(alias="p", ge=0, le=1000)
    filter_text: FilterText = Field(alias="f", default="")


class ModalMetadata(Payload):
    """Which card a modal is for."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    message_ts: MessageTs | None = Field(alias="ts", default=None)
    bill_id: RecordId = Field(alias="b")


class ConnectMetadata(Payload):
    """The connect form: the channel it links, and the key that makes its submission create
    one company and one connection however often it is sent."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    idempotency_key: Guid = Field(alias="k")


class DisconnectAction(Payload):
    """The confirmed Disconnect button: the link it was offered for."""

    link_id: int = Field(alias="l", ge=1, le=2**31)


class RejectMetadata(ModalMetadata):
    version: int | None = Field(alias="v", default=None, ge=0, le=10**9)


class ReopenMetadata(ModalMetadata):
    version: int = Field(alias="v", ge=0, le=10**9)


class OfferedAccount(BaseModel):
    """A bank account the Pay modal offered, so a submission is checked against the offer."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)
    id: RecordId = Field(alias="i")
    currency: Currency = Field(alias="c")
    name: Annotated[str, StringConstraints(max_length=75)] = Field(alias="n")


Confirmation = Literal["duplicate", "question"]


class PayMetadata(ModalMetadata):
    idempotency_key: Guid = Field(alias="k")
    currency: Currency = Field(alias="cur")
    base_currency: Currency = Field(alias="base")
    amount_due: Decimal = Field(alias="due", ge=0, le=Decimal("1e15"), max_digits=30)
    locale: Locale = Field(alias="loc")
    accounts: tuple[OfferedAccount, ...] = Field(alias="acc", max_length=100)
    # What the payer must confirm explicitly: a possible duplicate, an open question.
    confirm: tuple[Confirmation, ...] = Field(alias="cf", default=(), max_length=2)


class AttachMetadata(ModalMetadata):
    """Which card an Attach invoice modal is for, and the company's accounting platform (its
    rules on files: what the form's hint says is what its submission is checked against)."""

    platform: Annotated[str, StringConstraints(max_length=100)] = Field(alias="p", default="")


class AskMetadata(ModalMetadata):
    """Which card an Ask a question modal is for."""


class QuestionAction(Payload):
    """A question's Mark resolved button, in the card's thread."""

    bill_id: RecordId = Field(alias="b")
    question_id: int = Field(alias="q", ge=1)


class ReplyApproval(Payload):
    """The Approve button offered after a reply that reads as an approval: the bill, and the
    `/bills` message whose card it updates."""

    bill_id: RecordId = Field(alias="b")
    message_ts: MessageTs = Field(alias="ts")


class DigestListAction(Payload):
    """A digest's button: the `/bills` filter it opens (`overdue`, `due 7d`), as a person would
    type it; the handler reads it with `billpay.bills.listing.parse_filter`, like typed text."""

    filter_text: FilterText = Field(alias="f")


class DigestMetadata(Payload):
    """Which channel's digest a settings modal changes."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    subscription_id: int = Field(alias="s", ge=1)


class PolicyMetadata(Payload):
    """Which channel's policy (and digest) a policy modal changes."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    subscription_id: int = Field(alias="s", ge=1)
    locale: Locale = Field(alias="l")


SupplierId = RecordId
FileId = Annotated[str, StringConstraints(pattern=r"^F[A-Z0-9]{2,24}$")]


class SupplierButton(Payload):
    """A `/supplier` answer's buttons: Show bills, New bill, Edit supplier."""

    supplier_id: RecordId = Field(alias="s")


class CreateSupplierButton(Payload):
    """Create supplier, with the name that was looked up."""

    name: FilterText = Field(alias="n", default="")


class SupplierMetadata(Payload):
    """The create or edit supplier modal: where it was opened, the key its creation is sent
    with, and the supplier being edited."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    idempotency_key: Guid = Field(alias="k")
    locale: Locale = Field(alias="loc")
    supplier_id: RecordId | None = Field(alias="s", default=None)


class NewBillMetadata(Payload):
    """The new bill modal: its channel, the key the bill is created with, how many lines it
    shows, and the Slack file it is made from."""

    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    idempotency_key: Guid = Field(alias="k")
    locale: Locale = Field(alias="loc")
    lines: int = Field(alias="l", ge=1, le=10)
    file_id: FileId | None = Field(alias="f", default=None)
    file_name: Annotated[str, StringConstraints(max_length=255)] | None = Field(
        alias="fn", default=None
    )
    # The bill this one may duplicate, once the form has said so: creating it then needs the
    # form's confirmation.
    duplicate_of: RecordId | None = Field(alias="dup", default=None)


class RetryUploadButton(Payload):
    """Retry upload on a new bill whose invoice did not reach the accounting platform."""

    bill_id: RecordId = Field(alias="b")
    file_id: FileId = Field(alias="f")
    # On the card itself (the card is redrawn), not on the notice in its thread (replaced).
    on_card: bool | None = Field(alias="c", default=None)


class BankAccountMetadata(Payload):
    LIMIT: ClassVar[int] = MAX_PRIVATE_METADATA
    channel_id: SlackId = Field(alias="ch")
    idempotency_key: Guid = Field(alias="k")
    locale: Locale = Field(alias="loc")
