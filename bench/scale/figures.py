"""What each part measures, kept per size for the printing at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class BillsFigures:
    first: float  # the first /bills after the fill
    first_calls: Counter[str]
    later: float  # the median of the next four
    later_calls: int  # payables calls of those four together


@dataclass
class DayFigures:
    calls: Counter[str]
    by_activity: Counter[str]
    seconds: float
    pay_calls: list[int] = field(default_factory=list)


@dataclass
class Started:
    """A process's start: seconds to `/healthz` answering 200, then, if a first request was
    sent, the seconds to its HTTP answer (Slack's ack) and to the first answer it posted."""

    healthy: float
    cpu: float  # the process's CPU seconds (user and system) when `/healthz` answered
    ack: float | None = None
    first_answer: float | None = None


@dataclass
class LoadFigures:
    acks: dict[tuple[int, bool], list[float]]  # (at once, during a sync) -> the acks' seconds
    sync_pages: tuple[int, int]  # requests while the clicks were sent, while the sync ran
    sync_seconds: float
    bills_answers: list[float]
    most_in_flight: int
    budget_most: int
    errors: int  # errors the bot logged while the /bills ran
    # The same acks with the sandbox served by a process of its own, as Codat is to a deployed
    # bot (the measures above have it on a thread of the bot's process, as the playground does)
    apart: dict[tuple[int, bool], list[float]] = field(default_factory=dict)
    apart_sync_seconds: float = 0.0


@dataclass
class SizeFigures:
    size: int
    outstanding: int
    fill_seconds: float
    fresh: BillsFigures | None = None
    link_day: DayFigures | None = None
    steady_day: DayFigures | None = None
    live: tuple[int, int] | None = None
    starts: list[Started] = field(default_factory=list)
    world_seconds: float = 0.0
