"""The bot's services, built once at start-up and handed to every listener.

`build_services(...)` composes the area services over one database and one payables client,
with Slack's Web API client and the publisher when Slack settings are there
(`billpay.runtime.startup` opens the backend and the database first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.workflow import Workflow, compose
from billpay.config import Settings
from billpay.core.clock import utcnow
from billpay.payables.backend import PayablesBackend
from billpay.payables.client import PayablesClient
from billpay.slack.publisher import Publisher, slack_client
from billpay.store.db import Database
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
    areas = compose(db, payables, settings, clock=clock)
    workflow = Workflow(db, payables, settings, clock=clock, areas=areas)
    slack = slack_client(settings) if settings.slack_bot_token is not None else None
    return Services(
        settings=settings,
        db=db,
        payables=payables,
        workflow=workflow,
        suppliers=areas.suppliers,
        clock=clock,
        backend=backend,
        slack=slack,
        # One workspace for now: every team's client is the app's.
        publisher=Publisher(workflow, clock, lambda team_id: slack) if slack else None,
    )
