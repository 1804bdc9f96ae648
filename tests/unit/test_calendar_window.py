"""The calendar's read window (state/calendar.read_window): it always covers the visible range
and one range either side, and week-by-week navigation mostly reads the same window again."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from pazpaz.state.calendar import opening_week, read_window, week_slots

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


def _on(day: date, hour: int = 9) -> dict:
    return {"id": f"{day}-{hour}", "start": f"{day}T{hour:02d}:00:00", "end": f"{day}T{hour:02d}:45:00"}


@pytest.mark.parametrize("language", ["en", "he"])  # weeks from Monday, from Sunday
@pytest.mark.parametrize("days", [1, 7, 14, 31, 42])
def test_every_week_of_a_window_has_a_slot_of_its_own(days, language):
    """The browser gets the window's events by week slot (week_slots): no two weeks of one read
    share a slot, so a new window changes only the slots of the weeks it brings in or drops."""
    for offset in range(0, 400, 3):
        start, length = read_window(FIRST + timedelta(days=offset), days)
        events = [_on(start + timedelta(days=day)) for day in range(length)]
        slots = week_slots(events, language)
        assert sum(len(slot) for slot in slots) == len(events)  # nothing lost or doubled
        for slot in slots:
            weeks = {opening_week(date.fromisoformat(event["start"][:10]), language) for event in slot}
            assert len(weeks) <= 1, (start, length, weeks)


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_new_window_changes_only_the_slots_of_the_weeks_it_brings_in(language):
    first = opening_week(date(2026, 1, 5), language)  # a Monday, or the Sunday before it
    windows = [read_window(first + timedelta(weeks=week), 7) for week in range(12)]
    before, after = next((a, b) for a, b in pairwise(windows) if a != b)  # the first new window

    def slots(window: tuple[date, int]) -> list[list[dict]]:
        start, length = window
        events = [_on(start + timedelta(days=day), hour) for day in range(length) for hour in (9, 14)]
        return week_slots(events, language)

    changed = [slot for slot, (old, new) in enumerate(zip(slots(before), slots(after), strict=True)) if old != new]
    assert len(changed) == 8  # 4 weeks dropped, 4 brought in: the 4 weeks both hold are not sent
    assert all(len(week) == 14 for week in slots(after) if week)  # two a day, whole weeks


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_opening_week_is_the_one_the_calendar_shows(language):
    """load() reads the week the calendar opens on before the calendar asks (its dates_set comes
    after a delay): the same first day as FullCalendar's firstDay for the language."""
    from pazpaz.components.fullcalendar import first_day

    for offset in range(14):
        day = FIRST + timedelta(days=offset)
        week = opening_week(day, language)
        assert week <= day < week + timedelta(days=7)
        assert (week.weekday() + 1) % 7 == first_day(language)  # FullCalendar: 0 = Sunday


def test_every_handler_that_uses_the_calendars_window_is_named_for_it():
    # A handler missing from SHOWN_READERS still works (the window is read on its own, one more
    # Redis round trip); a name that is no handler would silently read nothing ahead.
    import inspect

    from pazpaz.state.calendar import SHOWN_READERS, CalendarState

    handlers = CalendarState.event_handlers
    assert set(SHOWN_READERS) <= set(handlers)
    uses = {name for name, handler in handlers.items()
            if any(mark in inspect.getsource(handler.fn) for mark in ("CalendarShownState", "_reload(", "self.save("))}
    assert uses == set(SHOWN_READERS)
