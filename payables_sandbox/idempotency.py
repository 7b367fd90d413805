"""`Idempotency-Key` as Codat documents it (docs/using-the-api/write-data/idempotency.md).

`IdempotencyMiddleware` wraps the API. For a POST or PATCH carrying the header it:

- refuses a key that is not a GUID, or more than one key, with a 400 `ErrorMessage`;
- claims the key in its own committed transaction before the request runs, so that a second
  request with the key while the first is still running gets a 409;
- answers a repeat of a finished request with the stored answer (status, headers, body), plus
  `Idempotent-Replayed: true`, for `window` (90 minutes by default) after it was stored;
- answers the key reused with another request (method, path or body) with a 422;
- stores every answer but a 429, errors included; a 429 releases the key, so the retry the
  `Retry-After` asks for runs afresh;
- stores nothing for a request whose client disconnected before its whole body arrived (a
  `Content-Length` longer than what came): there was no request to answer, and the key is
  never claimed. A body that arrived whole but is empty or invalid is answered (400) and that
  answer is stored like any other.

The header is ignored on other methods (PUT, DELETE, GET): the docs say it can only be sent on
POST and PATCH, while the spec lists it on the two PUTs, so refusing it there would break
clients that follow the spec. Requests whose credentials are wrong never claim a key.

A request that started but never finished (the process stopped mid-request) leaves its key
claimed; after `IN_PROGRESS_TIMEOUT` the claim is taken as abandoned and the key is free. A
request this process is still running is never taken as abandoned. Times are the sandbox's
clock's (`payables_sandbox.clock`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payables_sandbox import exact_json, store
from payables_sandbox.errors import error_body

log = logging.getLogger(__name__)

HONOURED_METHODS = frozenset({"POST", "PATCH"})
DEFAULT_WINDOW = timedelta(minutes=90)
IN_PROGRESS_TIMEOUT = timedelta(minutes=5)
REPLAYED_HEADER = "Idempotent-Replayed"
# The forms .NET's Guid.Parse reads (Codat runs on .NET): 32 digits, plain, hyphenated, in
# braces or in parentheses. All are one key once normalised.
_GUID = re.compile(
    r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|\{[0-9a-fA-F-]{36}\}|\([0-9a-fA-F-]{36}\))$"
)
_NOT_STORED_HEADERS = frozenset(
    {
        "content-length",
        "date",
        "server",
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    }
)


def normalise_key(value: str) -> str | None:
    """The key in canonical GUID form, or None when it is not a GUID."""
    text = value.strip()
    if not _GUID.match(text):
        return None
    try:
        return str(uuid.UUID(text.strip("{}()")))
    except ValueError:
        return None


@dataclass
class Captured:
    """An answer as the app sent it, kept so that it can be stored and sent on."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        database: store.Database,
        window: Callable[[], timedelta],
        authorised: Callable[[str | None], bool],
    ) -> None:
        self.app = app
        self.db = database
        self.window = window
        self.authorised = authorised
        # Keys whose first request this process is running now: never taken as abandoned,
        # however long they take (a payment held by a test, while its clock moves on).
        self._running: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in HONOURED_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        values = headers.getlist("idempotency-key")
        if not values or not self.authorised(headers.get("authorization")):
            await self.app(scope, receive, send)
            return
        if len(values) > 1:
            await _send_json(send, 400, "Send a single Idempotency-Key header, not several.")
            return
        key = normalise_key(values[0])
        if key is None:
            await _send_json(
                send,
                400,
                f"The Idempotency-Key '{values[0][:64]}' is not a GUID; send a new GUID "
                "(such as 3fa85f64-5717-4562-b3fc-2c963f66afa6) for each distinct request.",
            )
            return
        body = await _read_body(receive)
        if body is None:
            # The client went away before its body arrived: no request, so no answer to keep,
            # and the key stays free for the whole request (Codat stores the answers it gives).
            log.info("a request with Idempotency-Key %s was cut off before its body arrived", key)
            return
        fingerprint = _fingerprint(scope, headers, body)
        answered = await self._claim(key, fingerprint)
        if answered is not None:
            await answered(send)
            return
        self._running.add(key)
        try:
            captured = await self._run(scope, body)
            if captured.status == 429:
                await self._release(key)
            else:
                await self._store(key, captured)
        finally:
            self._running.discard(key)
        await send(
            {"type": "http.response.start", "status": captured.status, "headers": captured.headers}
        )
        await send({"type": "http.response.body", "body": bytes(captured.body)})

    async def _claim(self, key: str, fingerprint: str) -> Callable[[Send], Awaitable[None]] | None:
        """Claim the key (None), or say how to answer: replay, in progress, or reused."""
        for _ in range(3):
            try:
                async with self.db.write() as session:
                    record = await session.get(store.IdempotencyRecord, key, with_for_update=True)
                    now = store.utcnow()
                    if (
                        record is not None
                        and _expired(record, now)
                        and not (record.status_code is None and key in self._running)
                    ):
                        await session.delete(record)
                        await session.flush()
                        record = None
                    if record is None:
                        session.add(
                            store.IdempotencyRecord(
                                key=key,
                                fingerprint=fingerprint,
                                created=now,
                                expires=now + IN_PROGRESS_TIMEOUT,
                            )
                        )
                        await session.flush()
                        return None
                    return _answer_for(record, key, fingerprint)
            except IntegrityError:
                continue  # another request claimed it between our read and our insert
        return _error_sender(409, _in_progress(key), retry="True")

    async def _run(self, scope: Scope, body: bytes) -> Captured:
        captured = Captured()
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured.body.extend(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        except Exception:
            # An answer like any other: Codat stores 5xx answers too.
            log.exception("unexpected error in the sandbox")
            payload = exact_json.dumps(
                error_body(500, "An unexpected error occurred.", can_be_retried="True")
            ).encode()
            return Captured(500, [(b"content-type", b"application/json")], bytearray(payload))
        return captured

    async def _store(self, key: str, captured: Captured) -> None:
        kept = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in captured.headers
            if name.decode("latin-1").lower() not in _NOT_STORED_HEADERS
        }
        async with self.db.write() as session:
            record = await session.get(store.IdempotencyRecord, key, with_for_update=True)
            if record is None:  # released meanwhile: nothing to keep it under
                return
            record.status_code = captured.status
            record.headers = kept
            record.body = bytes(captured.body)
            record.expires = store.utcnow() + self.window()

    async def _release(self, key: str) -> None:
        async with self.db.write() as session:
            record = await session.get(store.IdempotencyRecord, key, with_for_update=True)
            if record is not None and record.status_code is None:
                await session.delete(record)


