"""Typed `private_metadata` carried by the modals, so a submission knows which card it is for.

Only identifiers and the figures the form was checked against travel here; authorisation is
always decided again on the server from the policy.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

MAX_PRIVATE_METADATA = 3000


class ModalMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    channel_id: str
    message_ts: str | None = None
    bill_id: str

    def dump(self) -> str:
        text = self.model_dump_json(exclude_none=True)
        if len(text) > MAX_PRIVATE_METADATA:
            raise ValueError("modal metadata is longer than Slack allows")
        return text

    @classmethod
    def load(cls, text: str) -> ModalMetadata:
        return cls.model_validate_json(text)


class RejectMetadata(ModalMetadata):
    pass


class PayMetadata(ModalMetadata):
    idempotency_key: str
    currency: str
    base_currency: str
    amount_due: Decimal
    locale: str
    today: str

    @classmethod
    def load(cls, text: str) -> PayMetadata:
        return cls.model_validate_json(text)
