"""The sandbox's application: `Sandbox`, `SandboxConfig` and `create_sandbox_app`.

`create_sandbox_app(config)` gives an ASGI app to serve with uvicorn (`billpay sandbox`);
`Sandbox(config)` gives the same app plus a `start()` to call before using it in-process through
`httpx.ASGITransport`, which does not run ASGI lifespan events, and what tests move or look at:
its clock (`Sandbox.clock`), its faults (`Sandbox.faults`), the payments it recorded, approving
payments that wait for approval, and deauthorizing a connection. The app is `api.main.api_router`
(the payables API) and the Link pages, inside the idempotency and gateway-fault middlewares.
`SandboxConfig` (in `config`) lists the knobs; RULES.md lists each Codat rule enforced and
where.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from payables_sandbox import bulk_seed, seed, store, views
from payables_sandbox.api.deps import basic_credentials_match
from payables_sandbox.api.error_handlers import install_error_handlers
from payables_sandbox.api.gateway import GatewayFaultMiddleware
from payables_sandbox.api.main import api_router
from payables_sandbox.api.routes import link
from payables_sandbox.clock import SandboxClock, in_effect
from payables_sandbox.config import SandboxConfig
from payables_sandbox.faults import Faults
from payables_sandbox.idempotency import IdempotencyMiddleware
from payables_sandbox.service import bill_payments, connections

__all__ = ["Sandbox", "SandboxConfig", "create_sandbox_app"]

log = logging.getLogger(__name__)


class Sandbox:
    """The embedded payables service: database, fault injection and the ASGI app."""

    def __init__(
        self, config: SandboxConfig | None = None, *, clock: SandboxClock | None = None
    ) -> None:
        self.config = config or SandboxConfig()
        # "Now" for everything the sandbox stamps and measures; tests move it.
        self.clock = clock or SandboxClock()
        self.db = store.Database(self.config.database_url)
        self.faults = Faults(self.config.faults)
        self.demo: seed.DemoIds | None = None
        self._started = False
        self._start_lock = asyncio.Lock()
        self.app = self._build_app()

    async def start(self) -> None:
        """Create the tables and seed the demo company; safe to call more than once."""
        with in_effect(self.clock):
            await self._start()

    async def _start(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            await self.db.create_tables(store.Base.metadata, reset=self.config.reset)
            if not await self._schema_is_current():
                log.warning("the sandbox's tables are of an older shape: starting afresh")
                await self.db.create_tables(store.Base.metadata, reset=True)
            async with self.db.write() as session:
                if await session.get(store.SchemaVersion, store.SCHEMA_VERSION) is None:
                    session.add(store.SchemaVersion(version=store.SCHEMA_VERSION))
            if self.config.seed:
                async with self.db.write() as session:
                    self.demo = await seed.seed_if_empty(session, today=self.config.today)
            self._started = True

    async def stop(self) -> None:
        await self.db.dispose()
        self._started = False

    async def seed_bulk(self, count: int, *, start: int = 0) -> list[str]:
        """Add `count` bills to the demo company in bulk (`payables_sandbox.bulk_seed`): a
        world of 50,000 bills in seconds. Their ids."""
        assert self.demo is not None, "seed_bulk needs the demo company (config.seed)"
        today = self.config.today or self.clock.now().date()
        with in_effect(self.clock):
            async with self.db.write() as session:
                return await bulk_seed.seed_bulk(
                    session, self.demo, count, today=today, start=start
                )

    async def payments(self, bill_id: str) -> list[dict[str, Any]]:
        """The payments recorded on a bill, oldest first, with the base-currency amount each
        one's rate implies (for tests: the API has no operation that lists payments)."""
        async with self.db.read() as session:
            rows = await session.scalars(
                select(store.BillPayment)
                .where(store.BillPayment.bill_id == bill_id)
                .order_by(store.BillPayment.created, store.BillPayment.id)
            )
            return [views.bill_payment_record(row) for row in rows]

    async def approve_payments(self, bill_id: str | None = None) -> int:
        """Approve the bill payments written so far that wait for approval (on a Sage Intacct
        connection, or any with `SandboxConfig.payments_need_approval`), on `bill_id` or on
        every bill: reads include them from now on. How many were approved."""
        with in_effect(self.clock):
            async with self.db.write() as session:
                return await bill_payments.approve_payments(
                    session, bill_id=bill_id, now=self.clock.now()
                )

    async def deauthorize(self, company_id: str, connection_id: str) -> None:
        """The company revokes access to its platform: the Linked connection becomes
        Deauthorized (what was read or written stays readable; nothing new can be written)
        until the company completes the Link flow again."""
        with in_effect(self.clock):
            async with self.db.write() as session:
                await connections.deauthorize_connection(session, company_id, connection_id)

    def authorised(self, authorization: str | None) -> bool:
        """True when an `Authorization` header carries this sandbox's API key."""
        return basic_credentials_match(authorization, self.config.api_key)

    async def _schema_is_current(self) -> bool:
        """True for an empty database or one written by this version of the sandbox."""
        async with self.db.read() as session:
            versions = set(await session.scalars(select(store.SchemaVersion.version)))
            has_data = await session.scalar(select(store.Company.id).limit(1)) is not None
        return versions == {store.SCHEMA_VERSION} or (not versions and not has_data)

    def _build_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            yield
            await self.stop()

        app = FastAPI(
            title="Bill pay sandbox",
            description="An offline stand-in for the synchronous Bill Pay (payables) API.",
            lifespan=lifespan,
        )
        # What the routes' dependencies (`api.deps`) read the configuration, database and
        # faults from.
        app.state.sandbox = self
        install_error_handlers(app)

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        app.include_router(api_router)
        app.include_router(link.router, prefix=link.PREFIX, include_in_schema=False)
        app.add_middleware(
            IdempotencyMiddleware,
            database=self.db,
            window=lambda: self.config.idempotency_window,
            authorised=self.authorised,
        )
        app.add_middleware(GatewayFaultMiddleware, sandbox=self)
        return app


def create_sandbox_app(config: SandboxConfig | None = None) -> FastAPI:
    """The ASGI app for uvicorn; its lifespan creates the tables and seeds the demo company."""
    return Sandbox(config).app
