"""A payment in doubt is settled in the background without a second write: against the sandbox's
Codat rules (keys replayed, errors included, for 90 minutes; a new write after that), its key is
replayed at growing intervals and the bill read; two reads that agree, minutes apart, prove it;
one read never does; and past the window a person decides. No payment is ever recorded twice,
and none is sent again without a person's word."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from billpay.core.domain import CaseRef, CaseState, PaymentOutcome
from billpay.core.errors import Denied
from billpay.payables.models import BillPaymentPrototype, Ref
from billpay.payments.evidence import READS_APART, Reading, Sent, next_check, proven_by_reads
from billpay.services import Services, build_services
from billpay.store.db import Database
from billpay.store.models import AuditEvent, BillCase, Payment
from payables_sandbox.app import Sandbox
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.payables import TODAY, SleepRecorder, client_for
from testkit.world import ANA, CHANNEL, NOW, SAM, TEAM, bot_settings, sandbox_payments

PAYMENT_POST = "/payment"
WINDOW = timedelta(minutes=90)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class LosingTransport(httpx.AsyncBaseTransport):
    """The payables API's network. `deliver` says whether a payment POST reaches the sandbox,
    `lose` whether its answer is then lost (a read timeout); `before_payment` runs just before a
    delivered payment (another payer acting meanwhile). `keys` records each POST's key."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.deliver: Callable[[int], bool] = lambda n: True
        self.lose: Callable[[int], bool] = lambda n: False
        self.before_payment: Callable[[], Any] | None = None
        self.keys: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (request.method == "POST" and request.url.path.endswith(PAYMENT_POST)):
            return await self.inner.handle_async_request(request)
        self.keys.append(request.headers.get("Idempotency-Key", ""))
        n = len(self.keys)
        if not self.deliver(n):
            raise httpx.ConnectTimeout("no route", request=request)
        if self.before_payment is not None:
            meanwhile, self.before_payment = self.before_payment, None
            await meanwhile()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if self.lose(n):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


