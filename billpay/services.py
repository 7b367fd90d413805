"""The bot's services, built once at start-up and handed to every listener.

`open_services(settings)` starts the payables backend (the embedded sandbox or Codat), opens the
bot's database (migrated beforehand, `billpay db upgrade` or `billpay run`) and builds the
workflow on top of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.workflow import Workflow
from billpay.config import Settings
from billpay.payables.backend import PayablesBackend, open_backend
from billpay.payables.client import PayablesClient
from billpay.slack.publisher import Publisher, slack_client
from billpay.store.db import Database, utcnow
from billpay.suppliers.service import SupplierService

# The wall clock. Every time the workflow records comes from `Services.clock`, so tests can
# freeze it.
utc_now = utcnow


class Timer(Protocol):
    def send_soon(self, payment_id: int, at: datetime) -> None: ...


@dataclass
class Services:
    settings: Settings
    db: Database
    payables: PayablesClient
    workflow: Workflow
    suppliers: SupplierService
    clock: Callable[[], datetime] = utc_now
    backend: PayablesBackend | None = None
    # Slack, when its settings are there (the commands that only read the payables API run
    # without): one Web API client, and the publisher that sends everything through it.
    slack: AsyncWebClient | None = None
    publisher: Publisher | None = None
    # The scheduler, while one runs in this process (the host starts it).
    scheduler: Timer | None = None

    def must_publish(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError("SLACK_BOT_TOKEN is needed to send anything to Slack")
        return self.publisher

    async def aclose(self) -> None:
        if self.backend is not None:
            await self.backend.aclose()
        await self.db.dispose()


def build_services(
    settings: Settings,
    *,
    db: Database,
    payables: PayablesClient,
    clock: Callable[[], datetime] = utc_now,
    backend: PayablesBackend | None = None,
) -> Services:
    workflow = Workflow(db, payables, settings, clock=clock)
    slack = slack_client(settings) if settings.slack_bot_token is not None else None
    return Services(
        settings=settings,
        db=db,
        payables=payables,
        workflow=workflow,
        suppliers=SupplierService(workflow, db, payables),
        clock=clock,
        backend=backend,
        slack=slack,
        # One workspace for now: every team's client is the app's.
        publisher=Publisher(workflow, clock, lambda team_id: slack) if slack else None,
    )


async def open_services(settings: Settings) -> Services:
    """Start the payables backend and the bot's database (already migrated by the caller)."""
    backend = await open_backend(settings)
    db = Database(settings.database_url)
    return build_services(settings, db=db, payables=backend.client, backend=backend)
