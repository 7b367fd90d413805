"""The client's retries: Retry-After honoured, backoff on 5xx and lost connections, deadlines,
and no retry where retrying cannot help."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from billpay.payables.client import PayablesClient, RetryPolicy, basic_auth
from billpay.payables.errors import (
    PayablesBadRequest,
    PayablesDeadlineExceeded,
    PayablesRateLimited,
    PayablesServerError,
    PayablesUnauthorized,
    PayablesUnavailable,
)
from payables_sandbox.app import Sandbox
from payables_sandbox.faults import FaultConfig
from testkit.payables import (
    SANDBOX_KEY,
    SANDBOX_URL,
    CountingTransport,
    SleepRecorder,
    client_for,
)


async def test_429_is_retried_after_the_wait_the_api_asks_for(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport, sleeps: SleepRecorder
) -> None:
    sandbox.faults.fail_next(2, status_code=429, retry_after=3)

    companies = await payables.list_companies()

    assert companies.results[0].name == "Larkspur Design Studio Ltd"
    assert transport.count("GET", "/companies") == 3
    assert sleeps.waits == [3, 3]


async def test_5xx_and_lost_connections_back_off_exponentially(
    sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app), connect_failures=2)
    sandbox.faults.fail_next(2, status_code=503)
    policy = RetryPolicy(deadline=60, max_attempts=6, base_delay=1.0, max_delay=30, jitter=0)
    async with client_for(transport, sleeps, policy) as client:
        info = await client.list_companies()

    assert info.total_results == 1
    assert len(transport.requests) == 5  # 2 refused connections, 2 x 503, then success
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0]


async def test_jitter_keeps_waits_within_the_backoff(sandbox: Sandbox) -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=30, jitter=0.5)
    rng = random.Random(7)
    waits = [policy.backoff(attempt, rng) for attempt in (1, 2, 3, 4)]
    for attempt, wait in zip((1, 2, 3, 4), waits, strict=True):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(waits)) == 4


async def test_gives_up_at_the_deadline_with_a_typed_error(
    sandbox: Sandbox, sleeps: SleepRecorder
) -> None:
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    sandbox.faults.fail_next(50, status_code=503)
    policy = RetryPolicy(deadline=5.0, max_attempts=50, base_delay=1.0, max_delay=30, jitter=0)
    async with client_for(transport, sleeps, policy) as client:
        with pytest.raises(PayablesDeadlineExceeded) as caught:
            await client.list_companies()

    # Waits of 1 and 2 fit in 5 seconds; the next (4) would end past the deadline.
    assert sleeps.waits == [1.0, 2.0]
    assert len(transport.requests) == 3
    assert isinstance(caught.value.last_error, PayablesServerError)
    assert caught.value.status_code == 503
    assert "deadline" in str(caught.value)


async def test_a_retry_after_longer_than_the_deadline_fails_at_once(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport, sleeps: SleepRecorder
) -> None:
    sandbox.faults.fail_next(1, status_code=429, retry_after=120)

    with pytest.raises(PayablesDeadlineExceeded) as caught:
        await payables.with_deadline(10).list_companies()

    assert isinstance(caught.value.last_error, PayablesRateLimited)
    assert caught.value.last_error.retry_after == 120
    assert sleeps.waits == []
    assert len(transport.requests) == 1


async def test_max_attempts_bounds_retries(
    sandbox: Sandbox, sleeps: SleepRecorder, transport: CountingTransport
) -> None:
    sandbox.faults.fail_next(10, status_code=500)
    async with client_for(
        transport, sleeps, RetryPolicy(deadline=1000, max_attempts=3, jitter=0)
    ) as client:
        with pytest.raises(PayablesServerError) as caught:
            await client.list_companies()
    assert len(transport.requests) == 3
    assert caught.value.can_be_retried == "True"


async def test_client_errors_are_not_retried(
    payables: PayablesClient, transport: CountingTransport, sleeps: SleepRecorder
) -> None:
    with pytest.raises(PayablesBadRequest) as caught:
        await payables.list_companies(query="name=={broken")
    assert len(transport.requests) == 1
    assert sleeps.waits == []
    assert caught.value.status_code == 400
    assert "Malformed query" in (caught.value.error or "")
    assert caught.value.correlation_id


async def test_a_wrong_key_is_401_and_not_retried(sandbox: Sandbox, sleeps: SleepRecorder) -> None:
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    async with PayablesClient(
        base_url=SANDBOX_URL,
        api_key="not-the-key",
        transport=transport,
        sleep=sleeps,
        clock=sleeps.clock,
    ) as client:
        with pytest.raises(PayablesUnauthorized) as caught:
            await client.list_companies()
    assert caught.value.status_code == 401
    assert len(transport.requests) == 1
    assert transport.requests[0].headers["Authorization"] == basic_auth("not-the-key")


async def test_a_retried_create_keeps_its_idempotency_key(
    sandbox: Sandbox, payables: PayablesClient, transport: CountingTransport
) -> None:
    sandbox.faults.fail_next(2, status_code=502)

    company = await payables.create_company("Retry Ltd")

    posts = [r for r in transport.requests if r.method == "POST"]
    assert len(posts) == 3
    keys = {r.headers["Idempotency-Key"] for r in posts}
    assert len(keys) == 1
    listed = await payables.list_companies(page_size=100)
    assert [c.id for c in listed.results if c.name == "Retry Ltd"] == [company.id]


async def test_the_api_key_never_reaches_a_log_line(
    sandbox: Sandbox, payables: PayablesClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.faults.fail_next(1, status_code=503)
    await payables.list_companies()
    with pytest.raises(PayablesBadRequest):
        await payables.list_companies(query="{")

    assert "retry 1" in caplog.text  # the retry was logged...
    assert SANDBOX_KEY not in caplog.text  # ...without the key, plain or encoded
    assert basic_auth(SANDBOX_KEY).split()[1] not in caplog.text
    assert SANDBOX_KEY not in repr(payables)


async def test_retry_after_is_honoured_on_503_too(
    sandbox: Sandbox, payables: PayablesClient, sleeps: SleepRecorder
) -> None:
    sandbox.faults.fail_next(1, status_code=503, retry_after=7)
    await payables.list_companies()
    assert sleeps.waits == [7]


@pytest.mark.sandbox(faults=FaultConfig(latency_ms=400))
async def test_the_deadline_bounds_a_slow_answer(sandbox: Sandbox) -> None:
    transport = CountingTransport(httpx.ASGITransport(app=sandbox.app))
    policy = RetryPolicy(deadline=0.15, max_attempts=3, base_delay=0.01, jitter=0)
    async with PayablesClient(
        base_url=SANDBOX_URL, api_key=SANDBOX_KEY, transport=transport, retry=policy
    ) as client:
        started = time.monotonic()
        with pytest.raises((PayablesDeadlineExceeded, PayablesUnavailable)):
            await client.list_companies()
        elapsed = time.monotonic() - started
    assert elapsed < 0.4  # gave up at the deadline, without waiting for the 400 ms answer


async def test_sandbox_crashes_reach_the_caller_as_server_errors(
    sandbox: Sandbox, payables: PayablesClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payables_sandbox.service import companies as service

    async def broken(*_args: object) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "list_companies", broken)
    with pytest.raises(PayablesServerError) as caught:
        await payables.with_retry(RetryPolicy(max_attempts=1)).list_companies()
    assert caught.value.status_code == 500
    assert "disk on fire" not in str(caught.value)  # internals stay inside the service


def test_money_fields_refuse_floats() -> None:
    from decimal import Decimal

    from pydantic import ValidationError

    from billpay.core import jsoncodec
    from billpay.payables.models import BillPaymentPrototype, Ref

    with pytest.raises(ValidationError):
        BillPaymentPrototype(amount=0.1 + 0.2, date="2026-11-22", account_ref=Ref(id="a"))
    exact = BillPaymentPrototype(amount=Decimal("0.30"), date="2026-11-22", account_ref=Ref(id="a"))
    assert jsoncodec.dumps(exact.to_api()).startswith('{"amount":0.30,')
    with pytest.raises(ValueError):
        jsoncodec.dumps({"amount": float("nan")})
