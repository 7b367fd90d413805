"""The printing the parts share: the console, the verdict beside each target, seconds and
calls as text."""

from __future__ import annotations

from collections import Counter

from rich.console import Console

console = Console(width=160)


def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]missed[/red]"


def s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def calls_text(calls: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in calls.most_common()) or "none"
