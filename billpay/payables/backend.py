"""The payables backend the bot talks to: a `PayablesClient` and what closes it. Codat's API is
opened here from its settings; the embedded sandbox, when no Codat key is set, is opened by the
runtime (`billpay.runtime.embedded`). Both are reached through the same client; only the
transport differs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr

from billpay.config import Settings
from billpay.payables.client import PayablesClient, RetryPolicy


@dataclass
class PayablesBackend:
    client: PayablesClient
    description: str
    # The embedded sandbox: its demo data is dated from its own today (`BILLPAY_SANDBOX_TODAY`).
    embedded: bool = False
    stop: Callable[[], Awaitable[None]] | None = None
    # The embedded sandbox sends Codat's webhooks to the bot itself: signed with this secret
    # (the bot checks them with it too), to the address `listening` is told once the bot's
    # HTTP server listens (its base URL).
    webhook_secret: SecretStr | None = None
    listening: Callable[[str], None] | None = None

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.stop is not None:
            await self.stop()


def background_retry(settings: Settings) -> RetryPolicy:
    """How long background work (and `billpay check`) waits on the payables API."""
    return RetryPolicy(deadline=settings.payables_background_deadline_seconds)


def codat_backend(settings: Settings) -> PayablesBackend:
    client = PayablesClient(
        base_url=settings.codat_base_url,
        api_key=settings.payables_api_key,
        retry=background_retry(settings),
        timeout=settings.payables_timeout_seconds,
    )
    return PayablesBackend(client, f"Codat API at {settings.codat_base_url}")
