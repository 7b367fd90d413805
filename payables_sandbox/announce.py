"""What the sandbox announces, and when: `Announcer` turns what happened (the notes of a request,
a write's answer, a change made in the platform, the quota) into webhook events, with the
timing Codat's readers see.

- Connection events as they happen; a new connection's first link is followed by
  `read.completed.initial` for the payables data types.
- `{dataType}.write.successful` after a write through the API succeeded, and
  `.unsuccessful` when the platform refused it (a 400).
- `read.completed` once a change becomes visible to reads: a bill payment after
  `SandboxConfig.payment_read_lag` (or when approved), a change made in the platform after
  `SandboxConfig.platform_read_lag`, by the sandbox's clock (a background task watches it).
- `client.rateLimit.reached` and `client.rateLimit.reset`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from payables_sandbox import clock, events
from payables_sandbox.config import SandboxConfig
from payables_sandbox.database import Database
from payables_sandbox.quota import QuotaState
from payables_sandbox.webhooks import Webhooks, timestamp

PAYABLES_DATA_TYPES = ["bills", "suppliers", "billPayments", "bankAccounts"]
TICK_SECONDS = 0.02


@dataclass(frozen=True)
class DueRead:
    due: datetime
    company_id: str
    connection_id: str
    data_types: tuple[str, ...]
    modified_from: datetime
    initial: bool = False


class Announcer:
    def __init__(
        self, config: Callable[[], SandboxConfig], db: Database, webhooks: Webhooks
    ) -> None:
        self._config = config
        self.db = db
        self.webhooks = webhooks
        self._due: list[DueRead] = []
        self._ticker: asyncio.Task[None] | None = None

    @property
    def on(self) -> bool:
        return self._config().webhook_url is not None

    async def notes(self, notes: list[events.Note]) -> None:
        if not self.on:
            return
        for item in notes:
            if item.kind == "payment":
                if not item.hidden and item.moment is not None:
                    self.read_after(
                        item.company_id,
                        item.connection_id,
                        ("bills", "billPayments", "suppliers"),
                        item.moment,
                        self._config().payment_read_lag,
                    )
                continue
            async with self.db.read() as session:
                payload = await events.connection_payload(
                    session, item.company_id, item.connection_id
                )
            self.webhooks.emit(item.kind, payload)
            if item.kind == "connection.connected":
                now = clock.now()
                self.read_after(
                    item.company_id,
                    item.connection_id,
                    tuple(PAYABLES_DATA_TYPES),
                    now,
                    timedelta(0),
                    initial=True,
                )

    async def write(
        self,
        data_type: str,
        kind: str,
        company_id: str,
        connection_id: str,
        *,
        requested: datetime,
        record_id: str | None,
    ) -> None:
        if not self.on:
            return
        async with self.db.read() as session:
            payload = await events.write_payload(
                session,
                company_id=company_id,
                connection_id=connection_id,
                kind=kind,
                requested=requested,
                completed=clock.now(),
                record_id=record_id,
            )
        outcome = "successful" if record_id is not None else "unsuccessful"
        self.webhooks.emit(f"{data_type}.write.{outcome}", payload)

    def read_after(
        self,
        company_id: str,
        connection_id: str,
        data_types: tuple[str, ...],
        changed: datetime,
        lag: timedelta,
        *,
        initial: bool = False,
    ) -> None:
        """Announce `read.completed` (or `.initial`) for these data types once the sandbox's
        clock reaches `changed + lag`."""
        if not self.on:
            return
        self._due.append(
            DueRead(changed + lag, company_id, connection_id, data_types, changed, initial)
        )
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._watch())

    def quota_reached(self, state: QuotaState) -> None:
        self.webhooks.emit("client.rateLimit.reached", _quota_payload(state))

    def quota_reset(self, state: QuotaState) -> None:
        self.webhooks.emit("client.rateLimit.reset", _quota_payload(state))

    async def settle(self) -> None:
        """Wait until every read due by the sandbox's clock was announced and every message
        delivered or given up (for tests; the caller bounds the wait)."""
        while any(item.due <= clock.now() for item in self._due):  # noqa: ASYNC110
            await asyncio.sleep(TICK_SECONDS)
        await self.webhooks.drain()

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.webhooks.close()

    async def _watch(self) -> None:
        while self._due:
            now = clock.now()
            for item in [item for item in self._due if item.due <= now]:
                async with self.db.read() as session:
                    payload = await events.read_payload(
                        session,
                        item.company_id,
                        item.connection_id,
                        list(item.data_types),
                        item.modified_from,
                    )
                kind = "read.completed.initial" if item.initial else "read.completed"
                self.webhooks.emit(kind, payload)
                # Left due until sent, so that `settle` waits for it.
                self._due.remove(item)
            await asyncio.sleep(TICK_SECONDS)


def _quota_payload(state: QuotaState) -> dict[str, object]:
    return {
        "dailyQuota": state.limit,
        "quotaRemaining": state.remaining,
        "expiryDate": timestamp(state.reset),
    }
