"""Series expansion is bounded before it runs (it happens under the schedule lock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pazpaz.services import recurrence
from pazpaz.services.errors import ValidationFailed
from pazpaz.services.recurrence import MAX_OCCURRENCES, Recurrence, expand


def test_a_far_end_date_is_refused_without_expanding_every_week(monkeypatch):
    drawn = 0
    real_rrule = recurrence.rrule

    def counting_rrule(*args, **kwargs):
        nonlocal drawn
        for occurrence in real_rrule(*args, **kwargs):
            drawn += 1
            yield occurrence

    monkeypatch.setattr(recurrence, "rrule", counting_rrule)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as refused:
        expand(start, timedelta(hours=1), Recurrence(until=date(9999, 12, 31)), ZoneInfo("Asia/Jerusalem"))
    assert "at most" in refused.value.errors["until"]
    assert drawn == MAX_OCCURRENCES + 1


def test_a_series_at_the_cap_is_expanded_whole():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    slots = expand(start, timedelta(hours=1), Recurrence(count=MAX_OCCURRENCES), ZoneInfo("Asia/Jerusalem"))
    assert len(slots) == MAX_OCCURRENCES
    assert slots[1][0] - slots[0][0] == timedelta(weeks=1)
