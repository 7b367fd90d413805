"""Choosing the payables backend from settings: the embedded sandbox, or Codat's API.

Both are reached through the same `PayablesClient`; only the transport differs. The sandbox is
served in-process (`httpx.ASGITransport`, no port), so it needs no server and no network.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from billpay.config import Settings
from billpay.payables.client import PayablesClient, RetryPolicy
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.faults import FaultConfig

SANDBOX_BASE_URL = "http://payables-sandbox.invalid"


@dataclass
class PayablesBackend:
    client: PayablesClient
    sandbox: Sandbox | None
    description: str

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()


async def open_backend(settings: Settings) -> PayablesBackend:
    """Start the configured backend and return a client for it."""
    retry = RetryPolicy(deadline=settings.payables_background_deadline_seconds)
    if not settings.uses_sandbox:
        client = PayablesClient(
            base_url=settings.codat_base_url,
            api_key=settings.payables_api_key,
            retry=retry,
            timeout=settings.payables_timeout_seconds,
        )
        return PayablesBackend(client, None, f"Codat API at {settings.codat_base_url}")
    sandbox = Sandbox(
        SandboxConfig(
            api_key=settings.sandbox_api_key.get_secret_value(),
            database_url=settings.sandbox_database_url,
            today=settings.sandbox_today,
            faults=FaultConfig(
                rate_limit_requests=settings.sandbox_rate_limit_requests,
                error_rate=settings.sandbox_error_rate,
                latency_ms=settings.sandbox_latency_ms,
            ),
        )
    )
    await sandbox.start()
    client = PayablesClient(
        base_url=SANDBOX_BASE_URL,
        api_key=settings.sandbox_api_key,
        # Sandbox failures arrive as 500 answers, as they would over the network.
        transport=httpx.ASGITransport(app=sandbox.app, raise_app_exceptions=False),
        retry=retry,
        timeout=settings.payables_timeout_seconds,
    )
    return PayablesBackend(client, sandbox, "embedded payables sandbox (in-process)")