def _expired(record: store.IdempotencyRecord, now: Any) -> bool:
    return record.expires <= now


def _answer_for(
    record: store.IdempotencyRecord, key: str, fingerprint: str
) -> Callable[[Send], Awaitable[None]]:
    if record.fingerprint != fingerprint:
        return _error_sender(
            422,
            f"The Idempotency-Key '{key}' was already used for a different request; "
            "use a new key for a new request.",
            retry="False",
        )
    if record.status_code is None:
        return _error_sender(409, _in_progress(key), retry="True")
    status = record.status_code
    stored_headers = dict(record.headers or {})
    body = record.body or b""

    async def replay(send: Send) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored_headers.items()]
        headers.append((REPLAYED_HEADER.encode(), b"true"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return replay


def _in_progress(key: str) -> str:
    return (
        f"A request with the Idempotency-Key '{key}' is still in progress; "
        "retry once it has finished to get its answer."
    )


def _error_sender(status: int, message: str, *, retry: str) -> Callable[[Send], Awaitable[None]]:
    async def sender(send: Send) -> None:
        await _send_json(send, status, message, retry=retry)

    return sender


async def _send_json(send: Send, status: int, message: str, *, retry: str = "False") -> None:
    payload = exact_json.dumps(error_body(status, message, can_be_retried=retry)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when the client disconnected before its last part."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # http.disconnect: what arrived is not the request that was sent
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _fingerprint(scope: Scope, headers: Headers, body: bytes) -> str:
    """Method, path and body; JSON compared as data (key order and spacing do not matter),
    multipart with its random boundary taken out."""
    content_type = headers.get("content-type", "")
    canonical = body
    if content_type.startswith("multipart/"):
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if boundary:
            canonical = body.replace(boundary.group(1).encode("latin-1"), b"")
    elif body:
        try:
            canonical = exact_json.dumps(_sorted(exact_json.loads(body))).encode()
        except ValueError:
            canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
