"""The bot's services, built once at start-up and handed to every listener.

`open_services(settings)` starts the payables backend (the embedded sandbox or Codat), opens the
bot's database (migrated beforehand, `billpay db upgrade` or `billpay run`) and builds the
workflow on top of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database, utcnow
from bot.payables.backend import PayablesBackend, open_backend
from bot.payables.client import PayablesClient
from bot.workflow import Workflow

# The wall clock. Every time the workflow records comes from `Services.clock`, so tests can
# freeze it.
utc_now = utcnow


@dataclass
class Services:
    settings: Settings
    db: Database
    payables: PayablesClient
    workflow: Workflow
    clock: Callable[[], datetime] = utc_now
    backend: PayablesBackend | None = None

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
    return Services(
        settings=settings,
        db=db,
        payables=payables,
        workflow=Workflow(db, payables, settings, clock=clock),
        clock=clock,
        backend=backend,
    )


async def open_services(settings: Settings) -> Services:
    """Start the payables backend and the bot's database (already migrated by the caller)."""
    backend = await open_backend(settings)
    db = Database(settings.database_url)
    return build_services(settings, db=db, payables=backend.client, backend=backend)
