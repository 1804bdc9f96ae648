"""Plan of care and the client timeline in the browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.flows import create_client, signed_in_owner


def test_goal_milestone_tagged_note_and_timeline(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Plan Practice")
    client_url = create_client(page, "Ilan", "Goals")
    page.get_by_label("New goal").fill("Climb stairs without pain")
    page.get_by_label("Target date").fill("2027-02-01")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_text("Climb stairs without pain")).to_be_visible()
    page.get_by_label("Milestone").fill("One flight")
    page.get_by_label("Reached on").fill("2026-12-05")
    page.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_text("One flight")).to_be_visible()

    page.get_by_role("button", name="New note").click()
    expect(page.get_by_label("Climb stairs without pain")).to_be_visible()
    page.get_by_label("Climb stairs without pain").click()
    expect(page.get_by_label("Climb stairs without pain")).to_have_attribute("aria-checked", "true")
    page.get_by_label("Subjective", exact=True).fill("Stairs easier")
    page.get_by_label("Subjective", exact=True).blur()
    expect(page.locator("#save-state")).to_contain_text("Saved")

    page.goto(client_url)
    expect(page.get_by_text("Session note (draft)")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Session note · draft")).to_be_visible()
    expect(timeline.get_by_text("Goal added · Climb stairs without pain")).to_be_visible()
    expect(timeline.get_by_text("Milestone · One flight")).to_be_visible()
