"""Steps a person takes, shared by the browser tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(page: Page, sink, email: str, practice: str = "Calm Hands Physio", name: str = "Dana Levi") -> str:
    """Create a practice through the UI; returns the emailed sign-in link."""
    before = len(sink.messages_to(email))
    page.goto("/signup")
    page.get_by_label("Practice name").fill(practice)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Create your practice").click()
    expect(page.get_by_text("Check your email")).to_be_visible()
    return sink.wait_for_link(email, after=before)


def request_link(page: Page, sink, email: str, path: str = "/signin") -> str:
    before = len(sink.messages_to(email))
    page.goto(path)
    # The button stays disabled until the page is live (a native submit would put the address
    # in the URL); Enter before that does nothing.
    expect(page.get_by_role("button", name="Email me a sign-in link")).to_be_enabled()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Email").press("Enter")
    expect(page.get_by_text("Check your email")).to_be_visible()
    return sink.wait_for_link(email, after=before)


def open_link_and_continue(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in to PazPaz")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("networkidle")


def accept_invitation(page: Page, link: str, practice: str, name: str = "") -> None:
    """Open a mailed invitation, check it names the practice, join (with `name` if given)."""
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Join {practice}")).to_be_visible()
    if name:
        page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name=f"Join {practice}").click()
    page.wait_for_load_state("networkidle")


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def signed_in_owner(page: Page, sink, practice: str = "Practice", name: str = "Dana Levi") -> str:
    email = unique_email("owner")
    open_link_and_continue(page, sign_up(page, sink, email, practice=practice, name=name))
    expect(page.get_by_text("Welcome,")).to_be_visible()
    return email


def create_client(page: Page, first: str, last: str, phone: str = "", email: str = "") -> str:
    """Fill the new-client form; returns the new client's URL."""
    page.goto("/clients/new")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    if phone:
        page.get_by_label("Phone").fill(phone)
    if email:
        page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Create client").click()
    expect(page.locator("#client-name")).to_have_text(f"{first} {last}")
    return page.url


def add_service_and_location(page: Page, service: str = "Massage 60", duration: str = "60") -> None:
    page.goto("/settings")
    page.get_by_label("Service name").fill(service)
    page.get_by_label("Duration (minutes)").fill(duration)
    page.get_by_role("button", name="Add service").click()
    expect(page.get_by_text(service, exact=True)).to_be_visible()
    page.get_by_label("Location name").fill("Client's home")
    page.get_by_label("Type").select_option("home")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_text("Client's home", exact=True)).to_be_visible()


def fill_booking(page: Page, client: str, start: str, end: str = "", service: str = "", location: str = "") -> None:
    """Open the booking form from the button and fill it (start/end: YYYY-MM-DDTHH:MM)."""
    page.get_by_role("button", name="New appointment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Client")).to_be_visible()
    dialog.get_by_label("Client").select_option(label=client)
    if service:
        dialog.get_by_label("Service").select_option(label=service)
    if location:
        dialog.get_by_label("Location").select_option(label=location)
    dialog.get_by_label("Start").fill(start)
    if end:
        dialog.get_by_label("End (optional)").fill(end)


def browser_today() -> date:
    """Today where the test browsers (and so the practices they create) are."""
    from tests.e2e.conftest import BROWSER_TZ

    return datetime.now(ZoneInfo(BROWSER_TZ)).date()
