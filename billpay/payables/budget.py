"""The call budget: every request to the payables API passes through it (`PayablesHttp.request`).

Codat allows a client `1,000 + 1,000 x active connected companies` requests a day, reset at
00:00 UTC, and 10 concurrent requests per company (docs/using-the-api/rate-limits.md). Past the
daily quota every request is answered 429 until the reset, payments included. So:

- each request says what it is for (`Priority`): a payment (sending it, and the live reads
  before and after it), a display (what a person asked to see), or a sync (background reads);
- while the quota left falls under a reserve (`reserve` calls), displays and syncs are refused at
  once with `PayablesBudgetExhausted`, which carries the reset time; payments may use the
  reserve, so a payment still goes through on a busy day;
- the `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` headers, when the API sends them, are the
  truth: they count the whole client, other replicas included, and calls refused follow them.
  Without them (the sandbox, the first call after a start), what is left is estimated from the
  calls every replica counted (`learn`) against a configured quota, or Codat's formula for the
  companies linked; only a configured quota refuses calls on an estimate, since Codat counts
  companies the bot does not know of (`left`);
- Codat's `client.rateLimit.reached` webhook pauses displays and syncs until
  `client.rateLimit.reset` (or the reset time it gave); `sync_paused()` tells background sync;
- at most `CONCURRENT_PER_COMPANY` requests per company are in flight, across every replica
  sharing the database: each request holds one of the company's places (`SharedPlaces`,
  `billpay.store.slots`: a row taken with one atomic UPDATE, with a lease so a replica that dies
  holding it loses it a lease later at most), given back after the answer. Within a process,
  those waiting are served by priority, payments first; a request for display may only take a
  place while two are free and a sync while three are (`places_for`), so payments and what
  people asked to see never wait behind background reads, whichever replica runs them;
- calls are counted per company, UTC day and priority in memory (`tallies()`); the scheduler
  writes them to the database every half minute and at shutdown (`billpay.store.calls`), never
  one write per call.

`on_exhausted(reset_at)` is called once per UTC day in this process when the budget first runs
out (the Slack edge tells each linked channel, once per day across replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import IntEnum
from typing import Protocol

from billpay.core.clock import utcnow
from billpay.payables.errors import PayablesError

log = logging.getLogger(__name__)

CALLS_PER_COMPANY_PER_DAY = 1_000
CONCURRENT_PER_COMPANY = 10
# Calls that name no company (listing companies) share one limiter under this key.
NO_COMPANY = ""

_COMPANY_PATH = re.compile(r"^/?companies/([^/?#]+)")


class Priority(IntEnum):
    """What a request is for; the lower, the sooner it is served and the longer it may go on."""

    PAYMENT = 0
    DISPLAY = 1
    SYNC = 2


class PayablesBudgetExhausted(PayablesError):
    """Today's allowance of calls to the payables API is used up, down to the reserve kept for
    payments (or the API said the client's limit was reached): this read was not sent. Nothing
    was changed; `reset_at` is when the allowance comes back."""

    def __init__(self, company_id: str, priority: Priority, reset_at: datetime) -> None:
        super().__init__(
            f"call budget exhausted for {priority.name.lower()} calls of company "
            f"{company_id or '-'} until {reset_at:%Y-%m-%d %H:%M} UTC",
            error="Today's allowance of calls to the accounting platform is used up.",
        )
        self.company_id = company_id
        self.priority = priority
        self.reset_at = reset_at


def company_of(path: str) -> str:
    """The company a request is about, from its path `/companies/{id}/...`."""
    found = _COMPANY_PATH.match(path)
    return found.group(1) if found else NO_COMPANY


def daily_quota(companies: int) -> int:
    """Codat's daily quota for a client with this many active connected companies."""
    return CALLS_PER_COMPANY_PER_DAY * (1 + max(0, companies))


def next_reset(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class QuotaReading:
    """The API's own count, from its `X-Rate-Limit-*` headers."""

    limit: int | None
    remaining: int
    reset_at: datetime
    seen_at: datetime


def read_quota(headers: Mapping[str, str], now: datetime) -> QuotaReading | None:
    """The `X-Rate-Limit-*` headers of an answer, or None when it has none (the sandbox, an
    answer from a proxy). The reset is a date (ISO 8601 or HTTP date) or epoch seconds."""
    remaining = _integer(headers.get("X-Rate-Limit-Remaining"))
    if remaining is None:
        return None
    limit = _integer(headers.get("X-Rate-Limit-Limit"))
    reset_at = _moment(headers.get("X-Rate-Limit-Reset")) or next_reset(now)
    return QuotaReading(limit, max(0, remaining), reset_at, now)


def _integer(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return datetime.fromtimestamp(number, UTC) if number > 1e9 else None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Places kept free of each priority: a display leaves the last place to payments, a sync the
# last two to payments and displays.
KEPT_FROM = {Priority.PAYMENT: 0, Priority.DISPLAY: 1, Priority.SYNC: 2}
# How long a request waits before asking the database again for a place other replicas hold.
FIRST_RETRY_SECONDS = 0.02
MAX_RETRY_SECONDS = 0.1


def places_for(priority: Priority, capacity: int) -> int:
    """How many of a company's places may be in use when a request of `priority` takes one."""
    return max(1, capacity - KEPT_FROM[priority])


class SharedPlaces(Protocol):
    """A company's places for requests in flight, shared by every replica
    (`billpay.store.slots.CallSlots`)."""

    async def take(self, company_id: str, within: int) -> object | None:
        """A free place among the company's first `within`, taken; None when all are held."""
        ...

    async def give_back(self, place: object) -> None: ...


class PriorityLimiter:
    """At most `capacity` holders at once, fewer for lower priorities (`places_for`); those
    waiting are let in by priority, then in order of arrival."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.active = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, future in self._waiting if not future.done())

    async def acquire(self, priority: Priority) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (int(priority), next(self._order), future))
        self._let_in()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a place just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        self.active -= 1
        self._let_in()

    def _let_in(self) -> None:
        # The first waiting has the highest priority: when it may not come in, nobody may.
        while self._waiting:
            priority, _, future = self._waiting[0]
            if future.done():
                heapq.heappop(self._waiting)
                continue
            if self.active >= places_for(Priority(priority), self.capacity):
                return
            heapq.heappop(self._waiting)
            self.active += 1
            future.set_result(None)


@dataclass
class Tally:
    """Calls of one company on one UTC day, by priority, and displays and syncs refused."""

    company_id: str
    day: date
    payment: int = 0
    display: int = 0
    sync: int = 0
    refused: int = 0

    @property
    def calls(self) -> int:
        return self.payment + self.display + self.sync


@dataclass
class _State:
    reading: QuotaReading | None = None
    sent_since_reading: int = 0
    paused_until: datetime | None = None
    others_today: int = 0  # calls other replicas recorded today (when no reading says better)
    others_day: date | None = None
    told_day: date | None = None
    tallies: dict[tuple[date, str], Tally] = field(default_factory=dict)
    dirty: set[tuple[date, str]] = field(default_factory=set)


class CallBudget:
    """The budget of one process; its `PayablesHttp` clients share it (`with_*` copies)."""

    def __init__(
        self,
        *,
        reserve: int = 200,
        companies: int = 1,
        quota: int | None = None,
        concurrency: int = CONCURRENT_PER_COMPANY,
        clock: Callable[[], datetime] = utcnow,
        on_exhausted: Callable[[datetime], None] | None = None,
        shared: SharedPlaces | None = None,
    ) -> None:
        """`quota` fixes the daily quota (else it follows `companies`, which `learn` updates);
        `reserve` is how many calls of it are kept for payments. `shared`: the places every
        replica shares (None: this process alone counts its requests in flight)."""
        self.shared = shared
        self.reserve = reserve
        self.companies = companies
        self.fixed_quota = quota
        self.concurrency = concurrency
        self.clock = clock
        self.on_exhausted = on_exhausted
        self._limiters: dict[str, PriorityLimiter] = {}
        # Per company: one request at a time asks the database for a place (those behind it
        # came through the limiter in order of priority), woken early when this process gives
        # one back.
        self._asking: dict[str, asyncio.Lock] = {}
        self._given_back: dict[str, asyncio.Event] = {}
        self._state = _State()

    # ------------------------------------------------------------ what is left

    @property
    def quota(self) -> int:
        if self._state.reading is not None and self._state.reading.limit is not None:
            return self._state.reading.limit
        return self.fixed_quota or daily_quota(self.companies)

    def reset_at(self, now: datetime | None = None) -> datetime:
        now = now or self.clock()
        reading = self._current_reading(now)
        return reading.reset_at if reading is not None else next_reset(now)

    def left(self, now: datetime | None = None) -> int:
        """Calls left today for the whole client: the API's count when it gave one (less the
        calls sent since), else the quota less every replica's calls counted today."""
        now = now or self.clock()
        reading = self._current_reading(now)
        if reading is not None:
            return max(0, reading.remaining - self._state.sent_since_reading)
        day = now.astimezone(UTC).date()
        mine = sum(t.calls for (d, _), t in self._state.tallies.items() if d == day)
        others = self._state.others_today if self._state.others_day == day else 0
        return max(0, self.quota - mine - others)

    def sync_paused(self, now: datetime | None = None) -> bool:
        """Whether background sync should wait (and displays are refused): the API said the
        limit was reached, or only the payments' reserve is left."""
        now = now or self.clock()
        if self._paused(now):
            return True
        if self._current_reading(now) is None and self.fixed_quota is None:
            return False  # an estimate from Codat's formula refuses nothing
        return self.left(now) <= self.reserve

    def _paused(self, now: datetime) -> bool:
        until = self._state.paused_until
        if until is not None and now >= until:
            self._state.paused_until = None
            return False
        return until is not None

    def _current_reading(self, now: datetime) -> QuotaReading | None:
        reading = self._state.reading
        if reading is not None and now >= reading.reset_at:
            self._state.reading = None  # a new day: the old count says nothing
            self._state.sent_since_reading = 0
            return None
        return reading

    # ------------------------------------------------------------ the calls

    @contextlib.asynccontextmanager
    async def call(
        self, company_id: str, priority: Priority, *, admit: bool = True
    ) -> AsyncIterator[None]:
        """One request: refused at once when its priority may not use what is left (`admit`:
        a retry of a request already admitted is not refused), then a place among the
        company's concurrent requests, then counted."""
        if admit:
            self.admit(company_id, priority)
        limiter = self._limiters.get(company_id)
        if limiter is None:
            limiter = self._limiters[company_id] = PriorityLimiter(self.concurrency)
        await limiter.acquire(priority)
        place: object | None = None
        try:
            if self.shared is not None and company_id != NO_COMPANY:
                place = await self._shared_place(company_id, priority)
            self._count(company_id, priority)
            yield
        finally:
            try:
                if place is not None:
                    await asyncio.shield(self._give_back(company_id, place))
            finally:
                limiter.release()

    async def _shared_place(self, company_id: str, priority: Priority) -> object | None:
        """One of the company's places shared with the other replicas, waiting while they hold
        them all; None (this process's own limit alone) when the database cannot say."""
        assert self.shared is not None
        within = places_for(priority, self.concurrency)
        wait = FIRST_RETRY_SECONDS
        asking = self._asking.setdefault(company_id, asyncio.Lock())
        async with asking:
            while True:
                try:
                    place = await self.shared.take(company_id, within)
                except Exception:
                    log.warning(
                        "could not take a place for a payables request of %s in the database; "
                        "only this replica's own requests are counted",
                        company_id,
                        exc_info=True,
                    )
                    return None
                if place is not None:
                    return place
                given_back = self._given_back.setdefault(company_id, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(given_back.wait(), wait)
                wait = min(wait * 2, MAX_RETRY_SECONDS)

    async def _give_back(self, company_id: str, place: object) -> None:
        assert self.shared is not None
        try:
            await self.shared.give_back(place)
        except Exception:  # its lease frees it
            log.warning("could not give back a place for a payables request", exc_info=True)
        given_back = self._given_back.pop(company_id, None)
        if given_back is not None:
            given_back.set()  # whoever waits asks again now

    def admit(self, company_id: str, priority: Priority) -> None:
        if priority is Priority.PAYMENT:
            return
        now = self.clock()
        if self.sync_paused(now):
            tally = self._tally(company_id, now)
            tally.refused += 1
            self._state.dirty.add((tally.day, company_id))
            reset_at = self._state.paused_until or self.reset_at(now)
            self._exhausted(now, reset_at)
            raise PayablesBudgetExhausted(company_id, priority, reset_at)

    def in_flight(self, company_id: str) -> int:
        limiter = self._limiters.get(company_id)
        return limiter.active if limiter is not None else 0

    def waiting(self, company_id: str) -> int:
        """Requests of the company waiting for a place."""
        limiter = self._limiters.get(company_id)
        return limiter.waiting if limiter is not None else 0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the API's own count from an answer's headers."""
        now = self.clock()
        reading = read_quota(headers, now)
        if reading is None:
            return
        self._state.reading = reading
        self._state.sent_since_reading = 0
        if reading.remaining <= self.reserve:
            self._exhausted(now, reading.reset_at)

    def _count(self, company_id: str, priority: Priority) -> None:
        now = self.clock()
        tally = self._tally(company_id, now)
        name = priority.name.lower()
        setattr(tally, name, getattr(tally, name) + 1)
        self._state.dirty.add((tally.day, company_id))
        if self._state.reading is not None:
            self._state.sent_since_reading += 1

    def _tally(self, company_id: str, now: datetime) -> Tally:
        day = now.astimezone(UTC).date()
        tally = self._state.tallies.get((day, company_id))
        if tally is None:
            tally = self._state.tallies[(day, company_id)] = Tally(company_id, day)
            for old in [key for key in self._state.tallies if key[0] < day - timedelta(days=1)]:
                if old not in self._state.dirty:
                    del self._state.tallies[old]
        return tally

    def _exhausted(self, now: datetime, reset_at: datetime) -> None:
        day = now.astimezone(UTC).date()
        if self._state.told_day == day:
            return
        self._state.told_day = day
        log.warning("the payables call budget is used up until %s", reset_at.isoformat())
        if self.on_exhausted is not None:
            try:
                self.on_exhausted(reset_at)
            except Exception:
                log.exception("could not tell anyone the payables call budget is used up")

    # ------------------------------------------------------------ Codat's webhooks

    async def rate_limit_reached(self, reset_at: datetime | None) -> None:
        """`client.rateLimit.reached`: displays and syncs wait until the reset."""
        now = self.clock()
        until = reset_at if reset_at is not None and reset_at > now else next_reset(now)
        self._state.paused_until = until
        self._exhausted(now, until)

    async def rate_limit_reset(self) -> None:
        """`client.rateLimit.reset`: a new allowance; the old count says nothing any more."""
        self._state.paused_until = None
        self._state.reading = None
        self._state.sent_since_reading = 0

    # ------------------------------------------------------------ counts

    def today(self, company_id: str, now: datetime | None = None) -> Tally:
        """This process's calls of a company today (a copy)."""
        now = now or self.clock()
        day = now.astimezone(UTC).date()
        tally = self._state.tallies.get((day, company_id)) or Tally(company_id, day)
        return Tally(**vars(tally))

    def tallies(self) -> list[Tally]:
        """The counts changed since the last call (copies), to be written down; the rest
        are as last written."""
        dirty, self._state.dirty = self._state.dirty, set()
        return [Tally(**vars(self._state.tallies[key])) for key in sorted(dirty)]

    def unwritten(self, tallies: list[Tally]) -> None:
        """Writing `tallies` failed: write them with the next ones."""
        self._state.dirty.update((t.day, t.company_id) for t in tallies)

    def reading(self) -> QuotaReading | None:
        return self._current_reading(self.clock())

    def learn(self, *, others_today: int, companies: int, day: date) -> None:
        """What the database says: the calls other replicas counted on `day`, and how many
        companies are linked (the quota follows them unless it is fixed)."""
        self._state.others_today = others_today
        self._state.others_day = day
        self.companies = max(1, companies)
