"""infra/memory.py: what start-up built is frozen out of every later collection, the thresholds
are raised, and the app runs it in each worker before it serves."""

from __future__ import annotations

import gc
import weakref

import pytest

from pazpaz.infra.memory import GC_THRESHOLDS, settle_gc, settle_gc_at_start


@pytest.fixture
def restored_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_leave_the_collectors_scans(restored_gc):
    built_at_start = [{"component": index} for index in range(1_000)]
    tracked_before = len(gc.get_objects())
    settle_gc()
    assert gc.get_freeze_count() >= len(built_at_start)
    assert len(gc.get_objects()) < tracked_before - len(built_at_start)  # frozen: not scanned
    assert gc.get_threshold() == GC_THRESHOLDS


def test_reference_cycles_made_later_are_collected_at_the_raised_threshold(restored_gc):
    settle_gc()
    gc.collect()  # start from an empty young generation

    class Node:
        pass

    first, second = Node(), Node()
    first.other, second.other = second, first
    watch = weakref.ref(first)
    del first, second
    assert gc.isenabled() and watch() is not None  # a cycle: its reference counts never reach 0
    kept = [{} for _ in range(GC_THRESHOLDS[0] // 2)]
    assert watch() is not None  # below the threshold: no collection yet
    kept += [{} for _ in range(GC_THRESHOLDS[0])]
    assert watch() is None  # the young collection the threshold triggered freed it
    assert len(kept) > GC_THRESHOLDS[0]


def test_the_app_settles_the_collector_in_each_worker():
    from pazpaz.pazpaz import app

    assert settle_gc_at_start in app.get_lifespan_tasks()
