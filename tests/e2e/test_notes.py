"""SOAP notes end to end: autosave survives reload and an app restart, stale tabs are
refused, finalize locks, amendments keep history."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import BASE_URL
from tests.e2e.flows import browser_today, create_client, fill_booking, signed_in_owner

NOTE_URL = re.compile(rf"{BASE_URL}/notes/[0-9a-f-]+")


def open_note_from_calendar(page, client: str) -> None:
    page.goto("/calendar")
    today = browser_today()
    # From midnight: the session has started whenever the test runs (opening its note marks it attended).
    # The week grid starts at 07:00, so it is opened from the agenda, which lists the whole day.
    fill_booking(page, client, f"{today}T00:00", end=f"{today}T01:00")
    page.get_by_role("button", name="Save appointment").click()
    page.get_by_role("button", name="Agenda").click()
    page.locator(".fc-list-event", has_text=client).first.click()
    page.get_by_role("button", name="Write note").click()
    expect(page).to_have_url(NOTE_URL)


def type_and_wait_saved(page, label: str, text: str) -> None:
    page.get_by_label(label, exact=True).fill(text)
    page.get_by_label(label, exact=True).blur()
    expect(page.locator("#save-state")).to_contain_text("Saved")


def test_draft_survives_reload_and_app_restart(page, app_server, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Notes Practice")
    create_client(page, "Tal", "Restart")
    open_note_from_calendar(page, "Tal Restart")
    expect(page.get_by_text("This appointment is now marked attended.")).to_be_visible()
    subjective = "Lower back pain after gardening — 7/10, worse in the morning. ünïcödé ✓"
    type_and_wait_saved(page, "Subjective", subjective)
    type_and_wait_saved(page, "Plan", "Heat; gentle mobility; review in 1 week")
    url = page.url

    page.reload()
    expect(page.get_by_label("Subjective", exact=True)).to_have_value(subjective)

    app_server.restart()
    page.goto(url)
    expect(page.get_by_label("Subjective", exact=True)).to_have_value(subjective)
    expect(page.get_by_label("Plan", exact=True)).to_have_value("Heat; gentle mobility; review in 1 week")


def test_second_tab_with_a_stale_draft_is_refused(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Two Tabs")
    create_client(page, "Dana", "Tabs")
    open_note_from_calendar(page, "Dana Tabs")
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.get_by_label("Subjective", exact=True)).to_be_visible()

    type_and_wait_saved(page, "Subjective", "Written in tab one")
    other.get_by_label("Objective", exact=True).fill("Written in tab two")
    other.get_by_label("Objective", exact=True).blur()
    expect(other.get_by_text("changed in another tab")).to_be_visible()
    other.get_by_role("button", name="Reload the latest version").click()
    expect(other.get_by_label("Subjective", exact=True)).to_have_value("Written in tab one")
    other.close()


def test_finalize_then_amend_with_history(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Final Practice")
    create_client(page, "Ruth", "Final")
    open_note_from_calendar(page, "Ruth Final")
    type_and_wait_saved(page, "Assessment", "Mild strain")
    page.get_by_role("button", name="Finalize note").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Finalize", exact=True).click()
    expect(page.locator("#note-status")).to_have_text("finalized")
    # A finalized note reads as a document: no text boxes until "Amend".
    expect(page.get_by_label("Assessment", exact=True)).to_have_count(0)
    expect(page.locator(".pz-doc-section", has_text="Mild strain")).to_be_visible()
    expect(page.get_by_text("Version 1")).to_be_visible()
    page.get_by_text("Version 1").click()  # the hash sits in the version's disclosure
    expect(page.get_by_text(re.compile(r"SHA-256 [0-9a-f]{64}"))).to_be_visible()

    page.get_by_role("button", name="Amend").click()
    page.get_by_label("Assessment", exact=True).fill("Moderate strain")
    page.get_by_role("button", name="Save amendment").click()
    expect(page.get_by_text("Say why the note is being amended.").first).to_be_visible()
    page.get_by_label("Reason for the amendment").fill("Re-assessed after imaging")
    page.get_by_role("button", name="Save amendment").click()
    expect(page.get_by_text("Version 2")).to_be_visible()
    expect(page.get_by_text("Reason: Re-assessed after imaging")).to_be_visible()
    page.get_by_text("Version 2").click()
    # A word-level diff: the replaced word struck out, the new one inserted, the rest as is.
    expect(page.locator("del", has_text="Mild")).to_be_visible()
    expect(page.locator("ins", has_text="Moderate")).to_be_visible()
    expect(page.get_by_text("+Moderate strain")).to_have_count(0)
