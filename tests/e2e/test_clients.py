"""Clients end to end: create, search, edit, archive, isolation and the audit page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import BASE_URL
from tests.e2e.flows import accept_invitation, create_client, signed_in_owner, unique_email


def client_names(page) -> list[str]:
    return page.locator("#client-list .rt-Text.rt-r-weight-bold").all_inner_texts()


def search(page, text: str) -> None:
    page.get_by_label("Search clients").fill(text)


def test_clients_end_to_end(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Harbor Physio")
    maya = create_client(page, "Maya", "Rosenthal", phone="+972 50 111 2233", email="maya@example.com")
    create_client(page, "Omer", "Katz", phone="+972 52 444 5566")
    create_client(page, "Lior", "Ben-David", phone="03 765 4321")

    page.goto("/clients")
    expect(page.locator("#client-list").get_by_text("Maya Rosenthal")).to_be_visible()
    search(page, "senth")
    expect(page.locator("#client-list").get_by_text("Maya Rosenthal")).to_be_visible()
    expect(page.locator("#client-list").get_by_text("Omer Katz")).to_have_count(0)
    search(page, "444 55")
    expect(page.locator("#client-list").get_by_text("Omer Katz")).to_be_visible()
    expect(page.locator("#client-list").get_by_text("Maya Rosenthal")).to_have_count(0)

    # Edit: a bad email is refused next to the field and nothing is saved.
    page.goto(maya + "/edit")
    expect(page.get_by_label("Last name")).to_have_value("Rosenthal")
    page.get_by_label("Last name").fill("Rosen")
    page.get_by_label("Email").fill("maya@")
    page.get_by_label("Email").evaluate("e => e.type = 'text'")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()
    page.get_by_label("Email").fill("maya.rosen@example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#client-name")).to_have_text("Maya Rosen")
    expect(page.get_by_text("maya.rosen@example.com")).to_be_visible()

    # Archive: the client leaves the list, and comes back under "Show archived".
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("Archived", exact=True)).to_be_visible()
    page.goto("/clients")
    expect(page.locator("#client-list").get_by_text("Omer Katz")).to_be_visible()
    expect(page.locator("#client-list").get_by_text("Maya Rosen")).to_have_count(0)
    page.get_by_label("Show archived").click()
    expect(page.get_by_label("Show archived")).to_have_attribute("aria-checked", "true")
    expect(page.locator("#client-list").get_by_text("Maya Rosen")).to_be_visible()

    # Another practice's user gets "not found" for this client's URL.
    other = browser.new_context(base_url=BASE_URL).new_page()
    signed_in_owner(other, smtp_sink, practice="Elsewhere Clinic", name="Eli Other")
    other.goto(maya)
    expect(other.locator("#not-found")).to_be_visible()
    expect(other.get_by_text("Maya")).to_have_count(0)
    other.context.close()

    # The owner sees all of it in the audit log.
    page.goto("/audit")
    expect(page.get_by_text(re.compile(r"^\d+ events$"))).to_be_visible()
    page.get_by_label("Entity type").select_option("client")
    page.get_by_role("button", name="Apply filters").click()
    # Who, what and which record, in words (resolved from the ids when the log is read).
    for what in ("Added a client", "Edited a client", "Archived a client", "Looked at the client list",
                 "Opened a client"):
        expect(page.get_by_role("cell", name=what, exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name="M.R.", exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name="client.created", exact=True)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    csv_text = Path(download.value.path()).read_text()
    assert csv_text.startswith("time,who,what,record,action,entity_type,entity_id,ip")
    assert "client.archived" in csv_text and "Archived a client" in csv_text and "Maya" not in csv_text
    # A From date after the To date is refused at the To field, not answered with 0 events.
    page.get_by_label("From").fill("2030-01-02")
    page.get_by_label("To", exact=True).fill("2030-01-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#end-error")).to_contain_text("before the From date")
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")


def test_assistant_is_invited_and_cannot_open_the_audit_log(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Team Practice")
    page.goto("/settings")
    assistant_email = unique_email("assistant")
    page.get_by_label("Assistant's name").fill("Noa Helper")
    page.get_by_label("Assistant's email").fill(assistant_email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Noa Helper")).to_be_visible()

    assistant = browser.new_context(base_url=BASE_URL).new_page()
    accept_invitation(assistant, smtp_sink.wait_for_invitation(assistant_email), "Team Practice")
    expect(assistant.get_by_text("Welcome, Noa Helper.")).to_be_visible()
    expect(assistant.get_by_role("link", name="Audit log")).to_have_count(0)
    assistant.goto("/audit")
    expect(assistant.locator("#not-found")).to_be_visible()

    # Deactivating the assistant ends their session at once.
    page.goto("/settings")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Deactivated")).to_be_visible()
    assistant.goto("/clients")
    expect(assistant).to_have_url(re.compile(r"/signin\?next=/clients"))
    assistant.context.close()


def test_clients_page_fits_a_phone(phone, smtp_sink):
    from tests.e2e.flows import no_horizontal_scroll

    signed_in_owner(phone, smtp_sink, practice="Phone Practice")
    create_client(phone, "Yael", "Mizrahi-Goldenberg", phone="+972 54 000 1111", email="yael.long.address@example.com")
    assert no_horizontal_scroll(phone)
    phone.goto("/clients")
    expect(phone.locator("#client-list").get_by_text("Yael Mizrahi-Goldenberg")).to_be_visible()
    assert no_horizontal_scroll(phone)
