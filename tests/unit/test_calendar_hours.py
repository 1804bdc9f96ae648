"""The time grid's hours (state/calendar.grid_hours): 07:00-21:00 unless an appointment of the
loaded window lies outside, then stretched to the whole hours that hold it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pazpaz.state.calendar import grid_hours


def view(start: str, minutes: int) -> dict[str, str]:
    """A calendar event as state/calendar.event_of makes it (wall times)."""
    starts = datetime.fromisoformat(start)
    return {"start": starts.isoformat(timespec="seconds"),
            "end": (starts + timedelta(minutes=minutes)).isoformat(timespec="seconds")}


@pytest.mark.parametrize(("appointments", "expected"), [
    ([], ("07:00:00", "21:00:00")),
    ([view("2026-12-01T09:00", 60), view("2026-12-02T20:00", 60)], ("07:00:00", "21:00:00")),
    ([view("2026-12-01T06:15", 45)], ("06:00:00", "21:00:00")),
    ([view("2026-12-01T21:07", 45)], ("07:00:00", "22:00:00")),
    ([view("2026-12-01T20:30", 31)], ("07:00:00", "22:00:00")),
    ([view("2026-12-01T00:30", 30)], ("00:00:00", "21:00:00")),
    ([view("2026-12-03T23:30", 60)], ("00:00:00", "24:00:00")),  # past midnight: both ends show
])
def test_grid_hours_hold_every_appointment(appointments, expected):
    assert grid_hours(appointments) == expected
