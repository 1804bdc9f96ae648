"""Reminders end to end: the launcher's job worker mails a reminder for an appointment booked
inside the reminder window; the client confirms one and cancels another through the links;
the therapist's calendar shows both, with the cancellation badge.

Times are relative to the practice's "now" (the browser's zone), and quiet hours are switched
off, so neither the date nor the time of day matters. The worker's scan runs every minute:
the waits end when the mail arrives.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_TZ
from tests.e2e.flows import create_client, fill_booking, signed_in_owner, unique_email

LINK = re.compile(r"(https?://\S+/appointment/(confirm|cancel)\?t=[A-Za-z0-9_.\-]+)")


def reminder_links(sink, address: str, timeout: float = 240.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sink.messages_to(address)
        if found:
            message = email.message_from_bytes(found[0].as_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",)).get_content()
            return {purpose: url for url, purpose in LINK.findall(text)}
        time.sleep(1)
    raise AssertionError("no reminder reached the sink")


def enable_reminders(page) -> None:
    page.goto("/settings")
    form = page.locator("#reminder-settings")
    expect(form.get_by_label("Send reminders")).to_be_visible()
    form.get_by_label("Send reminders").check()
    form.get_by_label("24 hours before").check()
    form.get_by_label("Clients may cancel online until (hours before)").fill("1")
    # Quiet hours off: the test must not depend on the time of day it runs at.
    form.get_by_label("Quiet hours from").fill("00:00")
    form.get_by_label("Quiet hours until").fill("00:00")
    form.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_text("Reminder settings saved.")).to_be_visible()
    # The agenda's full-names switch carries its warning; the owner sees the jobs' status.
    expect(form.get_by_label("Write clients' full names (otherwise initials)")).to_be_visible()
    expect(page.locator("#agenda-names-warning")).to_contain_text("not end-to-end encrypted")
    expect(form.get_by_role("heading", name="Scheduled jobs")).to_be_visible()
    expect(form.get_by_text("Client reminders", exact=True).last).to_be_visible()


def book(page, client: str, start: datetime) -> None:
    """Book from the calendar page (already loaded) and wait until the dialog is gone."""
    fill_booking(page, client, start.strftime("%Y-%m-%dT%H:%M"), end=(start + timedelta(minutes=45)).strftime(
        "%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save appointment").click()
    expect(page.locator(".rt-BaseDialogOverlay")).to_have_count(0)


def show_day(page, day: str) -> None:
    page.goto("/calendar")
    page.locator("#jump-date").fill(day)
    expect(page.locator("#calendar")).to_be_visible()


def test_reminder_confirm_and_cancel_through_the_links(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Reminder Practice")
    rina, yoav = unique_email("rina"), unique_email("yoav")
    create_client(page, "Rina", "Tal", email=rina)
    create_client(page, "Yoav", "Ben", email=yoav)
    expect(page.locator("#client-reminder-status")).to_contain_text("Reminders are off")
    enable_reminders(page)

    now = datetime.now(ZoneInfo(BROWSER_TZ)).replace(second=0, microsecond=0)
    first, second = now + timedelta(hours=3), now + timedelta(hours=5)
    page.goto("/calendar")
    expect(page.locator("#calendar")).to_have_attribute("data-range-start", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    book(page, "Rina Tal", first)
    book(page, "Yoav Ben", second)

    # The launcher's worker finds both due (inside 24 h) at its next scan.
    confirm = reminder_links(smtp_sink, rina)["confirm"]
    cancel = reminder_links(smtp_sink, yoav)["cancel"]

    page.goto(confirm)  # what a mail scanner does too: nothing changes yet
    expect(page.get_by_role("heading", name="Confirm your appointment")).to_be_visible()
    page.get_by_role("button", name="Confirm appointment").click()
    expect(page.get_by_role("status")).to_contain_text("confirmed")

    page.goto(cancel)
    expect(page.get_by_role("heading", name="Cancel your appointment")).to_be_visible()
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_role("status")).to_contain_text("cancelled")

    page.goto("/")  # the home page tells the therapist too
    expect(page.locator("#client-cancellations")).to_contain_text("1 appointment cancelled by clients")
    # A visit that crosses midnight (booked late in the evening) is drawn as two pieces, one per
    # day: the first piece is on the start's day, whatever the time of day the test runs at.
    show_day(page, first.date().isoformat())
    expect(page.locator(".fc-event.status-confirmed", has_text="Rina Tal").first).to_be_visible()
    show_day(page, second.date().isoformat())
    expect(page.locator(".fc-event.status-cancelled", has_text="Yoav Ben").first).to_be_visible()
    expect(page.locator("#client-cancellations")).to_contain_text("1 appointment cancelled by clients")
    page.get_by_role("button", name="Mark as seen").click()
    expect(page.locator("#client-cancellations")).to_have_count(0)
