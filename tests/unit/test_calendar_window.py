"""The calendar's read window (state/calendar.read_window): it always covers the visible range
and one range either side, and week-by-week navigation mostly reads the same window again."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from pazpaz.state.calendar import read_window

FIRST = date(2026, 1, 1)


@pytest.mark.parametrize("days", [1, 7, 14, 31, 42])
def test_the_window_covers_the_visible_range_and_one_range_either_side(days):
    span = min(days, 14)
    for offset in range(400):  # every weekday and every position inside a block
        first = FIRST + timedelta(days=offset)
        start, length = read_window(first, days)
        assert start <= first - timedelta(days=span)
        assert start + timedelta(days=length) >= first + timedelta(days=days + span)
        assert length <= 84  # appointments.schedule's limit


@pytest.mark.parametrize("week_start", [0, 6])  # Monday-first and Sunday-first practices
def test_next_week_reads_the_same_window_three_times_in_four(week_start):
    first = FIRST + timedelta(days=(week_start - FIRST.weekday()) % 7)
    windows = [read_window(first + timedelta(weeks=week), 7) for week in range(52)]
    changes = sum(1 for before, after in pairwise(windows) if before != after)
    assert changes <= 14  # one new window per 28-day block (13 blocks in 51 steps, +1 for edges)


def _event(event_id: str, start: str) -> dict:
    return {"id": event_id, "start": start, "end": start[:11] + "23:00:00", "title": event_id}


def test_a_week_move_merges_the_fresh_visible_week_into_the_loaded_window():
    from pazpaz.state.calendar import in_order, merge_range

    loaded = in_order([_event("a", "2026-12-01T09:00:00"), _event("b", "2026-12-08T09:00:00"),
                       _event("c", "2026-12-09T10:00:00"), _event("d", "2026-12-15T09:00:00")])
    week = date(2026, 12, 7)
    # Nothing changed: the same list (so no delta is sent).
    assert merge_range(loaded, [_event("b", "2026-12-08T09:00:00"), _event("c", "2026-12-09T10:00:00")],
                       week, 7) == loaded
    # c was cancelled elsewhere and e booked; the weeks either side are kept as loaded.
    merged = merge_range(loaded, [_event("e", "2026-12-13T08:00:00"), _event("b", "2026-12-08T09:00:00")], week, 7)
    assert [event["id"] for event in merged] == ["a", "b", "e", "d"]


def test_an_appointment_moved_into_the_visible_week_is_not_kept_twice():
    from pazpaz.state.calendar import in_order, merge_range

    loaded = in_order([_event("a", "2026-12-08T09:00:00"), _event("m", "2026-12-15T09:00:00")])
    merged = merge_range(loaded, [_event("a", "2026-12-08T09:00:00"), _event("m", "2026-12-09T11:00:00")],
                         date(2026, 12, 7), 7)
    assert [(event["id"], event["start"]) for event in merged] == [("a", "2026-12-08T09:00:00"),
                                                                   ("m", "2026-12-09T11:00:00")]
