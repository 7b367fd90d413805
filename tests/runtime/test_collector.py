"""The garbage collector during a start: held while the command starts, running again (with
what the start built frozen) once the bot serves, and given back by a command that never
serves."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from billpay.runtime import collector


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_a_command_that_never_serves_gives_the_collector_back() -> None:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    with collector.while_starting():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_once_the_bot_serves_collections_run_and_skip_what_the_start_built() -> None:
    frozen = gc.get_freeze_count()
    with collector.while_starting():
        built = [[] for _ in range(10)]
        collector.started()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(built)
        gc.disable()  # whatever happens while serving, leaving the block changes nothing more
    assert not gc.isenabled()


def test_a_failed_start_gives_the_collector_back() -> None:
    with pytest.raises(RuntimeError), collector.while_starting():
        raise RuntimeError("the database is down")
    assert gc.isenabled()


def test_started_outside_a_start_changes_nothing() -> None:
    frozen = gc.get_freeze_count()
    collector.started()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    with collector.while_starting():  # held by someone else already: left to them
        collector.started()
        assert not gc.isenabled()
    assert not gc.isenabled() and gc.get_freeze_count() == frozen
