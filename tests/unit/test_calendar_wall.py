"""The calendar's wall-clock texts for FullCalendar (no offset, whole seconds)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pazpaz.state.calendar import wall


def test_wall_is_local_time_without_offset_or_fraction():
    value = datetime(2026, 3, 27, 1, 5, 7, 123456, tzinfo=ZoneInfo("Asia/Jerusalem"))
    assert wall(value) == "2026-03-27T01:05:07"
    assert wall(value) == value.strftime("%Y-%m-%dT%H:%M:%S")  # what it replaced
