"""builder.imports: the collector is paused inside, restored as it was, and what was made is frozen."""

from __future__ import annotations

import gc

from builder.imports import paused_collector


def test_collector_paused_inside_then_restored_and_new_objects_frozen() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with paused_collector():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]  # tracked containers, as a module's import makes
    assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
