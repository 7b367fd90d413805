"""Whatever happens between the bot and the payables API, a bill is never paid more often than
people asked, and the bot never says a payment's fate wrongly: a state machine (hypothesis)
submits payments and schedules them, loses answers, cuts the network, fails the API before or
after it writes, answers 202 (pending), kills the sender mid-request, moves the clocks (the
sandbox's reads lag ten minutes behind its payments), runs the settler's ticks and the
scheduler's, and lets people check, confirm, cancel and send again. After every step:

- the sandbox's payments of the bill never exceed the payments people confirmed (each submission
  the bot accepted, each "Send it again");
- nor the bot's payments that may have been written (recorded, in doubt or in flight, or set
  aside by a person who sent them again): one the bot called refused ("Nothing was paid") never
  reached the platform;
- every payment the bot recorded on its own evidence (an answer, a replay, reads) is there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from billpay.core.domain import CaseRef
from billpay.core.errors import Denied
from billpay.payables.models import BillLineItem, BillPrototype, Ref, SupplierRef
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import BillCase, Payment
from payables_sandbox.app import Sandbox, SandboxConfig
from testkit.cases import gbp_account, payment_request
from testkit.databases import TestDatabases as Databases
from testkit.payables import SANDBOX_KEY, TODAY, SleepRecorder, client_for
from testkit.profiles import examples
from testkit.world import ANA, CHANNEL, NOW, SAM, TEAM, bot_settings, sandbox_payments

T = TypeVar("T")


class Network(httpx.AsyncBaseTransport):
    """The payables API's network, as the machine sets it: payment requests go through, lose
    their answer after the API wrote them, never arrive, or kill the process sending them
    (before or after they arrive)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.mode = "ok"
        self.kill: str | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payment = request.method == "POST" and request.url.path.endswith("/payment")
        if not payment:
            return await self.inner.handle_async_request(request)
        if self.kill == "before":
            self.kill = None
            raise SystemExit("the process died before the request left")
        if self.mode == "drop":
            raise httpx.ReadTimeout("no answer", request=request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if self.kill == "after":
            self.kill = None
            raise SystemExit("the process died before the answer was recorded")
        if self.mode == "lose":
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


class World:
    """One sandbox, one bot database and one event loop for every example of the machine;
    each example pays a bill of its own."""

    def __init__(self, databases: Databases, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.databases = databases
        self.folder = folder
        self.sandbox: Sandbox
        self.db: Database
        self.run(self._open())

    async def _open(self) -> None:
        # Reads show a payment only ten minutes after it is written, as platforms lag.
        lag = timedelta(minutes=10)
        config = SandboxConfig(api_key=SANDBOX_KEY, today=TODAY, strict=True, payment_read_lag=lag)
        url = await self.databases.sandbox_copy(config, self.folder)
        self.sandbox = Sandbox(config.model_copy(update={"database_url": url}))
        await self.sandbox.start()
        self.sandbox.clock.set(self.sandbox.clock.now())  # moved by the machine from here
        self.db = Database(await self.databases.bot_copy(self.folder))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def close(self) -> None:
        self.run(self.sandbox.stop())
        self.run(self.db.dispose())
        self.loop.close()


class PaymentFate(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.network = Network(httpx.ASGITransport(app=w.sandbox.app))
        self.now = NOW
        self.services: Services = build_services(
            bot_settings(),
            db=w.db,
            payables=client_for(self.network, SleepRecorder()),
            clock=lambda: self.now,
        )
        self.confirmed = 0
        self.bill_id = w.run(self._new_bill())
        self.ref = CaseRef(TEAM, CHANNEL, self.bill_id)

    async def _new_bill(self) -> str:
        demo = self.world.sandbox.demo
        assert demo is not None
        services = self.services
        await services.links.connect(TEAM, CHANNEL, ANA)
        supplier = next(iter(demo.suppliers.values()))
        options = await services.payables.get_bill_mapping_options(
            demo.company_id, demo.connection_id
        )
        bill = await services.payables.create_bill(
            demo.company_id,
            demo.connection_id,
            BillPrototype(
                supplier_ref=SupplierRef(id=supplier),
                issue_date=f"{TODAY.isoformat()}T00:00:00",
                due_date=f"{(TODAY + timedelta(days=30)).isoformat()}T00:00:00",
                currency="GBP",
                line_items=[
                    BillLineItem(
                        unit_amount=Decimal("100.00"),
                        quantity=Decimal(1),
                        account_ref=Ref(id=options.accounts[0].id),
                        tax_rate_ref=Ref(id=options.tax_rates[0].id),
                    )
                ],
            ),
        )
        await services.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
        return bill.id

    def _rows(self) -> int:
        async def count() -> int:
            async with self.world.db.read() as s:
                case_payments = (
                    select(func.count())
                    .select_from(Payment)
                    .where(Payment.case_id.in_(_case_of(self.bill_id)))
                )
                return int(await s.scalar(case_payments) or 0)

        return self.world.run(count())

    def _act(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run one person's or job's step; a refusal or a process dying is part of the game."""
        with contextlib.suppress(Denied, SystemExit):
            self.world.run(work)

    def _pay(self, amount: str, days: int) -> None:
        before = self._rows()

        async def pay() -> None:
            account = await gbp_account(self.services)
            day = self.now.date() + timedelta(days=days)
            request = payment_request(account, Decimal(amount), payment_date=day)
            await self.services.payments.submit_payment(self.ref, SAM, request, self.now.date())

        self._act(pay())
        self.confirmed += self._rows() - before  # each payment the bot reserved

    @rule(amount=st.sampled_from(["5.00", "10.00"]))
    def pay_now(self, amount: str) -> None:
        self._pay(amount, 0)

    @rule(amount=st.sampled_from(["5.00", "10.00"]))
    def schedule(self, amount: str) -> None:
        self._pay(amount, 1)

    @rule(mode=st.sampled_from(["ok", "lose", "drop"]))
    def set_network(self, mode: str) -> None:
        self.network.mode = mode

    @rule(when=st.sampled_from(["before", "after"]))
    def kill_next_sender(self, when: str) -> None:
        self.network.kill = when

    @rule(after_write=st.booleans())
    def fail_next_payment(self, after_write: bool) -> None:
        self.world.sandbox.faults.fail_next_payment(bill_id=self.bill_id, after_write=after_write)

    @rule(minutes=st.sampled_from([1, 5, 30, 100, 24 * 60]))
    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.world.sandbox.clock.advance(timedelta(minutes=minutes))

    @rule()
    def accept_next_payment_pending(self) -> None:
        self.world.sandbox.faults.accept_next_payment(bill_id=self.bill_id)

    @rule()
    def settler_tick(self) -> None:
        self._act(self.services.settler.settle_due())

    @rule()
    def scheduler_tick(self) -> None:
        async def tick() -> None:
            for payment_id in await self.services.scheduled.due_payments(self.now):
                with contextlib.suppress(SystemExit):
                    await self.services.scheduled.send_scheduled(payment_id)

        self._act(tick())

    @rule()
    def check_now(self) -> None:
        self._act(self.services.recovery.check_now(self.ref, SAM))

    @rule()
    def confirm_in_platform(self) -> None:
        self._act(self.services.recovery.confirm_in_platform(self.ref, SAM))

    @rule()
    def send_again(self) -> None:
        before = self._rows()
        self._act(self.services.recovery.send_again(self.ref, SAM))
        self.confirmed += self._rows() - before  # the person's word, one more payment

    @rule()
    def cancel(self) -> None:
        self._act(self.services.scheduled.cancel_scheduled(self.ref, SAM))

    @invariant()
    def fates_are_true(self) -> None:
        paid = self.world.run(sandbox_payments(self.world.sandbox, self.bill_id))
        assert paid <= self.confirmed
        rows = self.world.run(self._payments())
        may_be_written = [
            p
            for p in rows
            if p.status in ("recorded", "in_doubt", "requested") or p.reconciled == "sent_again"
        ]
        assert paid <= len(may_be_written), [(p.status, p.reconciled) for p in rows]
        proven = [p for p in rows if p.status == "recorded" and p.reconciled != "confirmed"]
        assert paid >= len(proven), [(p.status, p.reconciled) for p in rows]

    async def _payments(self) -> list[Payment]:
        async with self.world.db.read() as s:
            return list(
                await s.scalars(select(Payment).where(Payment.case_id.in_(_case_of(self.bill_id))))
            )


def _case_of(bill_id: str) -> Any:
    return select(BillCase.id).where(BillCase.bill_id == bill_id)


@pytest.mark.slow
def test_a_bill_is_never_paid_more_often_than_people_asked(
    test_databases: Databases, tmp_path: Path
) -> None:
    world = World(test_databases, tmp_path)
    PaymentFate.world = world
    try:
        run_state_machine_as_test(
            PaymentFate,
            settings=settings(
                max_examples=examples(60),
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        world.close()