async def _flow(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> tuple[Services, LosingTransport]:
    transport = LosingTransport(httpx.ASGITransport(app=sandbox.app))
    flow = build_services(
        bot_settings(), db=bot_db, payables=client_for(transport, sleeps), clock=clock
    )
    await flow.links.connect(TEAM, CHANNEL, ANA)
    return flow, transport


async def _payments(db: Database) -> list[Payment]:
    async with db.read() as s:
        return list(await s.scalars(select(Payment).order_by(Payment.id)))


async def _settled_by(db: Database) -> list[str | None]:
    async with db.read() as s:
        events = await s.scalars(select(AuditEvent).where(AuditEvent.action == "payment_recorded"))
        return [e.details.get("settled_by") for e in events]


async def _looks(flow: Services, clock: Clock, *minutes: int) -> list[PaymentOutcome]:
    """Move the clock to each of these minutes after NOW and run the settler's tick there."""
    found = []
    for minute in minutes:
        clock.now = NOW + timedelta(minutes=minute)
        found += [settled.outcome for settled in await flow.settler.settle_due()]
    return found


async def _submit(flow: Services, bill_id: str, amount: Decimal) -> PaymentOutcome:
    return await flow.payments.submit_payment(
        CaseRef(TEAM, CHANNEL, bill_id),
        SAM,
        payment_request(await gbp_account(flow), amount),
        TODAY,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def test_a_5xx_after_the_payment_landed_is_settled_by_two_reads_minutes_apart(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)
    doubt = await _submit(flow, bill.id, Decimal("10.00"))
    assert doubt.status == "in_doubt" and doubt.case.state == CaseState.IN_DOUBT
    assert "Nothing was paid" not in doubt.message
    sent_first = len(transport.keys)  # the client's own tries, each with the same key

    assert await _looks(flow, clock, 0) == []  # not due yet
    (first,) = await _looks(flow, clock, 1)  # the replay says 500 again; one read: not enough
    assert first.status == "in_doubt"
    (second,) = await _looks(flow, clock, 5)
    assert second.status == "recorded" and second.case.state == CaseState.APPROVED
    assert await sandbox_payments(sandbox, bill.id) == 1
    assert set(transport.keys) == {transport.keys[0]}  # one key, never a new one
    assert await _settled_by(bot_db) == ["reads"]
    assert await _looks(flow, clock, 15, 45, 80) == []
    # What settling it cost: each look replays the key once and reads the bill.
    assert len(transport.keys) - sent_first == 2  # one replay per look, never retried


async def test_a_5xx_before_anything_was_written_waits_for_a_person_who_may_send_it_again(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=False)
    doubt = await _submit(flow, bill.id, Decimal("10.00"))
    assert doubt.status == "in_doubt"  # a 500 proves nothing either way

    looks = await _looks(flow, clock, 1, 5, 15, 45)
    assert [o.status for o in looks] == ["in_doubt"] * 4
    with pytest.raises(Denied, match="isn't settled yet"):
        await flow.payments.prepare_payment(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    early = await flow.recovery.send_again(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert early.status == "refused" and "still checking" in early.message
    (last,) = await _looks(flow, clock, 80)
    assert last.payment is not None and last.payment.awaits_person
    assert await _looks(flow, clock, 200) == []  # past the window: no look, nothing sent
    assert await sandbox_payments(sandbox, bill.id) == 0
    assert set(transport.keys) == {transport.keys[0]}

    again = await flow.recovery.send_again(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert again.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
    first, second = await _payments(bot_db)
    assert (first.status, first.reconciled) == ("refused", "sent_again")
    assert (second.attempt, second.retry_of) == (2, first.id)
    assert first.idempotency_key != second.idempotency_key  # a new write needs a new key


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "never-arrived"])
async def test_answers_never_heard_are_settled_by_reads_or_left_to_a_person(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock, landed: bool
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    # Every try of the payment goes unanswered: either it was written when its key first
    # arrived (and replayed since), or it never arrived at all.
    transport.deliver = lambda n: landed
    transport.lose = lambda n: True
    doubt = await _submit(flow, bill.id, Decimal("10.00"))
    assert doubt.status == "in_doubt"
    looks = await _looks(flow, clock, 1, 5, 15, 45, 80)
    if landed:
        assert [o.status for o in looks] == ["in_doubt", "recorded"]
    else:
        assert [o.status for o in looks] == ["in_doubt"] * 5
        assert looks[-1].payment is not None and looks[-1].payment.awaits_person
    assert await sandbox_payments(sandbox, bill.id) == (1 if landed else 0)
    assert set(transport.keys) == {transport.keys[0]}


async def test_within_the_window_a_replay_of_the_key_settles_it_with_the_platforms_answer(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    transport.lose = lambda n: True
    await _submit(flow, bill.id, Decimal("10.00"))
    transport.lose = lambda n: False
    (settled,) = await _looks(flow, clock, 1)
    assert settled.status == "recorded"
    assert await sandbox_payments(sandbox, bill.id) == 1
    (payment,) = await _payments(bot_db)
    assert payment.payables_payment_id is not None  # the replayed answer named the payment
    assert await _settled_by(bot_db) == ["replay"]


async def test_a_key_refused_as_reused_is_alerted_and_settled_by_reading(
    bot_db: Database,
    sandbox: Sandbox,
    sleeps: SleepRecorder,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    transport.lose = lambda n: True
    await _submit(flow, bill.id, Decimal("10.00"))
    transport.lose = lambda n: False
    # A defect changes the stored payment after it was sent: the same key, another body.
    async with bot_db.write() as s:
        (payment,) = await s.scalars(select(Payment))
        payment.reference = "changed after sending"
    with caplog.at_level(logging.ERROR):
        looks = await _looks(flow, clock, 1, 5)
    assert "refused its key as reused" in caplog.text
    assert [o.status for o in looks] == ["in_doubt", "recorded"]  # the bill shows it landed
    assert await sandbox_payments(sandbox, bill.id) == 1


async def test_a_bill_that_moved_otherwise_is_left_to_the_payer(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    account = await gbp_account(flow)
    elsewhere = client_for(httpx.ASGITransport(app=sandbox.app), sleeps)

    async def someone_else_pays() -> None:
        demo = sandbox.demo
        assert demo is not None
        await elsewhere.create_bill_payment(
            demo.company_id,
            demo.connection_id,
            bill.id,
            BillPaymentPrototype(
                amount=Decimal("25.00"),
                date=f"{TODAY.isoformat()}T00:00:00",
                account_ref=Ref(id=account.id),
            ),
        )

    transport.before_payment = someone_else_pays
    transport.lose = lambda n: True
    await _submit(flow, bill.id, Decimal("10.00"))
    looks = await _looks(flow, clock, 1, 5, 15, 45, 80)
    assert looks[-1].payment is not None and looks[-1].payment.awaits_person
    assert await sandbox_payments(sandbox, bill.id) == 2  # nothing more was sent

    confirmed = await flow.recovery.confirm_in_platform(CaseRef(TEAM, CHANNEL, bill.id), SAM)
    assert confirmed.status == "recorded"
    assert await _settled_by(bot_db) == ["confirmed"]
    assert await sandbox_payments(sandbox, bill.id) == 2


async def test_another_payment_of_the_same_amount_is_never_taken_for_the_one_in_doubt(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    # The first payment never arrives (no try of it gets through). A second of the same
    # amount, from the bot too, is recorded while the first is in doubt.
    transport.deliver = lambda n: False
    doubt = await _submit(flow, bill.id, Decimal("10.00"))
    assert doubt.status == "in_doubt"
    async with bot_db.write() as s:
        (first,) = await s.scalars(select(Payment))
        first.status = "refused"  # set aside for a moment, to let the second go out
        case = await s.get(BillCase, first.case_id)
        assert case is not None
        case.state = CaseState.APPROVED
    lost_key = transport.keys[0]
    transport.deliver = lambda n: transport.keys[n - 1] != lost_key  # the first never arrives
    second = await _submit(flow, bill.id, Decimal("10.00"))
    assert second.status == "recorded"
    async with bot_db.write() as s:
        first = await s.get(Payment, first.id)
        assert first is not None
        first.status = "in_doubt"
    looks = await _looks(flow, clock, 1, 5, 15, 45, 80)
    # The bill fell by exactly 10.00 after the first was sent, but the second explains it.
    assert all(o.status == "in_doubt" for o in looks)
    assert looks[-1].payment is not None and looks[-1].payment.awaits_person
    assert await sandbox_payments(sandbox, bill.id) == 1


@pytest.mark.parametrize("outstanding_only", [False, True], ids=["query-widens", "query-filters"])
async def test_a_full_payment_whose_answer_was_lost_under_either_reading_of_list_bills(
    bot_db: Database,
    make_sandbox: Callable[..., Sandbox],
    sleeps: SleepRecorder,
    clock: Clock,
    outstanding_only: bool,
) -> None:
    # The spec doesn't say whether a status query keeps list bills' outstanding-only default.
    sandbox = make_sandbox(strict=True, outstanding_only=outstanding_only)
    await sandbox.start()
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)
    await _submit(flow, bill.id, bill.outstanding_amount)
    looks = await _looks(flow, clock, 1, 5, 15, 45, 80)
    assert await sandbox_payments(sandbox, bill.id) == 1
    if outstanding_only:
        # A paid bill can't be read back at all: gone from the list is not proof of ours.
        assert looks[-1].payment is not None and looks[-1].payment.awaits_person
    else:
        assert looks[-1].status == "recorded" and looks[-1].case.state == CaseState.PAID


async def test_a_bill_paid_elsewhere_is_no_longer_outstanding_never_deleted(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
    elsewhere = client_for(httpx.ASGITransport(app=sandbox.app), sleeps)
    demo = sandbox.demo
    assert demo is not None
    await elsewhere.create_bill_payment(
        demo.company_id,
        demo.connection_id,
        bill.id,
        BillPaymentPrototype(
            amount=bill.outstanding_amount,
            date=f"{TODAY.isoformat()}T00:00:00",
            account_ref=Ref(id=(await gbp_account(flow)).id),
        ),
    )
    view = await flow.cases.refresh(CaseRef(TEAM, CHANNEL, bill.id))
    assert view.state == CaseState.CLOSED and view.note == "Paid in the accounting platform."


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
minutes = st.integers(min_value=0, max_value=30)


@given(due=amounts, paid=amounts, moved=amounts, apart=minutes)
def test_only_two_agreeing_reads_of_the_exact_fall_prove_a_payment(
    due: Decimal, paid: Decimal, moved: Decimal, apart: int
) -> None:
    sent_at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    sent = Sent(amount=min(paid, due), due_before=due, sent_at=sent_at)
    after = due - sent.amount
    status = "Paid" if after == 0 else "PartiallyPaid"
    first = Reading(sent_at + timedelta(minutes=1), after, status)
    later = Reading(first.at + timedelta(minutes=apart), after, status)
    enough = timedelta(minutes=apart) >= READS_APART
    assert proven_by_reads(sent, [first, later], explained_otherwise=False) == enough
    assert not proven_by_reads(sent, [first, later], explained_otherwise=True)
    assert not proven_by_reads(sent, [later], explained_otherwise=False)  # one read: never
    unchanged = Reading(later.at, due, "Open")
    assert not proven_by_reads(sent, [first, unchanged], explained_otherwise=False)
    gone = Reading(later.at, None, None)
    assert not proven_by_reads(sent, [first, gone], explained_otherwise=False)
    other = Reading(later.at, due - moved, "PartiallyPaid")
    same_fall = moved == sent.amount and enough
    assert proven_by_reads(sent, [first, other], explained_otherwise=False) == (
        same_fall and (due - moved, "PartiallyPaid") == (after, status)
    )
    earlier_change = Reading(
        later.at, after, status, modified=(sent_at - timedelta(seconds=1)).isoformat()
    )
    assert not proven_by_reads(sent, [first, earlier_change], explained_otherwise=False)


def test_looks_come_at_growing_intervals_inside_the_replay_window() -> None:
    sent_at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    times = [next_check(sent_at, n, WINDOW) for n in range(6)]
    assert [t - sent_at for t in times[:5] if t] == [
        timedelta(minutes=m) for m in (1, 5, 15, 45, 80)
    ]
    assert times[5] is None  # then a person decides
    short = [next_check(sent_at, n, timedelta(minutes=30)) for n in range(4)]
    assert [t - sent_at for t in short if t] == [timedelta(minutes=m) for m in (1, 5, 15, 20)]


async def test_a_bill_without_an_amount_due_never_proves_a_partial_payment(
    bot_db: Database,
    make_sandbox: Callable[..., Sandbox],
    sleeps: SleepRecorder,
    clock: Clock,
) -> None:
    # The spec lets amountDue be null: such a bill can't show what a payment took off it.
    sandbox = make_sandbox(null_amount_due=True)
    await sandbox.start()
    flow, transport = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.fail_next_payment(bill_id=bill.id, after_write=True)
    assert (await _submit(flow, bill.id, Decimal("10.00"))).status == "in_doubt"
    looks = await _looks(flow, clock, 1, 5, 15, 45, 80)
    assert looks[-1].payment is not None and looks[-1].payment.awaits_person
    assert await sandbox_payments(sandbox, bill.id) == 1  # it landed; nothing more was sent
    assert set(transport.keys) == {transport.keys[0]}


async def test_a_202_pending_stays_in_doubt_until_the_bill_shows_the_payment(
    bot_db: Database, sandbox: Sandbox, sleeps: SleepRecorder, clock: Clock
) -> None:
    flow, _ = await _flow(bot_db, sandbox, sleeps, clock)
    bill = await open_gbp_bill(flow.reads, sandbox.demo)
    await flow.approvals.approve(CaseRef(TEAM, CHANNEL, bill.id), ANA)
    sandbox.faults.accept_next_payment(bill_id=bill.id)
    pending = await _submit(flow, bill.id, Decimal("10.00"))
    assert pending.status == "in_doubt"  # accepted is not recorded
    looks = await _looks(flow, clock, 1, 5)  # the 202 replayed; reads agree minutes apart
    assert [o.status for o in looks] == ["in_doubt", "recorded"]
    assert await sandbox_payments(sandbox, bill.id) == 1
