"""Today, the home page: a new practice is guided by a checklist that ticks itself off, and
the day's appointments show with their times, the next one marked, a map link for a home visit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.flows import add_service_and_location, browser_today, fill_booking, signed_in_owner

DASH = "\u2009\u2013\u2009"


def test_new_practice_checklist_then_todays_appointment(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Today Practice")  # lands on Today
    checklist = page.locator("#first-run")
    expect(checklist.get_by_role("heading", name="Set up your practice")).to_be_visible()
    expect(checklist).to_contain_text("0 of 6 done")
    expect(page.locator("#checklist-service")).to_have_attribute("data-done", "false")
    expect(page.locator("#today-empty")).to_contain_text("Nothing booked today.")
    expect(page.locator("#today-book")).to_have_attribute("href", "/calendar")  # the next action

    add_service_and_location(page)  # a service and a home-visit location
    page.goto("/clients/new")
    page.get_by_label("First name").fill("Maya")
    page.get_by_label("Last name").fill("Cohen")
    page.get_by_label("Address", exact=True).fill("12 Herzl St, Tel Aviv")
    page.get_by_role("button", name="Create client").click()
    expect(page.locator("#client-name")).to_have_text("Maya Cohen")

    page.goto("/")
    expect(page.locator("#checklist-service")).to_have_attribute("data-done", "true")
    expect(page.locator("#checklist-service")).to_contain_text("Add a service (done)")
    expect(page.locator("#checklist-appointment")).to_have_attribute("data-done", "false")
    expect(checklist).to_contain_text("3 of 6 done")

    # Booked for noon of the practice's today (the browser's zone is the practice's).
    day = browser_today().isoformat()
    page.goto("/calendar")
    fill_booking(page, "Maya Cohen", f"{day}T12:00", service="Massage 60 (60 min)",
                 location="Client's home (Home visit)")
    page.get_by_role("button", name="Save appointment").click()
    expect(page.locator(".rt-BaseDialogOverlay")).to_have_count(0)

    page.goto("/")
    appointment = page.locator("#today-appointments")
    expect(appointment).to_contain_text(f"12:00{DASH}13:00")
    expect(appointment).to_contain_text("Maya Cohen")
    expect(page.locator("#today-count")).to_have_text("1 appointment")
    expect(page.locator("#checklist-appointment")).to_have_attribute("data-done", "true")
    maps = appointment.get_by_role("link", name=re.compile("in maps"))
    expect(maps).to_have_attribute("href", re.compile(r"^https://www\.google\.com/maps/search/\?api=1&query=12"))
    expect(maps).to_have_attribute("target", "_blank")
    expect(maps).to_have_attribute("rel", "noopener noreferrer")
