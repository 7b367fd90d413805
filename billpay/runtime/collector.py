"""The cyclic garbage collector during a start: held until the bot serves, then told that what
the start built lives as long as the process.

A start builds some 120,000 objects that live until the process ends (modules, classes, the
ORM's mappings, pydantic's validators, Bolt's listeners) and next to no garbage. Left running,
the collector walks all of them again each time they grow by a quarter: about an eighth of a
start. `while_starting()` holds it from the command's first import; `started()`, called by the
host once its server listens, moves everything alive into the permanent generation
(`gc.freeze`, which later collections skip) and lets it run again. A command that never serves
gets it back when `while_starting()` ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_held = False


@contextmanager
def while_starting() -> Iterator[None]:
    """Hold the collector for this block, or until `started()` if that comes first."""
    global _held
    if _held or not gc.isenabled():
        yield
        return
    gc.disable()
    _held = True
    try:
        yield
    finally:
        if _held:
            _held = False
            gc.enable()


def started() -> None:
    """The start is over: what it built is kept out of later collections, which resume. Does
    nothing unless `while_starting()` holds the collector."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
