"""The periodic re-read of a company's outstanding bills, taken in slices over the period.

After the first fill (one whole read: a channel needs every bill at once), every outstanding bill
is read again at least once every `BILLPAY_MIRROR_FULL_SYNC_HOURS`, to catch a bill that left
the list with no change mark (deleted in the platform, or changed longer ago than the overlap).
At 50,000 bills a whole read is 500 calls on one day; taken in slices it is a seventh of that
on each day of the week.

The slices are ranges of `sourceModifiedDate`: besides `status`, it is the one field the
specification says list bills can be queried on (`issueDate` would spread bills as well, but
Codat does not promise to filter on it, and the sandbox refuses it in strict mode). A slice is
read as `{status=Open||status=PartiallyPaid}&&sourceModifiedDate>=a&&sourceModifiedDate<b`,
the statuses named because a query on list bills may drop its outstanding-only default.

- A cycle has `slices` slices: one per day of the period (at least one), fewer for a company
  whose slices would be small, and one (a whole read, as before) for a company of at most
  `WHOLE_UP_TO` outstanding bills or with a bill the platform gives no `sourceModifiedDate`
  (it matches no range). The count is decided when the cycle begins.
- Slice `k` of a cycle whose last slice is due at `ends` is due at
  `ends - (slices - k - 1) * period / slices`; the next cycle ends a period later. A whole read
  (the fill too) ends a cycle of one slice, so the first slice comes a period/slices after it.
- The slices walk the dates upwards: the first reads from the oldest, each next one from where
  the last stopped (`sliced_to`), the last one has no end. Each slice's end is chosen when it is
  read, from the mirror's own bills, so that the bills left are shared evenly by the slices
  left. A bill that changes moves to a later date, so it is read again by a later slice or was
  just read by an incremental read: every bill held when a cycle begins is read in it.
- A slice read late by a day or more (the bot was stopped) moves the cycle's end on, so that
  the slices left still come a day apart.
- Where a cycle has got to is kept in the connection's "bills" `mirror_state` row, written with
  the slice's bills in one transaction under the sync's claim: a restart or another replica
  goes on with the next slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from billpay.mirror.store import State

DAY = timedelta(days=1)
# A company of at most this many outstanding bills (ten pages) is re-read whole at once.
WHOLE_UP_TO = 1_000
# Slices hold at least about this many bills (a few pages each), so that pages half full are
# few.
SLICE_AT_LEAST = 500


def slices_for(outstanding: int, undated: int, period: timedelta) -> int:
    """How many slices a cycle of the period has for a company of `outstanding` bills, of
    which `undated` have no `sourceModifiedDate`."""
    if undated or outstanding <= WHOLE_UP_TO:
        return 1
    days = max(1, int(period / DAY))
    return max(1, min(days, outstanding // SLICE_AT_LEAST))


@dataclass(frozen=True)
class Cycle:
    """A cycle as the state row has it: when its last slice is due, how many it has, how many
    were read, and the date the slices read so far reach to."""

    ends: datetime
    slices: int
    read: int
    sliced_to: datetime | None

    @property
    def complete(self) -> bool:
        return self.read >= self.slices


def cycle_of(state: State) -> Cycle | None:
    """The connection's cycle; None before the fill. A row written before slices existed holds
    a whole read's end: a complete cycle of one slice."""
    if state.last_full_sync is None:
        return None
    if state.cycle_ends is None:
        return Cycle(state.last_full_sync, 1, 1, None)
    slices = max(1, state.cycle_slices or 1)
    return Cycle(state.cycle_ends, slices, min(state.cycle_read or 0, slices), state.sliced_to)


@dataclass(frozen=True)
class Slice:
    """The slice a sync reads: the `index`th of the `slices` of the cycle whose last slice is
    due at `ends`, from `start` (None: from the oldest bill)."""

    ends: datetime
    slices: int
    index: int
    start: datetime | None
    at: datetime  # when it was due

    @property
    def whole(self) -> bool:
        return self.slices == 1

    @property
    def last(self) -> bool:
        return self.index == self.slices - 1

    @property
    def left(self) -> int:
        """Slices of the cycle not read yet, this one included."""
        return self.slices - self.index


def slice_due(cycle: Cycle, now: datetime, period: timedelta) -> Slice | None:
    """The next slice of a cycle under way, if it is due."""
    if cycle.complete:
        return None
    due = cycle.ends - (cycle.slices - cycle.read - 1) * period / cycle.slices
    if now < due:
        return None
    return Slice(cycle.ends, cycle.slices, cycle.read, cycle.sliced_to, due)


def next_cycle_may_begin(cycle: Cycle, now: datetime, period: timedelta) -> bool:
    """Whether the first slice of the next cycle may be due (with as many slices as a period
    has days): only then is it worth counting the bills to know."""
    return cycle.complete and now >= cycle.ends + period / max(1, int(period / DAY))


def first_slice(cycle: Cycle, slices: int, now: datetime, period: timedelta) -> Slice | None:
    """The first slice of the cycle after `cycle`, of `slices` slices, if it is due. A cycle
    begun late (the bot was stopped for a long while) ends a period after its first slice is
    read, rather than read its overdue slices in a row."""
    if now < cycle.ends + period / slices:
        return None
    ends = max(cycle.ends + period, now + period - period / slices)
    return Slice(ends, slices, 0, None, ends - period + period / slices)


def ends_after(read: Slice, now: datetime, period: timedelta) -> datetime:
    """When the cycle's last slice is due once `read` was read at `now`: as planned, unless it
    was read a slice's interval late or more (the bot was stopped), when the slices left keep a
    day apart after it rather than come in a row (and spend days' calls at once)."""
    interval = period / read.slices
    if now - read.at < interval:
        return read.ends
    return max(read.ends, now + (read.slices - read.index - 1) * interval)
