"""Switching PazPaz to Hebrew in Chromium: <html lang dir>, the shell's words, the sign-in page
from the browser's language, and back to English (docs/ARCHITECTURE.md, "Translation layer")."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_TZ
from tests.e2e.flows import open_link_and_continue, sign_up, unique_email


def test_switch_to_hebrew_and_back(page, smtp_sink):
    email = unique_email("hebrew")
    open_link_and_continue(page, sign_up(page, smtp_sink, email, practice="Almond Clinic", name="Dana Levi"))
    html = page.locator("html")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Calendar")).to_be_visible()
    expect(html).to_have_attribute("dir", "ltr")

    page.goto("/settings")
    page.locator("#language").select_option("he")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "he")
    expect(page.locator("#notice")).to_have_text("השפה נשמרה.")
    hebrew_nav = page.get_by_role("navigation", name="ראשי")  # the landmark's name is translated too
    for hebrew in ("היום", "יומן", "מטופלים", "הגדרות"):
        expect(hebrew_nav.get_by_role("link", name=hebrew, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="יציאה", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)

    # Kept on the account: a reload (a new connection) comes back in Hebrew.
    page.reload()
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("button", name="יציאה", exact=True)).to_be_visible()

    # Signed out, the browser (English by Accept-Language) remembers the last language used.
    page.get_by_role("button", name="יציאה", exact=True).click()
    expect(page.get_by_text("יצאת מהמערכת.")).to_be_visible()
    expect(html).to_have_attribute("dir", "rtl")
    before = len(smtp_sink.messages_to(email))
    expect(page.get_by_role("button", name="שליחת קישור כניסה אליי בדואר")).to_be_enabled()
    page.get_by_label("דואר אלקטרוני").fill(email)
    page.get_by_role("button", name="שליחת קישור כניסה אליי בדואר").click()
    expect(page.get_by_text("כדאי לבדוק את הדואר")).to_be_visible()
    # The sign-in mail and its Continue page are in the account's language.
    page.goto(smtp_sink.wait_for_link(email, after=before))
    expect(page.locator("html")).to_have_attribute("lang", "he")
    page.get_by_role("button", name="המשך").click()
    page.wait_for_load_state("networkidle")
    page.goto("/settings")
    expect(page.get_by_role("button", name="יציאה", exact=True)).to_be_visible()

    page.locator("#language").select_option("en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(html).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Calendar")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_a_hebrew_browser_gets_the_sign_in_page_in_hebrew(browser, app_server):
    context = browser.new_context(base_url=app_server.url, locale="he-IL", timezone_id=BROWSER_TZ)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/signin")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", name="כניסה ל-PazPaz")).to_be_visible()
        expect(page.get_by_role("button", name="שליחת קישור כניסה אליי בדואר")).to_be_visible()
        expect(page.get_by_label("דואר אלקטרוני")).to_be_visible()
    finally:
        context.close()
