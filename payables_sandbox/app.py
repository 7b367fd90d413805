"""The sandbox's application: `Sandbox`, `SandboxConfig` and `create_sandbox_app`.

`create_sandbox_app(config)` gives an ASGI app to serve with uvicorn (`billpay sandbox`);
`Sandbox(config)` gives the same app plus a `start()` to call before using it in-process through
`Sandbox.transport()` (ASGI transports do not run lifespan events), or `start_on_own_thread()`
to run it on a thread and event loop of its own, and what tests move or look at: its clock
(`Sandbox.clock`), its faults (`Sandbox.faults`), the payments it recorded, approving payments
that wait for approval, the company linking, failing to link or deauthorizing a connection,
changes made in the platform itself, and the webhooks sent (`Sandbox.deliveries`). The app is
`api.main.api_router` (the payables API) and the Link pages, inside the idempotency and
gateway-fault middlewares.
`SandboxConfig` (in `config`) lists the knobs; RULES.md lists each Codat rule enforced and
where.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import distinct, func, select

from payables_sandbox import bulk_seed, events, seed, store, views
from payables_sandbox.announce import Announcer
from payables_sandbox.api.deps import basic_credentials_match
from payables_sandbox.api.error_handlers import install_error_handlers
from payables_sandbox.api.gateway import GatewayFaultMiddleware
from payables_sandbox.api.main import api_router
from payables_sandbox.api.routes import link
from payables_sandbox.clock import SandboxClock, in_effect
from payables_sandbox.config import SandboxConfig
from payables_sandbox.faults import Faults
from payables_sandbox.idempotency import IdempotencyMiddleware
from payables_sandbox.quota import Quota, QuotaState
from payables_sandbox.service import bill_payments, connections
from payables_sandbox.threaded import OwnLoop, ThreadedTransport, on_own_loop
from payables_sandbox.webhooks import Delivery, Webhooks, timestamp

ZERO = timedelta(0)

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
        self.quota = Quota()
        self.webhooks = Webhooks(lambda: self.config)
        self.announcer = Announcer(lambda: self.config, self.db, self.webhooks)
        self.demo: seed.DemoIds | None = None
        self._started = False
        self._start_lock = asyncio.Lock()
        # The loop the sandbox runs on when it has a thread of its own (`start_on_own_thread`).
        self.own_loop: OwnLoop | None = None
        self.app = self._build_app()

    @on_own_loop
    async def start(self) -> None:
        """Create the tables and seed the demo company; safe to call more than once."""
        with in_effect(self.clock):
            await self._start()

    async def start_on_own_thread(self) -> None:
        """Start the sandbox on a thread and event loop of its own, so that its work never
        holds up the caller's loop; `transport()` then reaches it there, and the methods below
        run there whichever loop awaits them."""
        if self.own_loop is None:
            self.own_loop = OwnLoop()
        await self.start()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport to the sandbox without a port: on its own loop once
        `start_on_own_thread` ran, else on the caller's. Failures come as 500 answers."""
        if self.own_loop is not None:
            return ThreadedTransport(self.app, self.own_loop)
        return httpx.ASGITransport(app=self.app, raise_app_exceptions=False)

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
        """Close the database (and the sandbox's own loop, if it has one)."""
        own, self.own_loop = self.own_loop, None
        if own is None:
            await self._stop()
            return
        await own.run(self._stop())
        own.close()

    async def _stop(self) -> None:
        await self.announcer.close()
        await self.db.dispose()
        self._started = False

    @on_own_loop
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

    @on_own_loop
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

    @on_own_loop
    async def approve_payments(self, bill_id: str | None = None) -> int:
        """Approve the bill payments written so far that wait for approval (on a Sage Intacct
        connection, or any with `SandboxConfig.payments_need_approval`), on `bill_id` or on
        every bill: reads include them from now on (announced by `read.completed`). How many
        were approved."""
        with in_effect(self.clock):
            now = self.clock.now()
            async with self.db.write() as session:
                approved = await bill_payments.approve_payments(session, bill_id=bill_id, now=now)
                owners = await bill_payments.connections_of(session, approved)
            for company_id, connection_id in owners:
                self.announcer.read_after(
                    company_id, connection_id, ("bills", "billPayments", "suppliers"), now, ZERO
                )
            return len(approved)

    @on_own_loop
    async def deauthorize(self, company_id: str, connection_id: str) -> None:
        """The company revokes access to its platform: the Linked connection becomes
        Deauthorized (what was read or written stays readable; nothing new can be written)
        until the company completes the Link flow again. Announced by
        `connection.disconnected`."""
        with in_effect(self.clock), events.collecting() as notes:
            async with self.db.write() as session:
                await connections.deauthorize_connection(session, company_id, connection_id)
            await self.announcer.notes(notes)

    @on_own_loop
    async def authorise(self, company_id: str, connection_id: str) -> None:
        """The company completes the Link flow (as the Link page's Authorise button does):
        `connection.connected` the first time, then `read.completed.initial`;
        `connection.reconnected` after a Deauthorized or Unlinked spell."""
        with in_effect(self.clock), events.collecting() as notes:
            async with self.db.write() as session:
                await connections.authorise_connection(session, company_id, connection_id)
            await self.announcer.notes(notes)

    @on_own_loop
    async def fail_link(self, company_id: str, connection_id: str) -> None:
        """The company's attempt to link the connection failed (it cancelled, or the
        platform refused): the connection stays as it was; `connection.failed` says so."""
        with in_effect(self.clock):
            async with self.db.read() as session:
                payload = await events.connection_payload(session, company_id, connection_id)
            payload["connection"]["dataConnectionErrors"] = [
                {
                    "statusCode": "403",
                    "statusText": "User cancelled linking",
                    "errorMessage": "User cancelled",
                    "erroredOnUtc": timestamp(self.clock.now()),
                    "status": "Active",
                }
            ]
            self.webhooks.emit("connection.failed", payload)

    @on_own_loop
    async def pay_in_platform(self, bill_id: str, amount: Decimal) -> None:
        """Someone pays the bill in the platform, outside the API: reads show it, and
        `read.completed` announces it, once `SandboxConfig.platform_read_lag` has passed."""
        with in_effect(self.clock):
            now = self.clock.now()
            lag = self.config.platform_read_lag
            async with self.db.write() as session:
                bill = await bill_payments.pay_in_platform(
                    session, bill_id, Decimal(amount), now=now, visible_from=now + lag
                )
                connection = await session.get(store.Connection, bill.connection_id)
            assert connection is not None
            self.announcer.read_after(
                connection.company_id,
                connection.id,
                ("bills", "billPayments", "suppliers"),
                now,
                lag,
            )

    @on_own_loop
    async def edit_bill_in_platform(
        self, bill_id: str, *, due_date: date | None = None, reference: str | None = None
    ) -> None:
        """Someone edits the bill in the platform: its due date or reference change at once,
        and `read.completed` announces it once `SandboxConfig.platform_read_lag` has passed."""
        with in_effect(self.clock):
            now = self.clock.now()
            async with self.db.write() as session:
                bill = await session.get(store.Bill, bill_id, with_for_update=True)
                assert bill is not None, f"no bill {bill_id}"
                if due_date is not None:
                    bill.due_date = datetime.combine(due_date, time())
                if reference is not None:
                    bill.reference = reference
                bill.source_modified_date = now
                connection = await session.get(store.Connection, bill.connection_id)
            assert connection is not None
            self.announcer.read_after(
                connection.company_id, connection.id, ("bills",), now, self.config.platform_read_lag
            )

    @on_own_loop
    async def check_quota(self) -> None:
        """Start the quota's new day if the sandbox's clock is past its reset (announcing
        `client.rateLimit.reset` after a day that reached it), as the next request would."""
        per_unit = self.config.daily_quota
        if per_unit is None:
            return
        with in_effect(self.clock):
            limit = per_unit * (1 + await self.active_companies())
            if self.quota.roll(self.clock.now()):
                reset = self.quota.period_end or self.clock.now()
                self.announcer.quota_reset(QuotaState(limit, limit, reset))

    @on_own_loop
    async def settle_webhooks(self) -> None:
        """Wait until every event due by the sandbox's clock was sent and every message
        delivered or given up (bound the wait with `asyncio.timeout`)."""
        with in_effect(self.clock):
            await self.announcer.settle()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook message sent so far, with each attempt's answer."""
        return self.webhooks.deliveries

    async def active_companies(self) -> int:
        """Companies with a Linked connection: Codat's active connected companies."""
        async with self.db.read() as session:
            count = await session.scalar(
                select(func.count(distinct(store.Connection.company_id))).where(
                    store.Connection.status == "Linked"
                )
            )
        return int(count or 0)

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
