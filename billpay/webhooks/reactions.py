"""What the bot does about each webhook event: the one interface the webhooks call
(`WebhookReactions`), and its composition from the parts that own each answer.

- the mirror of bills (`billpay.mirror`) answers `data_changed` and `write_finished`;
- connection health (`billpay.mirror.connection`) answers `connection_changed`, and so does
  connecting (`billpay.bills.connecting`: a connection waiting to be authorised links its
  channel once Linked);
- the call budget (`billpay.payables.budget.CallBudget`) answers `rate_limit_reached` and
  `rate_limit_reset`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class MirrorReactions(Protocol):
    async def data_changed(self, company_id: str, data_type: str | None) -> None:
        """A read of `data_type` (None: unnamed) finished in the platform: refresh from it."""

    async def write_finished(
        self, company_id: str, data_type: str, ok: bool, payload: dict[str, Any]
    ) -> None:
        """A write of `data_type` ("bills", "billPayments", "suppliers") finished."""


class HealthReactions(Protocol):
    async def connection_changed(
        self, company_id: str, connection_id: str, status: str, link_url: str | None
    ) -> None:
        """The company's connection is now `status` ("Linked", "Unlinked", ...)."""


class RateLimitReactions(Protocol):
    async def rate_limit_reached(self, reset_at: datetime | None) -> None: ...

    async def rate_limit_reset(self) -> None: ...


class WebhookReactions(MirrorReactions, HealthReactions, RateLimitReactions, Protocol):
    """Everything the webhooks ask of the rest of the bot."""


class Reactions:
    """`WebhookReactions` from its three parts."""

    def __init__(
        self,
        mirror: MirrorReactions,
        health: HealthReactions,
        budget: RateLimitReactions,
        connects: HealthReactions | None = None,
    ) -> None:
        self.mirror = mirror
        self.health = health
        self.budget = budget
        self.connects = connects

    async def data_changed(self, company_id: str, data_type: str | None) -> None:
        await self.mirror.data_changed(company_id, data_type)

    async def write_finished(
        self, company_id: str, data_type: str, ok: bool, payload: dict[str, Any]
    ) -> None:
        await self.mirror.write_finished(company_id, data_type, ok, payload)

    async def connection_changed(
        self, company_id: str, connection_id: str, status: str, link_url: str | None
    ) -> None:
        await self.health.connection_changed(company_id, connection_id, status, link_url)
        if self.connects is not None:
            await self.connects.connection_changed(company_id, connection_id, status, link_url)

    async def rate_limit_reached(self, reset_at: datetime | None) -> None:
        await self.budget.rate_limit_reached(reset_at)

    async def rate_limit_reset(self) -> None:
        await self.budget.rate_limit_reset()
