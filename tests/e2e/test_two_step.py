"""Two-step sign-in in Chromium: enrol from Settings -> Security (the key read from the page,
codes computed with pyotp), then link + code; wrong and replayed codes refused in plain words;
a backup code works once; a practice that requires it sends a new assistant to enrolment."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.conftest import BASE_URL
from tests.e2e.flows import accept_invitation, open_link_and_continue, request_link, signed_in_owner, unique_email

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def totp_from_page(page: Page) -> pyotp.TOTP:
    return pyotp.TOTP(page.locator("#totp-key").inner_text().replace(" ", ""))


def enrol(page: Page) -> tuple[pyotp.TOTP, list[str]]:
    """Settings -> Security -> Turn on; returns the authenticator and the backup codes shown."""
    page.goto("/settings/security")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_alt_text("QR code to scan with your authenticator app")).to_be_visible()
    totp = totp_from_page(page)
    page.get_by_label("6-digit code from your authenticator app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    codes = page.locator("#backup-codes li").all_inner_texts()
    page.get_by_role("button", name="I saved them").click()
    expect(page.locator("#two-step-status")).to_contain_text("10 unused backup codes")
    return totp, codes


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def link_to_code_page(page: Page, sink, email: str) -> None:
    open_link_and_continue(page, request_link(page, sink, email))
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


def next_step_code(totp: pyotp.TOTP) -> str:
    # The code of the coming time step: inside the ±1 window, and later than the step just used.
    return totp.at(time.time() + 30)


def test_enrol_then_sign_in_with_link_and_code(page, smtp_sink):
    email = signed_in_owner(page, smtp_sink, practice="Two Step Physio")
    started = time.monotonic()
    totp, codes = enrol(page)
    enrol_seconds = time.monotonic() - started
    assert len(codes) == 10 and len(set(codes)) == 10
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "two_step_enrolment.json").write_text(json.dumps({"enrolment_seconds": round(enrol_seconds, 2)}))
    sign_out(page)

    # The link alone opens nothing: the code page names the practice, and no session cookie exists yet.
    link_to_code_page(page, smtp_sink, email)
    expect(page.get_by_text("Signing in to Two Step Physio")).to_be_visible()
    assert "pazpaz_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/clients")
    expect(page).to_have_url(re.compile(r"/signin\?next=/clients"))

    link_to_code_page(page, smtp_sink, email)
    wrong = next(c for c in ("000000", "111111", "222222") if c not in {totp.now(), next_step_code(totp)})
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page.get_by_label("6-digit code")).to_have_attribute("aria-invalid", "true")
    code = next_step_code(totp)
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{BASE_URL}/")
    expect(page.get_by_text("Welcome,")).to_be_visible()
    sign_out(page)

    # The same code again (still inside its window) is refused as used.
    link_to_code_page(page, smtp_sink, email)
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")

    # A backup code works once and says how many are left.
    page.get_by_label("6-digit code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#codes-left")).to_contain_text("9 backup codes left")
    page.get_by_role("link", name="Continue to PazPaz").click()
    expect(page.get_by_text("Welcome,")).to_be_visible()
    sign_out(page)
    link_to_code_page(page, smtp_sink, email)
    page.get_by_label("6-digit code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")


def test_required_two_step_sends_a_new_assistant_to_enrolment(page, browser, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Strict Practice")
    enrol(page)
    page.locator("#require-two-step").click()
    expect(page.get_by_text("Two-step sign-in is now required")).to_be_visible()

    page.goto("/settings")
    assistant_email = unique_email("assistant")
    page.get_by_label("Assistant's name").fill("Noa Helper")
    page.get_by_label("Assistant's email").fill(assistant_email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Noa Helper")).to_be_visible()

    assistant = browser.new_context(base_url=BASE_URL).new_page()
    # The invitation is the first factor: no session yet, enrolment comes first.
    accept_invitation(assistant, smtp_sink.wait_for_invitation(assistant_email), "Strict Practice")
    expect(assistant.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    assert "pazpaz_session" not in {c["name"] for c in assistant.context.cookies()}
    expect(assistant.get_by_text("Strict Practice")).to_be_visible()
    assistant.goto("/clients")  # nothing else is reachable until enrolled
    expect(assistant).to_have_url(re.compile(r"/signin\?next=/clients"))
    assistant.goto("/auth/second-step")  # the half-finished sign-in is still there (5 minutes)
    expect(assistant.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    totp = totp_from_page(assistant)
    assistant.get_by_label("Code from the app").fill(totp.now())
    assistant.get_by_role("button", name="Turn on and sign in").click()
    expect(assistant.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    expect(assistant.locator("#backup-codes li")).to_have_count(10)
    assistant.get_by_role("link", name="I saved them: continue to PazPaz").click()
    expect(assistant.get_by_text("Welcome, Noa Helper.")).to_be_visible()
    assistant.context.close()

    # The owner sees the assistant has it on, and can reset it (a lost phone).
    page.goto("/settings")
    expect(page.get_by_text("Two-step on")).to_have_count(2)  # the owner and the assistant
    page.get_by_role("button", name="Reset two-step sign-in").click()
    expect(page.get_by_text("Two-step sign-in was reset")).to_be_visible()


def test_enrolment_and_the_code_page_fit_a_phone(phone, smtp_sink):
    from tests.e2e.flows import no_horizontal_scroll

    email = signed_in_owner(phone, smtp_sink, practice="Pocket Practice")
    phone.goto("/settings/security")
    phone.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(phone.locator("#totp-key")).to_be_visible()
    assert no_horizontal_scroll(phone)
    totp = totp_from_page(phone)
    phone.get_by_label("6-digit code from your authenticator app").fill(totp.now())
    phone.get_by_role("button", name="Turn on").click()
    expect(phone.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    assert no_horizontal_scroll(phone)
    phone.get_by_role("button", name="I saved them").click()
    sign_out(phone)
    link_to_code_page(phone, smtp_sink, email)
    assert no_horizontal_scroll(phone)
    box = phone.get_by_role("button", name="Sign in").bounding_box()
    assert box is not None and box["height"] >= 44
