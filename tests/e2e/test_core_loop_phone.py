"""The core loop on a phone (390x844): sign up and in, create a client, book, open the
appointment, write a SOAP note, attach a photo, finalize. Records wall time and the
number of user actions into test-artifacts/core_loop.json (the README quotes it)."""

from __future__ import annotations

import io
import json
import re
import time

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, BASE_URL
from tests.e2e.flows import browser_today, no_horizontal_scroll, unique_email


class Person:
    """Counts what a person does: each click, field entry, file pick or link opened."""

    def __init__(self, page) -> None:
        self.page, self.actions = page, 0

    def click(self, locator) -> None:
        self.actions += 1
        locator.click()

    def fill(self, locator, value: str) -> None:
        self.actions += 1
        locator.fill(value)

    def select(self, locator, **option) -> None:
        self.actions += 1
        locator.select_option(**option)

    def goto(self, url: str) -> None:
        self.actions += 1
        self.page.goto(url)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_core_loop_on_a_phone(phone, smtp_sink):
    page, me = phone, Person(phone)
    email = unique_email("mobile")
    started = time.monotonic()

    me.goto("/signup")
    me.fill(page.get_by_label("Practice name"), "Mobile Physio")
    me.fill(page.get_by_label("Your name"), "Gal Mobile")
    me.fill(page.get_by_label("Email"), email)
    me.click(page.get_by_role("button", name="Create your practice"))
    expect(page.get_by_text("Check your email")).to_be_visible()
    me.goto(smtp_sink.wait_for_link(email))  # the person taps the link in their mail app
    me.click(page.get_by_role("button", name="Continue"))
    expect(page.get_by_text("Welcome,")).to_be_visible()

    me.click(page.get_by_role("link", name="Clients"))
    me.click(page.get_by_role("button", name="New client"))
    me.fill(page.get_by_label("First name"), "Avi")
    me.fill(page.get_by_label("Last name"), "Home")
    me.click(page.get_by_role("button", name="Create client"))
    expect(page.locator("#client-name")).to_have_text("Avi Home")
    assert no_horizontal_scroll(page)

    # "Book appointment" on the client's page opens the calendar's form with the client chosen.
    me.click(page.get_by_role("button", name="Book appointment").first)
    expect(page.locator(".fc-listWeek-view")).to_be_visible()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Client").locator("option:checked")).to_have_text("Avi Home")
    # Today from midnight: the session has started whenever the test runs, so opening its note marks it attended.
    me.fill(dialog.get_by_label("Start"), f"{browser_today()}T00:00")
    me.fill(dialog.get_by_label("End (optional)"), f"{browser_today()}T00:45")
    me.click(dialog.get_by_role("button", name="Save appointment"))
    me.click(page.locator(".fc-list-event", has_text="Avi Home"))
    me.click(page.get_by_role("button", name="Write note"))
    expect(page).to_have_url(re.compile(rf"{BASE_URL}/notes/"))
    expect(page.get_by_text("This appointment is now marked attended.")).to_be_visible()

    me.fill(page.get_by_label("Subjective", exact=True), "Knee pain on stairs, 5/10")
    me.fill(page.get_by_label("Objective", exact=True), "Swelling medial side")
    me.fill(page.get_by_label("Assessment", exact=True), "Likely MCL strain")
    me.fill(page.get_by_label("Plan", exact=True), "Ice, rest, review Friday")
    page.get_by_label("Plan", exact=True).blur()
    expect(page.locator("#save-state")).to_contain_text("Saved")

    me.actions += 1  # choosing the photo in the phone's picker
    page.locator("#attachments input[type=file]").set_input_files(
        files=[{"name": "knee.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    expect(page.locator("#file-list img")).to_have_count(1)

    me.click(page.get_by_role("button", name="Finalize note"))
    me.click(page.get_by_role("alertdialog").get_by_role("button", name="Finalize", exact=True))
    expect(page.locator("#note-status")).to_have_text("finalized")
    assert no_horizontal_scroll(page)
    elapsed = time.monotonic() - started

    # The thumbnail is a real link to a new tab (the app tab stays), and it opens the photo.
    thumbnail = page.locator("#file-list a").first
    expect(thumbnail).to_have_attribute("target", "_blank")
    opened = page.request.get(BASE_URL + thumbnail.get_attribute("href"))
    assert opened.ok and opened.headers["content-type"] == "image/jpeg"

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "core_loop.json").write_text(json.dumps(
        {"seconds": round(elapsed, 1), "actions": me.actions, "viewport": "390x844"}, indent=2))
    # Recorded, not asserted: speed belongs to benchmarks, not to pass/fail.
    print(f"core loop on a phone: {elapsed:.1f} s of test time, {me.actions} user actions")
