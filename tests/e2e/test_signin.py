"""Sign-up, magic-link sign-in, sessions and sign-out in Chromium against the prod build."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from pazpaz.services.tokens import hash_token
from tests.e2e.conftest import BASE_URL, PORT
from tests.e2e.flows import no_horizontal_scroll, open_link_and_continue, request_link, sign_up, unique_email


def test_sign_up_sign_in_reload_sign_out(page, smtp_sink):
    email = unique_email("owner")
    link = sign_up(page, smtp_sink, email, practice="Calm Hands Physio", name="Dana Levi")
    # The emailed GET only shows a page; nothing is consumed until Continue is pressed.
    open_link_and_continue(page, link)
    expect(page).to_have_url(f"{BASE_URL}/")
    expect(page.get_by_text("Welcome, Dana Levi.")).to_be_visible()
    expect(page.locator("#workspace-name")).to_have_text("Calm Hands Physio")

    page.reload()
    expect(page.get_by_text("Welcome, Dana Levi.")).to_be_visible()

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["pazpaz_session"]["httpOnly"] is True
    assert cookies["pazpaz_session"]["sameSite"] == "Lax"
    assert "pazpaz_session" not in page.evaluate("document.cookie")
    assert cookies["pazpaz_session"]["value"] not in page.evaluate(
        "JSON.stringify(Object.assign({}, localStorage, sessionStorage))"
    )

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/clients")
    expect(page).to_have_url(f"{BASE_URL}/signin?next=/clients")
    expect(page.get_by_role("button", name="Email me a sign-in link")).to_be_visible()

    # Signing in from that page brings the therapist back to where they were going.
    link = request_link(page, smtp_sink, email, path="/signin?next=/clients")
    open_link_and_continue(page, link)
    expect(page).to_have_url(re.compile(rf"^{BASE_URL}/clients/?$"))
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()


def test_unknown_address_gets_the_same_answer(page, smtp_sink):
    email = unique_email("stranger")
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_text("Check your email")).to_be_visible()
    # Mail leaves in the background: once a later mail to a known address has arrived,
    # nothing was sent to the unknown one.
    known = unique_email("known")
    sign_up(page, smtp_sink, known)
    assert smtp_sink.messages_to(email) == []


def test_link_used_twice_is_refused(page, browser, smtp_sink):
    email = unique_email("twice")
    link = sign_up(page, smtp_sink, email)
    open_link_and_continue(page, link)
    expect(page.get_by_text("Welcome,")).to_be_visible()

    other = browser.new_context(base_url=BASE_URL).new_page()
    open_link_and_continue(other, link)
    expect(other.get_by_text("This sign-in link has already been used.")).to_be_visible()
    other.goto("/")
    expect(other).to_have_url(f"{BASE_URL}/signin?next=/")
    other.context.close()


def test_expired_link_is_refused(page, app_server, smtp_sink):
    email = unique_email("late")
    link = sign_up(page, smtp_sink, email)
    token = parse_qs(urlsplit(link).query)["token"][0]
    # Move the link's expiry into the past instead of waiting ten minutes.
    with app_server.db() as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE magic_link_tokens SET expires_at = now() - %s WHERE token_hash = %s",
                       (timedelta(minutes=1), hash_token(token)))
        assert cursor.rowcount == 1
    open_link_and_continue(page, link)
    expect(page.get_by_text("This sign-in link has expired.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(f"{BASE_URL}/signin?next=/")


def test_sign_up_shows_field_errors_and_saves_nothing(page, app_server):
    page.goto("/signup")
    page.get_by_label("Practice name").fill("   ")
    page.get_by_label("Your name").fill("Dana")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Email").evaluate("e => e.type = 'text'")  # let the server validate it
    page.get_by_role("button", name="Create your practice").click()
    expect(page.get_by_text("Enter the name of your practice.")).to_be_visible()
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()


def _handshake(origin: str) -> int:
    url = f"ws://localhost:{PORT}/_event/?EIO=4&transport=websocket"
    try:
        with connect(url, origin=origin, open_timeout=10):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_websocket_from_a_foreign_origin_is_refused(app_server):
    assert _handshake("http://evil.example") == 403
    assert _handshake(BASE_URL) == 101


@pytest.mark.parametrize("path", ["/signin", "/signup"])
def test_public_pages_fit_a_phone(phone, path):
    phone.goto(path)
    expect(phone.get_by_label("Email")).to_be_visible()
    assert no_horizontal_scroll(phone)


def test_home_fits_a_phone(phone, smtp_sink):
    email = unique_email("phone")
    link = sign_up(phone, smtp_sink, email, practice="A Practice With A Rather Long Name For Phones")
    open_link_and_continue(phone, link)
    expect(phone.get_by_text("Welcome,")).to_be_visible()
    assert no_horizontal_scroll(phone)
    expect(phone.get_by_role("link", name="Calendar", exact=True)).to_be_visible()
    expect(phone.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
