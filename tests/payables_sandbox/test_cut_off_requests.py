"""Codat stores the answers it gives under an `Idempotency-Key`
(docs/using-the-api/write-data/idempotency.md); a request whose client went away before its
body arrived got none, so its key stays free. Driven over a real socket against the sandbox
served by uvicorn: the client announces a `Content-Length`, sends less, and closes.

A body that arrives whole but is empty or not JSON is answered 400, and that answer is stored
and replayed like any deterministic 4xx the docs list."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from payables_sandbox import store
from payables_sandbox.app import Sandbox
from payables_sandbox.seed import DemoIds
from testkit.bot import serve
from testkit.payables import SANDBOX_KEY, bill_json

AUTH = {"Authorization": "Basic " + base64.b64encode(SANDBOX_KEY.encode()).decode()}
REFERENCE = "KC-40019"
DUE = Decimal("310.80")  # KC-40019: 14 x £18.50 and 20% VAT
# How long a test waits for the sandbox to notice a disconnect before failing (not a timing
# the test measures: the wait ends as soon as the sandbox says so).
NOTICE_TIMEOUT = 10.0


class CutOffs(logging.Handler):
    """Sets `seen` when the sandbox logs that a request was cut off before its body arrived."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "cut off before its body arrived" in record.getMessage():
            self.seen.set()


@pytest.fixture
async def served(sandbox: Sandbox) -> AsyncIterator[str]:
    """The sandbox's app served by uvicorn on a free port, in this test's event loop."""
    async with serve(sandbox.app) as url:
        yield url


@pytest.fixture
def cut_offs() -> Iterator[CutOffs]:
    """What the sandbox's idempotency middleware and its app log (for a request with a key
    and one without)."""
    handler = CutOffs()
    loggers = [logging.getLogger(f"payables_sandbox.{name}") for name in ("idempotency", "app")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _payments_path(demo: DemoIds, bill_id: str) -> str:
    return (
        f"/companies/{demo.company_id}/connections/{demo.connection_id}"
        f"/payables/bills/{bill_id}/payment"
    )


def _payment(demo: DemoIds) -> dict[str, object]:
    return {
        "amount": "10.00",
        "date": "2026-11-22T00:00:00",
        "accountRef": {"id": demo.bank_accounts["GBP"]},
    }


async def _send_raw(url: str, path: str, key: str | None, body: bytes, declared: int) -> bytes:
    """A POST announcing `declared` bytes of body; `body` is what is sent. When it is short,
    the client closes without reading an answer and b"" is returned; else the answer."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {AUTH['Authorization']}\r\n"
        + (f"Idempotency-Key: {key}\r\n" if key else "")
        + f"Content-Type: application/json\r\nContent-Length: {declared}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    answer = b"" if len(body) < declared else await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


async def _stored(sandbox: Sandbox, key: str) -> store.IdempotencyRecord | None:
    async with sandbox.db.read() as session:
        return await session.get(store.IdempotencyRecord, key)


@pytest.mark.parametrize("sent", ["nothing", "half"])
async def test_a_payment_cut_off_mid_body_stores_nothing_and_its_key_then_pays_once(
    sandbox: Sandbox, demo: DemoIds, served: str, cut_offs: CutOffs, sent: str
) -> None:
    async with httpx.AsyncClient(base_url=served, headers=AUTH) as http:
        bills = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
        bill_id = str((await bill_json(http, bills, REFERENCE))["id"])
        path = _payments_path(demo, bill_id)
        key = str(uuid.uuid4())
        body = json.dumps(_payment(demo)).encode()
        partial = b"" if sent == "nothing" else body[: len(body) // 2]

        await _send_raw(served, path, key, partial, declared=len(body))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(NOTICE_TIMEOUT):
                await cut_offs.seen.wait()
        stored = await _stored(sandbox, key)
        assert stored is None, f"stored {stored.status_code}: {stored.body!r}"
        assert cut_offs.seen.is_set()
        assert Decimal(str((await bill_json(http, bills, REFERENCE))["amountDue"])) == DUE

        whole = await http.post(path, content=body, headers={"Idempotency-Key": key})
        assert whole.status_code == 201, whole.text
        assert "Idempotent-Replayed" not in whole.headers
        again = await http.post(path, content=body, headers={"Idempotency-Key": key})
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == whole.json()["id"]
        paid = Decimal(str((await bill_json(http, bills, REFERENCE))["amountDue"]))
        assert paid == DUE - Decimal("10.00")  # paid once


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"", "The request body is empty"), (b'{"amount": ', "not valid JSON")],
)
async def test_a_whole_body_that_is_empty_or_not_json_is_a_400_stored_under_its_key(
    sandbox: Sandbox, demo: DemoIds, served: str, body: bytes, error: str
) -> None:
    async with httpx.AsyncClient(base_url=served, headers=AUTH) as http:
        bills = f"/companies/{demo.company_id}/connections/{demo.connection_id}/payables"
        bill_id = str((await bill_json(http, bills, REFERENCE))["id"])
        path = _payments_path(demo, bill_id)
        key = str(uuid.uuid4())

        answer = await _send_raw(served, path, key, body, declared=len(body))
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"400", answer
        assert error.encode() in rest
        stored = await _stored(sandbox, key)
        assert stored is not None and stored.status_code == 400

        replayed = await http.post(path, content=body, headers={"Idempotency-Key": key})
        assert replayed.status_code == 400
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert error in replayed.json()["error"]
        whole = await http.post(path, json=_payment(demo), headers={"Idempotency-Key": key})
        assert whole.status_code == 422  # the key answered another request
        assert Decimal(str((await bill_json(http, bills, REFERENCE))["amountDue"])) == DUE


async def test_a_request_without_a_key_cut_off_mid_body_creates_nothing_and_is_no_error(
    served: str, cut_offs: CutOffs, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"name": "Cut Off Ltd"}).encode()
    with caplog.at_level(logging.INFO):
        await _send_raw(served, "/companies", None, body[:10], declared=len(body))
        async with asyncio.timeout(NOTICE_TIMEOUT):
            await cut_offs.seen.wait()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    async with httpx.AsyncClient(base_url=served, headers=AUTH) as http:
        names = [c["name"] for c in (await http.get("/companies")).json()["results"]]
    assert "Cut Off Ltd" not in names
