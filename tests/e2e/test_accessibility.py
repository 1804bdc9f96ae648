"""Every page and dialog at 1280x800 and 390x844: axe-core finds no critical or serious
violation; on the phone nothing scrolls sideways, nothing is wider than the screen, and the
tab bar's and forms' buttons and links are at least 44x44 px. Screenshots of every main page
at both sizes go to test-artifacts/screenshots/ for a reviewer.

One practice is seeded once through the UI; each size then gets one browser context and one
test that visits everything (a context per page would triple the run time)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, BASE_URL, BROWSER_TZ
from tests.e2e.flows import (
    add_service_and_location,
    browser_today,
    create_client,
    fill_booking,
    signed_in_owner,
)

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCREENSHOTS = ARTIFACTS / "screenshots"
FIRST, LAST = "Alexandrina-Maximiliana", "Vandersteenhoven-Oppenheimer"
AXE = Axe()

# Wider than the screen without being clipped by a scrolling ancestor (a table in its
# horizontally scrolling box is fine).
_TOO_WIDE = """() => {
  const vw = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return p !== document.body
        && p !== document.documentElement && !p.classList.contains('pz-page');
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > vw + 1 || r.left < -1) && !clipped(el)) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + String(el.className).slice(0, 60)
               + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return out.slice(0, 10);
}"""

# (A function, not a string predicate: the app's CSP forbids eval.)
_ANIMATIONS_DONE = """async () => {
  const finite = document.getAnimations().filter(a => a.effect && a.effect.getTiming().iterations !== Infinity);
  await Promise.all(finite.map(a => a.finished.catch(() => null)));
}"""

# Buttons and links a thumb has to hit: the tab bar's and every form's.
_SMALL_TARGETS = """() => {
  const out = [];
  const targets = document.querySelectorAll(
    'nav.pz-tabbar a, form button, form a[href], form input[type=submit], [role=dialog] button');
  for (const el of targets) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    if (el.getAttribute('role') === 'checkbox') continue;
    const r = el.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) {
      out.push((el.innerText || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 40)
               + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
    }
  }
  return out;
}"""


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("critical", "serious"):
            targets = ["".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): "
                         + " | ".join(targets))
    return found


class Audit:
    """Collects every problem of one size, so one run names them all."""

    def __init__(self, page: Page, size: str) -> None:
        self.page, self.size, self.problems = page, size, []
        self.checked = 0

    def check(self, name: str, screenshot: bool = True) -> None:
        self.checked += 1
        page = self.page
        page.wait_for_load_state("networkidle")
        # A dialog fading in has half-transparent text: let animations finish before measuring.
        page.evaluate(_ANIMATIONS_DONE)
        for problem in serious_violations(page):
            self.problems.append(f"[{self.size} {name}] axe {problem}")
        if self.size == "phone":
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if not fits:
                self.problems.append(f"[phone {name}] scrolls sideways: scrollWidth "
                                     f"{page.evaluate('document.documentElement.scrollWidth')}")
            for wide in page.evaluate(_TOO_WIDE):
                self.problems.append(f"[phone {name}] wider than the screen: {wide}")
            for small in page.evaluate(_SMALL_TARGETS):
                self.problems.append(f"[phone {name}] touch target under 44x44: {small}")
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{self.size}-{name}.png"), full_page=True)

    def visit(self, path: str, name: str, ready: Callable[[Page], None] | None = None) -> None:
        self.page.goto(path)
        expect(self.page.locator("#page-title").locator("visible=true")).to_be_visible()
        if ready:
            ready(self.page)
        self.check(name)


@pytest.fixture(scope="module")
def practice(browser, app_server, smtp_sink) -> dict:
    """An owner with a service, a location, a client with a long name, an appointment today
    and a draft note; returns the signed-in cookies and the client's and note's paths."""
    context = browser.new_context(base_url=app_server.url, viewport=SIZES["desktop"], timezone_id=BROWSER_TZ)
    page = context.new_page()
    page.set_default_timeout(20_000)
    signed_in_owner(page, smtp_sink, practice="Accessible Practice of Long-Named Therapists")
    add_service_and_location(page)
    client_url = create_client(page, FIRST, LAST, phone="050-1234567", email="alex@example.com")
    page.goto("/calendar")
    today = browser_today()
    fill_booking(page, f"{FIRST} {LAST}", f"{today}T00:00", end=f"{today}T01:00")
    page.get_by_role("button", name="Save appointment").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("button", name="Agenda").click()
    page.locator(".fc-list-event", has_text=FIRST).first.click()
    page.get_by_role("button", name="Write note").click()
    expect(page).to_have_url(re.compile(rf"{BASE_URL}/notes/"))
    page.get_by_label("Subjective", exact=True).fill("Knee pain on stairs")
    page.get_by_label("Subjective", exact=True).blur()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    seeded = {"cookies": context.cookies(), "client": client_url.removeprefix(BASE_URL),
              "note": page.url.removeprefix(BASE_URL).split("?")[0]}
    context.close()
    return seeded


def _run(browser, practice: dict, size: str, audit_of: list) -> Audit:
    phone = size == "phone"
    context = browser.new_context(base_url=BASE_URL, viewport=SIZES[size], timezone_id=BROWSER_TZ,
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    audit = Audit(page, size)
    audit_of.append(audit)
    try:
        for path, name in (("/signin", "signin"), ("/signup", "signup")):
            page.goto(path)
            expect(page.get_by_label("Email")).to_be_visible()
            audit.check(name)
        context.add_cookies(practice["cookies"])
        # Before the session check returns, a page is a skeleton of itself (main, h1, busy), not white.
        prerendered = page.request.get("/clients/").text()
        assert 'aria-busy="true"' in prerendered and "<main" in prerendered and ">Clients</h1>" in prerendered

        audit.visit("/", "today")
        audit.visit("/clients", "clients", lambda p: expect(p.locator("#client-list")).to_be_visible())
        audit.visit("/clients/new", "client-new", lambda p: expect(p.get_by_label("First name")).to_be_visible())
        # A refused form: the errors are tied to their fields and axe still finds nothing.
        page.get_by_role("button", name="Create client").click()
        expect(page.locator("#first_name")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#first_name")).to_be_focused()
        audit.check("client-new-invalid", screenshot=False)
        audit.visit(practice["client"], "client",
                    lambda p: expect(p.locator("#page-title").locator("visible=true")).to_contain_text(FIRST))
        audit.visit(practice["client"] + "/edit", "client-edit",
                    lambda p: expect(p.get_by_label("First name")).to_have_value(FIRST))
        audit.visit("/calendar", "calendar", lambda p: expect(p.locator(".fc-view-harness")).to_be_visible())
        # Seven day columns don't fit a phone: the week view is not offered there.
        expect(page.get_by_role("button", name="Week", exact=True)).to_have_count(0 if phone else 1)
        page.get_by_role("button", name="New appointment").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        audit.check("calendar-new-dialog")
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        if not phone:
            page.get_by_role("button", name="Agenda").click()
        page.locator(".fc-list-event", has_text=FIRST).first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        audit.check("calendar-detail-dialog")
        page.keyboard.press("Escape")
        audit.visit(practice["note"], "note", lambda p: expect(p.locator("#save-state")).to_be_attached())
        page.get_by_role("button", name="Finalize note").click()
        expect(page.get_by_role("alertdialog")).to_be_visible()
        audit.check("note-finalize-dialog", screenshot=False)
        page.get_by_role("button", name="Keep editing").click()
        audit.visit("/settings", "settings", lambda p: expect(p.get_by_label("Service name")).to_be_visible())
        audit.visit("/settings/security", "security")
        audit.visit("/audit", "audit", lambda p: expect(p.get_by_role("table")).to_be_visible())
        audit.visit("/more", "more")
        if phone:
            expect(page.locator("nav.pz-tabbar")).to_be_visible()
            expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        else:
            expect(page.locator("nav.pz-tabbar")).to_be_hidden()
    finally:
        context.close()
    return audit


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_and_dialog_is_accessible(browser, practice, size):
    audit_of: list[Audit] = []
    try:
        audit = _run(browser, practice, size, audit_of)
    finally:
        # Whatever stopped the walk, say what was found up to there.
        for problem in (audit_of[0].problems if audit_of else []):
            print(problem)
    assert audit.checked >= 15
    assert not audit.problems, "\n".join(audit.problems)
