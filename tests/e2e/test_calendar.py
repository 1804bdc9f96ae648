"""Scheduling end to end: services, locations, booking, conflicts, moves, series, phone."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.flows import add_service_and_location, create_client, fill_booking, no_horizontal_scroll, signed_in_owner

# Dates come from what the calendar shows, never from the test machine's clock or zone:
# the browser's "today" is the practice's today, which may differ from the machine's.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def events(page, text: str):
    # Not the mirror FullCalendar draws under the pointer during a drag (it lingers a frame
    # after the drop).
    return page.locator(".fc-event:not(.fc-event-mirror)", has_text=text)


def shown_range_start(page) -> date:
    """The first day of the range the calendar shows (the Monday of a week view)."""
    expect(page.locator("#calendar")).to_have_attribute("data-range-start", ISO_DATE)
    return date.fromisoformat(page.locator("#calendar").get_attribute("data-range-start"))


def go_next_week(page) -> date:
    """Press "next" once the shown week is loaded; returns the Monday of the week now shown
    (its appointments arrive with the same update as the range)."""
    monday = shown_range_start(page) + timedelta(days=7)
    page.locator(".fc-next-button").click()
    expect(page.locator("#calendar")).to_have_attribute("data-range-start", monday.isoformat())
    assert monday.weekday() == 0
    return monday


def save_and_wait_closed(page) -> None:
    """Save the form and wait until the dialog's overlay is gone: while it fades out it
    still covers the calendar and would swallow the next click or drag."""
    page.get_by_role("button", name="Save appointment").click()
    expect(page.locator(".rt-BaseDialogOverlay")).to_have_count(0)


def test_book_conflict_override_move_cancel(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Calendar Practice")
    add_service_and_location(page)
    create_client(page, "Maya", "Cohen")
    create_client(page, "Omer", "Katz")
    page.goto("/calendar")
    monday = go_next_week(page)

    fill_booking(page, "Maya Cohen", f"{monday}T10:00", service="Massage 60 (60 min)",
                 location="Client's home (Home visit)")
    # Assistants read this note: the label says so, and clinical words are sent to the session note.
    note = page.get_by_role("dialog").get_by_label("Scheduling note (visible to assistants)")
    expect(note).to_have_attribute("aria-describedby", "appt-notes-hint")
    expect(page.locator("#appt-notes-hint")).to_contain_text("Clinical details belong in the session note")
    note.fill("Door code 4512")
    save_and_wait_closed(page)
    expect(events(page, "Maya Cohen")).to_have_count(1)
    # The time text is ours (pazpazFcEventTime), in FullCalendar's own format.
    expect(events(page, "Maya Cohen").locator(".fc-event-time")).to_have_text("10:00 - 11:00")
    events(page, "Maya Cohen").click()
    expect(page.get_by_role("dialog")).to_contain_text("Scheduling note: Door code 4512")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()

    # Overlapping: the warning shows while picking the time, before saving.
    fill_booking(page, "Omer Katz", f"{monday}T10:30", end=f"{monday}T11:30")
    warning = page.locator("#conflict-warning")
    expect(warning).to_contain_text("M.C.")
    page.get_by_role("button", name="Save appointment").click()
    expect(page.get_by_text("This time overlaps other appointments.")).to_be_visible()
    expect(events(page, "Omer Katz")).to_have_count(0)
    page.get_by_role("button", name="Book anyway").click()
    expect(events(page, "Omer Katz")).to_have_count(1)
    expect(events(page, "Maya Cohen")).to_have_count(1)

    # Move Omer to a late home visit through the same form (and the same conflict check): past
    # the grid's usual 21:00, so the grid stretches to show it.
    events(page, "Omer Katz").click()
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Start").fill(f"{monday}T21:30")
    dialog.get_by_label("End (optional)").fill(f"{monday}T22:15")
    expect(page.locator("#conflict-warning")).to_have_count(0)
    dialog.get_by_role("button", name="Save appointment").click()
    expect(events(page, "Omer Katz")).to_contain_text("21:30")
    expect(page.locator(".fc-timegrid-slot-lane[data-time='22:00:00']")).to_have_count(1)

    # Cancel Maya's appointment: it stays visible, marked cancelled.
    events(page, "Maya Cohen").click()
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.locator(".fc-event.status-cancelled", has_text="Maya Cohen")).to_have_count(1)

    # The events handed to the calendar's API are kept on globalThis while the page is shown
    # (components/fullcalendar.py); leaving the page in the app (no reload) lets them go.
    assert page.evaluate("() => globalThis.pazpazFc.wanted.flat().some((e) => e.title.includes('Maya'))")
    page.get_by_role("link", name="Clients").first.click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    assert page.evaluate("() => globalThis.pazpazFc.wanted.length === 0 && globalThis.pazpazFc.api === null")


def test_weekly_series_this_and_following(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Series Practice")
    create_client(page, "Noa", "Weekly")
    page.goto("/calendar")
    monday = go_next_week(page)
    fill_booking(page, "Noa Weekly", f"{monday + timedelta(days=1)}T09:00", end=f"{monday + timedelta(days=1)}T10:00")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Repeat").select_option("weekly")
    dialog.get_by_label("Times").fill("6")
    dialog.get_by_role("button", name="Save appointment").click()
    expect(events(page, "Noa Weekly")).to_have_count(1)

    seen = 1
    for week in range(1, 6):
        go_next_week(page)
        expect(events(page, "Noa Weekly")).to_have_count(1)
        seen += 1
        if week == 3:  # the 4th occurrence: move it and the following ones to 14:00
            events(page, "Noa Weekly").click()
            page.get_by_role("button", name="Edit").click()
            dialog = page.get_by_role("dialog")
            day = monday + timedelta(days=1 + 7 * week)
            dialog.get_by_label("Start").fill(f"{day}T14:00")
            dialog.get_by_label("End (optional)").fill(f"{day}T15:00")
            dialog.get_by_label("Apply to").select_option("following")
            dialog.get_by_role("button", name="Save appointment").click()
        expected = "14:00" if week >= 3 else "09:00"
        expect(events(page, "Noa Weekly")).to_contain_text(expected)
    assert seen == 6
    go_next_week(page)
    expect(events(page, "Noa Weekly")).to_have_count(0)
    for _ in range(4):  # back to the 2nd occurrence: untouched
        page.locator(".fc-prev-button").click()
    expect(events(page, "Noa Weekly")).to_contain_text("09:00")


def test_phone_gets_the_agenda_without_horizontal_scroll(phone, smtp_sink):
    signed_in_owner(phone, smtp_sink, practice="Phone Calendar")
    create_client(phone, "Lior", "Phone")
    phone.goto("/calendar")
    expect(phone.locator(".fc-listWeek-view")).to_be_visible()
    assert no_horizontal_scroll(phone)
    day = shown_range_start(phone)  # a day of the week the agenda shows
    fill_booking(phone, "Lior Phone", f"{day}T20:00", end=f"{day}T20:45")
    phone.get_by_role("button", name="Save appointment").click()
    expect(phone.locator(".fc-list-event", has_text="Lior Phone")).to_have_count(1)
    assert no_horizontal_scroll(phone)


def test_go_to_date(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Jump Practice")
    page.goto("/calendar")
    expect(page.locator(".fc-timeGridWeek-view")).to_be_visible()
    page.get_by_label("Go to date").fill("2027-06-16")
    expect(page.locator(".fc-toolbar-title")).to_contain_text("Jun 2027")


def drag_event_to(page, event, time_label: str) -> None:
    """Drag an event (desktop week view) so its top lands on the given slot, and wait for the
    server's answer to be drawn: it replaces the drawn events (a drop redraws every week), and
    a drag that starts before would hold an element that goes away."""
    expect(page.locator(".rt-BaseDialogOverlay")).to_have_count(0)
    version = page.locator("#calendar").get_attribute("data-nav-version")
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    target = page.locator(f".fc-timegrid-slot-lane[data-time='{time_label}']").bounding_box()
    # Grab the event 8 px below its top and drop that point 8 px below the target slot's top,
    # staying in the same day column.
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 8)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, box["y"] + 8 + (target["y"] - box["y"]) * step / 20)
        page.wait_for_timeout(15)
    page.mouse.up()
    expect(page.locator("#calendar")).not_to_have_attribute("data-nav-version", version or "")
    # The events reach the calendar in an effect after that render: two frames later they are in.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_drag_to_move_goes_through_the_conflict_check(page, smtp_sink):
    page.set_viewport_size({"width": 1280, "height": 1600})  # no auto-scroll while dragging
    signed_in_owner(page, smtp_sink, practice="Drag Practice")
    create_client(page, "Dina", "Drag")
    create_client(page, "Eli", "Busy")
    page.goto("/calendar")
    monday = go_next_week(page)
    fill_booking(page, "Dina Drag", f"{monday}T09:00", end=f"{monday}T10:00")
    save_and_wait_closed(page)
    fill_booking(page, "Eli Busy", f"{monday}T14:00", end=f"{monday}T15:00")
    save_and_wait_closed(page)
    expect(events(page, "Eli Busy")).to_have_count(1)

    drag_event_to(page, events(page, "Dina Drag"), "12:00:00")
    expect(events(page, "Dina Drag")).to_contain_text("12:00")

    # Onto Eli's time: refused with a plain message, and the event goes back.
    drag_event_to(page, events(page, "Dina Drag"), "14:00:00")
    expect(page.get_by_text("Not moved: that time overlaps 1 appointment(s).")).to_be_visible()
    expect(events(page, "Dina Drag")).to_contain_text("12:00")


def test_today_is_the_practice_s_today_not_utc_s(browser, app_server, smtp_sink):
    """The calendar runs in "UTC" on wall-clock strings, so its "now" must be the practice's:
    at 22:30 UTC on Monday 11 Jan 2027 it is already Tuesday 11:30 in Auckland (UTC+13),
    the practice's zone (taken from the browser at sign-up)."""
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 1000},
                                  timezone_id="Pacific/Auckland")
    page = context.new_page()
    try:
        signed_in_owner(page, smtp_sink, practice="Auckland Practice")  # the zone comes from the browser
        page.clock.install(time="2027-01-11T22:30:00Z")  # from the next page on
        page.goto("/calendar")
        expect(page.locator(".fc-col-header-cell.fc-day-today")).to_have_attribute("data-date", "2027-01-12")
        # The server's first read follows its own clock (load); the calendar's read of the week
        # it shows (the browser's clock, faked here) follows it.
        expect(page.locator("#calendar")).to_have_attribute("data-range-start", "2027-01-11")
        expect(page.locator(".fc-timegrid-now-indicator-line")).to_have_count(1)  # 11:30 is on the grid
    finally:
        context.close()
