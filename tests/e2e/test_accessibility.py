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
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pazpaz import i18n
from pazpaz.i18n import LANGUAGE_COOKIE
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
PRACTICE = "Accessible Practice of Long-Named Therapists"
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


# Every text a reader can meet on the page: the text nodes (also those a breakpoint hides at this
# size, so one size covers both layouts; not scripts or styles), the options of selects, and the
# placeholder / aria-label / title / alt values, each with where it was found. FullCalendar's grid
# is left out: its day and hour labels are the browser's Intl dates in the calendar's locale.
_PAGE_TEXT = """() => {
  const out = [], seen = new Set();
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  const add = (el, kind, text) => {
    text = (text || '').replace(/\\s+/g, ' ').trim();
    const key = kind + '|' + text;
    if (text && !seen.has(key)) { seen.add(key); out.push([where(el) + (kind ? ' ' + kind : ''), text]); }
  };
  const skip = (el) => el.closest('script, style, noscript, template, [hidden], .fc-view-harness');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && !skip(n.parentElement)) add(n.parentElement, '', n.nodeValue);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
    if (skip(el)) continue;
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) {
      if (el.hasAttribute(a)) add(el, a, el.getAttribute(a));
    }
  }
  add(document.documentElement, 'title', document.title);
  return out;
}"""

_MONTHS_AND_DAYS = re.compile(
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|"
    r"Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)\b")
# Not words of the UI: the brand, e-mail addresses, links, ids and hashes, initials ("A.V."),
# ISO currency codes (the currency list), and the seeded data (names, the practice, a note).
_NOT_WORDS = [re.compile(p) for p in (
    r"^(?:[A-Z][A-Za-z_+-]*/)+[A-Za-z0-9_+-]+$|^(?:UTC|GMT)$",  # a time zone (the sign-up list)
    r"^[A-Z]{3} · [^⟦⟧]+$",  # a currency's code and its name from CLDR (Babel), not from the catalogs
    r"\S+@\S+\.\w+", r"https?://\S+", r"\b[0-9a-f]{8,}\b", r"\b[0-9a-f-]{36}\b", r"\b(?:[A-Z]\.){1,3}",
    r"\b[A-Z]{3}\b", r"PazPaz")]
# Text of the libraries under the app, not of PazPaz: Reflex's connection pulser (a 0-height div
# whose tooltip would only show while the server is unreachable).
LIBRARY_TEXT = ("Connection Error:",)


def unwrapped(text: str, data: list[str]) -> str:
    """What is left of a page text once the ⟦wrapped⟧ parts, the data, dates and numbers are
    taken out, if it still has a Latin letter in it (else "")."""
    if text in LIBRARY_TEXT:
        return ""
    rest = text
    while True:  # innermost first: a wrapped message may hold another ("⟦Hi ⟦you⟧⟧")
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", " ", rest)
        if shorter == rest:
            break
        rest = shorter
    for value in sorted(filter(None, data), key=len, reverse=True):
        rest = rest.replace(value, " ")
    for pattern in _NOT_WORDS:
        rest = pattern.sub(" ", rest)
    rest = _MONTHS_AND_DAYS.sub(" ", rest)
    return " ".join(rest.split()) if re.search(r"[A-Za-z]", rest) else ""


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

    language = "en"

    def __init__(self, page: Page, size: str) -> None:
        self.page, self.size, self.problems = page, size, []
        self.checked = 0

    def speaks(self, name: str) -> bool:
        """Whether the page took the walk's language (<html lang>, set once the tab's state
        arrives); a page that never does is one problem, not a list of its English words."""
        try:
            self.page.wait_for_function("lang => document.documentElement.lang === lang", arg=self.language,
                                        timeout=5_000)
            return True
        except PlaywrightTimeout:
            self.problems.append(f"[{self.size} {name}] does not follow the reader's language: <html lang="
                                 f"{self.page.evaluate('document.documentElement.lang')!r}>")
            return False

    def said(self, english: str) -> re.Pattern:
        """A control's name in the walk's language, or in English where a page is not wrapped yet."""
        if self.language == "en":
            return re.compile(re.escape(english))
        words = (f"{i18n.PSEUDO_OPEN}{english}{i18n.PSEUDO_CLOSE}" if self.language == i18n.PSEUDO_LANGUAGE
                 else i18n.gettext(self.language, english))
        return re.compile(f"{re.escape(english)}|{re.escape(words)}")

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
    email = signed_in_owner(page, smtp_sink, practice=PRACTICE)
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
    seeded = {"cookies": context.cookies(), "client": client_url.removeprefix(BASE_URL), "email": email,
              "note": page.url.removeprefix(BASE_URL).split("?")[0]}
    context.close()
    return seeded


