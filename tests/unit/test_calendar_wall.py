"""The calendar's wall-clock texts for FullCalendar (no offset, whole seconds)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pazpaz.state.calendar import wall


def test_wall_is_local_time_without_offset_or_fraction():
    value = datetime(2026, 3, 27, 1, 5, 7, 123456, tzinfo=ZoneInfo("Asia/Jerusalem"))
    assert wall(value) == "2026-03-27T01:05:07"
    assert wall(value) == value.strftime("%Y-%m-%dT%H:%M:%S")  # what it replaced


def _view(status: str, kind: str):
    import uuid

    from pazpaz.services.appointments import AppointmentView

    starts = datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Jerusalem"))
    return AppointmentView(uuid.uuid4(), uuid.uuid4(), "Dana Levi", starts, starts.replace(hour=10), status,
                           None, "Massage", None, "", kind, "", None)


def test_an_events_classes_are_one_string_of_its_status_and_place():
    # The calendar's CSS and the e2e tests find events by these classes; FullCalendar splits the
    # string on spaces (one string is one object less per event in the tab's pickled state).
    from pazpaz.state.calendar import event_of

    assert event_of(_view("cancelled", "home"))["classNames"] == "status-cancelled where-home"
    assert event_of(_view("scheduled", ""))["classNames"] == "status-scheduled"
    assert event_of(_view("scheduled", "online"), "he")["title"].startswith("Dana Levi · Massage · ")
