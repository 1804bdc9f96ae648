"""Accounts in the browser: an invited assistant joins a practice from the invitation mail;
"Sign out everywhere else" ends another browser's session at its next click."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import BASE_URL, BROWSER_TZ
from tests.e2e.flows import accept_invitation, open_link_and_continue, request_link, signed_in_owner, unique_email


def invite(page: Page, name: str, email: str) -> None:
    page.goto("/settings")
    page.get_by_label("Assistant's name").fill(name)
    page.get_by_label("Assistant's email").fill(email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invitations").get_by_text(email)).to_be_visible()


def second_browser(browser: Browser) -> Page:
    context = browser.new_context(base_url=BASE_URL, viewport={"width": 1280, "height": 800},
                                  timezone_id=BROWSER_TZ)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def test_an_invited_assistant_joins_from_the_invitation_mail(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Harbor Physio", name="Dana Levi")
    email = unique_email("noa")
    invite(page, "Noa Helper", email)
    expect(page.locator("#invitations").get_by_text(re.compile(r"^Valid until "))).to_be_visible()

    link = smtp_sink.wait_for_invitation(email)
    body = smtp_sink.messages_to(email)[-1].get_payload(decode=True).decode()
    assert "Dana Levi invites you to join Harbor Physio" in body and "never see clinical notes" in body

    assistant = second_browser(browser)
    try:
        assistant.goto(link)
        expect(assistant.get_by_text("Dana Levi invited you to join")).to_be_visible()
        expect(assistant.get_by_label("Your name")).to_have_value("Noa Helper")  # prefilled
        accept_invitation(assistant, link, "Harbor Physio", name="Noa Cohen")
        expect(assistant.get_by_text("Welcome, Noa Cohen.")).to_be_visible()
        expect(assistant.locator("#workspace-name")).to_have_text("Harbor Physio")  # the practice they joined
        expect(assistant.get_by_role("link", name="Audit log")).to_have_count(0)

        # The link worked once.
        assistant.goto(link)
        expect(assistant.get_by_text("already been accepted")).to_be_visible()
    finally:
        assistant.context.close()

    page.goto("/settings")
    expect(page.get_by_text("Noa Cohen")).to_be_visible()
    expect(page.locator("#invitations")).to_have_count(0)


def test_resend_and_revoke_a_pending_invitation(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Quay Clinic", name="Dana Levi")
    email = unique_email("pending")
    invite(page, "Omer Pending", email)
    first = smtp_sink.wait_for_invitation(email)

    page.get_by_role("button", name="Resend invitation to Omer Pending").click()
    second = smtp_sink.wait_for_invitation(email, after=1)
    assert second != first
    visitor = second_browser(browser)
    try:
        visitor.goto(first)
        expect(visitor.get_by_text("not valid")).to_be_visible()  # the resend killed it

        page.get_by_role("button", name="Revoke invitation to Omer Pending").click()
        expect(page.locator("#invitations")).to_have_count(0)
        visitor.goto(second)
        expect(visitor.get_by_text("withdrawn")).to_be_visible()
    finally:
        visitor.context.close()


def test_sign_out_everywhere_else_ends_the_other_browser_at_its_next_click(page, browser, smtp_sink):
    email = signed_in_owner(page, smtp_sink, practice="Two Devices", name="Dana Levi")
    other = second_browser(browser)
    try:
        open_link_and_continue(other, request_link(other, smtp_sink, email))
        expect(other.get_by_text("Welcome, Dana Levi.")).to_be_visible()

        page.goto("/settings/security")
        sessions = page.locator("#sessions .pz-session")
        expect(sessions).to_have_count(2)
        expect(page.locator("#sessions").get_by_text("This device")).to_have_count(1)
        expect(sessions.first.get_by_text("Chrome on Linux")).to_be_visible()
        page.get_by_role("button", name="Sign out everywhere else").click()
        expect(sessions).to_have_count(1)
        expect(page.get_by_text("Signed out everywhere else.")).to_be_visible()

        # Nothing was pushed to the other browser: its next click is checked and sent to sign-in.
        other.get_by_role("link", name="Clients").click()
        expect(other).to_have_url(re.compile(r"/signin"))
        expect(other.get_by_text("Welcome, Dana Levi.")).to_have_count(0)

        # This browser is still signed in.
        page.get_by_role("link", name="Clients").click()
        expect(page).to_have_url(re.compile(r"/clients$"))
    finally:
        other.context.close()