def _run(browser, practice: dict, size: str, audit_of: list, kind: type[Audit] = Audit) -> Audit:
    phone = size == "phone"
    context = browser.new_context(base_url=BASE_URL, viewport=SIZES[size], timezone_id=BROWSER_TZ,
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    audit = kind(page, size)
    audit_of.append(audit)
    said = audit.said
    try:
        if audit.language != "en":
            context.add_cookies([{"name": LANGUAGE_COOKIE, "value": audit.language, "url": BASE_URL}])
        for path, name in (("/signin", "signin"), ("/signup", "signup")):
            page.goto(path)
            expect(page.get_by_label(said("Email"))).to_be_visible()
            audit.check(name)
        context.add_cookies(practice["cookies"])
        if audit.language != "en":
            _choose_language(context, audit.language)
        # Before the session check returns, a page is a skeleton of itself (main, h1, busy), not white.
        prerendered = page.request.get("/clients/").text()
        assert 'aria-busy="true"' in prerendered and "<main" in prerendered and ">Clients</h1>" in prerendered

        audit.visit("/", "today")
        audit.visit("/clients", "clients", lambda p: expect(p.locator("#client-list")).to_be_visible())
        audit.visit("/clients/new", "client-new", lambda p: expect(p.get_by_label(said("First name"))).to_be_visible())
        # A refused form: the errors are tied to their fields and axe still finds nothing.
        page.get_by_role("button", name=said("Create client")).click()
        expect(page.locator("#first_name")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#first_name")).to_be_focused()
        audit.check("client-new-invalid", screenshot=False)
        audit.visit(practice["client"], "client",
                    lambda p: expect(p.locator("#page-title").locator("visible=true")).to_contain_text(FIRST))
        audit.visit(practice["client"] + "/edit", "client-edit",
                    lambda p: expect(p.get_by_label(said("First name"))).to_have_value(FIRST))
        audit.visit("/calendar", "calendar", lambda p: expect(p.locator(".fc-view-harness")).to_be_visible())
        # Seven day columns don't fit a phone: the week view is not offered there.
        expect(page.locator(".fc-timeGridWeek-button")).to_have_count(0 if phone else 1)
        page.get_by_role("button", name=said("New appointment")).click()
        expect(page.get_by_role("dialog")).to_be_visible()
        audit.check("calendar-new-dialog")
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        if not phone:
            page.locator(".fc-listWeek-button").click()
        page.locator(".fc-list-event", has_text=FIRST).first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        audit.check("calendar-detail-dialog")
        page.keyboard.press("Escape")
        audit.visit(practice["note"], "note", lambda p: expect(p.locator("#save-state")).to_be_attached())
        page.get_by_role("button", name=said("Finalize note")).click()
        expect(page.get_by_role("alertdialog")).to_be_visible()
        audit.check("note-finalize-dialog", screenshot=False)
        page.get_by_role("button", name=said("Keep editing")).click()
        audit.visit("/settings", "settings", lambda p: expect(p.get_by_label(said("Service name"))).to_be_visible())
        audit.visit("/settings/security", "security")
        audit.visit("/audit", "audit", lambda p: expect(p.get_by_role("table")).to_be_visible())
        audit.visit("/more", "more")
        if phone:
            expect(page.locator("nav.pz-tabbar")).to_be_visible()
            expect(page.get_by_role("navigation", name=said("Main"))).to_be_hidden()
        else:
            expect(page.locator("nav.pz-tabbar")).to_be_hidden()
    finally:
        if audit.language != "en":
            _choose_language(context, "en")  # the seeded owner reads English again for the other tests
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


def _choose_language(context, language: str) -> None:
    """Settings -> Language, as the user would (kept on the user, so every page after speaks it).
    In a tab of its own: its "Language saved." notice would fade in again on every page of the
    walk's tab (6 s of animation each)."""
    page = context.new_page()
    try:
        page.goto("/settings")
        page.locator("#language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    finally:
        page.close()


class PseudoAudit(Audit):
    """Every page in the pseudo language (pazpaz/i18n.py: each text is the English in ⟦ ⟧): any
    other text that is not the seeded data, a date or a number was never wrapped (a leak)."""

    language = i18n.PSEUDO_LANGUAGE
    leaks: dict[str, list[str]]  # "where: text" -> the pages it is on

    def check(self, name: str, screenshot: bool = True) -> None:
        self.checked += 1
        self.page.wait_for_load_state("networkidle")
        if not self.speaks(name):
            self.leaks.setdefault(f"(the whole page: <html lang> is not {self.language!r})", []).append(name)
            return
        data = [FIRST, LAST, PRACTICE, "Dana Levi", "Massage 60", "Client's home", "Knee pain on stairs",
                "alex@example.com", self.seeded_email, *i18n.LANGUAGES.values(), i18n.PSEUDO_NAME]
        for where, text in self.page.evaluate(_PAGE_TEXT):
            if unwrapped(text, data):
                self.leaks.setdefault(f"{where}: {text[:100]!r}", []).append(name)
                self.problems.append(f"[{name}] {where}: {text[:100]!r}")


class HebrewAudit(Audit):
    """Every page in Hebrew: <html dir=rtl>, nothing scrolls sideways on a phone, and a screenshot
    (test-artifacts/screenshots/he-<size>-<page>.png) for a reviewer."""

    language = "he"

    def check(self, name: str, screenshot: bool = True) -> None:
        self.checked += 1
        page = self.page
        page.wait_for_load_state("networkidle")
        page.evaluate(_ANIMATIONS_DONE)
        self.speaks(name)
        if page.evaluate("document.documentElement.dir") != "rtl":
            self.problems.append(f"[{self.size} {name}] <html dir> is not rtl")
        if self.size == "phone" and not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            self.problems.append(f"[phone {name}] scrolls sideways in Hebrew: scrollWidth "
                                 f"{page.evaluate('document.documentElement.scrollWidth')}")
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"he-{self.size}-{name}.png"), full_page=True)


def test_no_page_shows_unwrapped_text(browser, practice):
    # One size: the text nodes of both layouts (the phone's tab bar too) are in every page's DOM.
    audit_of: list[Audit] = []
    PseudoAudit.seeded_email, PseudoAudit.leaks = practice["email"], {}
    try:
        audit = _run(browser, practice, "desktop", audit_of, PseudoAudit)
    finally:
        # Each leak once, with the pages it shows on (the shell's are on every page).
        report = [f"{leak}  [{', '.join(pages) if len(pages) < 6 else f'{len(pages)} pages'}]"
                  for leak, pages in PseudoAudit.leaks.items()]
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "pseudo-leaks.txt").write_text("\n".join(report) + "\n")
        print("\n".join(report))
    assert audit.checked >= 15
    assert not report, f"{len(report)} texts not through the translation layer:\n" + "\n".join(report)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_reads_right_to_left_in_hebrew(browser, practice, size):
    audit_of: list[Audit] = []
    audit = _run(browser, practice, size, audit_of, HebrewAudit)
    assert audit.checked >= 15
    assert not audit.problems, "\n".join(audit.problems)
