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
