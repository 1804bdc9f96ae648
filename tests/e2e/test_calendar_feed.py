"""The calendar feed end to end: book through the UI, make the feed link in Settings, read it
the way a phone's calendar does (plain HTTP, no cookie), follow an event's link back."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_TZ
from tests.e2e.flows import add_service_and_location, browser_today, create_client, fill_booking, signed_in_owner


def read_feed(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30, headers={"User-Agent": "iOS/18.0 dataaccessd/1.0"})


def new_link(page, button: str, previous: str = "") -> str:
    """Press Create / Regenerate and read the link the page shows (once)."""
    page.get_by_role("button", name=button).click()
    field = page.get_by_label("Your feed link")
    expect(field).to_have_value(re.compile(r"/feed/[A-Za-z0-9_-]+\.ics$"))
    if previous:
        expect(field).not_to_have_value(previous)
    return field.input_value()


def test_feed_link_shows_the_booking_with_initials_and_dies_when_regenerated(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Feed Practice")
    add_service_and_location(page)
    create_client(page, "Noa", "Friedman")
    day = browser_today() + timedelta(days=1)
    page.goto("/calendar")
    fill_booking(page, "Noa Friedman", f"{day}T10:00", service="Massage 60 (60 min)",
                 location="Client's home (Home visit)")
    page.get_by_role("button", name="Save appointment").click()
    expect(page.locator(".rt-BaseDialogOverlay")).to_have_count(0)

    page.goto("/settings")
    expect(page.get_by_role("heading", name="Calendar feed")).to_be_visible()
    url = new_link(page, "Create feed link")
    assert "/feed/" in url and url.endswith(".ics")
    expect(page.locator("#feed-status")).to_contain_text("Feed link active since")
    expect(page.locator("#feed-full-names-warning")).to_contain_text("not end-to-end encrypted")

    response = read_feed(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "PazPaz · Feed Practice"
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "N.F. · Massage 60"
    assert event.start == datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(BROWSER_TZ))
    assert str(event["LOCATION"]).startswith("Client's home")
    assert "Noa" not in response.text and "Friedman" not in response.text

    # The event's link opens that appointment in PazPaz (this browser is signed in).
    page.goto(str(event["URL"]))
    expect(page.get_by_role("dialog")).to_contain_text("Noa Friedman")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()

    # The link is shown once; after a reload the page only says a link is active.
    page.goto("/settings")
    expect(page.locator("#feed-status")).to_be_visible()
    expect(page.get_by_label("Your feed link")).to_have_count(0)

    # Full names only when switched on, next to the warning.
    page.get_by_label("Show clients' full names in the feed").click()
    expect(page.get_by_label("Show clients' full names in the feed")).to_be_checked()
    [event] = Calendar.from_ical(read_feed(url).content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Noa Friedman · Massage 60"

    # Regenerating kills the old link at once; turning off kills the new one.
    fresh = new_link(page, "Regenerate link", previous=url)
    assert fresh != url
    assert read_feed(url).status_code == 404
    assert read_feed(fresh).status_code == 200
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_role("button", name="Create feed link")).to_be_visible()
    assert read_feed(fresh).status_code == 404
